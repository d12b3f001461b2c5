"""Property-based tests: Hypothesis writes whole issue files and every build must hold up.

For any generated file, ``render_issue`` either succeeds or raises NewsletterError whose
message is one line per problem naming file:line (never another exception); the HTML has
nothing executable in it (lxml inspection, tests/safety_checks.py); and every paragraph's
text reaches both the HTML and the plain-text part.

The normal suite runs a few deterministic examples. ``HYPOTHESIS_PROFILE=fuzz`` (what
scripts/fuzz sets) runs 10,000.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_SETTINGS
from hostile_cases import make_workspace
from newsletter.build import render_issue
from newsletter.content import model as m
from newsletter.content.markdown import plain_text
from newsletter.content.parse import parse_issue_file
from newsletter.errors import NewsletterError
from safety_checks import clean_error_problems, executable_problems, surprises

settings.register_profile(
    "newsletter-quick", max_examples=40, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("NEWSLETTER_FUZZ_EXAMPLES", "10000")), deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "newsletter-quick")
if PROFILE not in ("newsletter-quick", "fuzz"):
    PROFILE = "newsletter-quick"

# ---- text -------------------------------------------------------------------------------

RTL = "שלום עולם مرحبا بالعالم"
SCRIPTS = "abcxyzABCXYZ0123456789éøßÇ漢字かなЖжΩλ"
COMBINING = "\u0301\u0308\u0327\u0338\u20dd"
EMOJI = ["😀", "👍🏽", "👩‍👩‍👧", "🇺🇦", "❤️", "🧪"]
CONTROLS = ["\x00", "\x0b", "\x0c", "\x7f", "\u2028", "\u202e", "\u200b", "\ufeff", "\t"]
STRAY = [
    "*", "**", "_", "`", "~", "\\", "[", "]", "(", ")", "<", ">", "&", "&amp;", "&#60;", "&lt;", "|", "#",
    "<b>", "</p>", "<br>", "<div onclick=alert(1)>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "javascript:alert(1)", "{{ 7*191 }}", "{% if 1 %}ZQ{% endif %}YES", "{#", "#}", "</mj-text>", "<mj-raw>",
    "*|FNAME|*", "%%first_name%%", "%%city|Paris%%", "NLMT0000T", "-- ", ":::", "![", "http://", "\"", "'",
]

word = st.one_of(
    st.text(alphabet=SCRIPTS + RTL + COMBINING, min_size=1, max_size=10),
    st.sampled_from(EMOJI),
    st.sampled_from(STRAY),
    st.sampled_from(CONTROLS),
    st.text(min_size=1, max_size=4),  # anything Hypothesis likes, surrogates excluded
)
phrase = st.lists(word, min_size=1, max_size=8).map(" ".join)
line_text = phrase.map(lambda s: s.replace("\n", " ").replace("\r", " "))

good_url = st.sampled_from([
    "https://ok.example/a", "http://ok.example/b?x=1&y=2", "https://ok.example/ü/漢?q=שלום",
    "mailto:desk@ok.example", "tel:+15550100", "https://ok.example/a(b)c", "*|ARCHIVE|*", "#story-1",
])
bad_url = st.sampled_from([
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "&#106;avascript:alert(1)",
    "%6Aavascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "relative/path",
    "//evil.example/x", "", "ftp://x.example/", " javascript:alert(1)",
])
url = st.one_of(good_url, good_url, bad_url)
image_url = st.one_of(st.sampled_from(["https://img.example/a.png", "http://img.example/b.jpg?w=1"]), bad_url)


def _quoted(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


@st.composite
def inline(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "text", "text", "em", "strong", "code", "link", "tag", "placeholder"]))
    text = draw(line_text)
    if kind == "em":
        return f"*{text}*"
    if kind == "strong":
        return f"**{text}**"
    if kind == "code":
        return f"`{text}`"
    if kind == "link":
        title = f' "{_quoted(draw(line_text))}"' if draw(st.booleans()) else ""
        return f"[{text}]({draw(url)}{title})"
    if kind == "tag":
        return draw(st.sampled_from(["*|FNAME|*", "*|LIST:COMPANY|*"]))
    if kind == "placeholder":
        return draw(st.sampled_from(["%%first_name%%", "%%first_name|reader%%", "%%city|Paris%%"]))
    return text


paragraph = st.lists(inline(), min_size=1, max_size=6).map(" ".join)


@st.composite
def image(draw: st.DrawFn) -> str:
    alt = draw(st.one_of(line_text, st.just("")))
    caption = f' "{_quoted(draw(line_text))}"' if draw(st.booleans()) else ""
    attrs = []
    if draw(st.booleans()):
        attrs.append(f'credit="{_quoted(draw(line_text))}"')
    if draw(st.booleans()):
        attrs.append(".decorative")
    if draw(st.booleans()):
        attrs.append(f'link="{draw(url)}"')
    if draw(st.integers(0, 9)) == 0:
        attrs.append('width="100"')  # unknown attribute: a clean error
    tail = "{" + " ".join(attrs) + "}" if attrs else ""
    return f"![{alt}]({draw(image_url)}{caption}){tail}"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = ["p", "p", "p", "image", "subhead", "rule", "fence", "raw"]
    if depth < 3:
        kinds += ["list", "olist", "quote"]
    kind = draw(st.sampled_from(kinds))
    if kind == "p":
        return draw(paragraph)
    if kind == "image":
        return draw(image())
    if kind == "subhead":
        return "### " + draw(line_text)
    if kind == "rule":
        return "---" if draw(st.booleans()) else "***"
    if kind == "fence":
        return "```\n" + draw(phrase) + "\n```"
    if kind == "raw":
        return draw(st.sampled_from(STRAY)) + " " + draw(line_text)
    if kind == "quote":
        inner = draw(st.lists(block(depth + 1), min_size=1, max_size=3))
        return _indent("\n\n".join(inner), "> ")
    items = draw(st.lists(block(depth + 1), min_size=1, max_size=4))
    out = []
    for n, item in enumerate(items, start=1):
        bullet = f"{n}. " if kind == "olist" else "- "
        lines = item.split("\n")
        out.append(bullet + lines[0] + "".join("\n" + " " * len(bullet) + rest for rest in lines[1:]))
    return "\n".join(out)


SECTION_TITLES = ["The News", "THE SCOOP", "know more", "Step Back", "Pat's View", "Room for Disagreement",
                  "The View From Lagos", "Notable", "Something Else"]


@st.composite
def section(draw: st.DrawFn) -> str:
    title = draw(st.one_of(st.sampled_from(SECTION_TITLES), line_text, st.just("")))
    blocks = draw(st.lists(block(), min_size=0, max_size=3))
    return "\n\n".join([f"## {title}", *blocks])


@st.composite
def story(draw: st.DrawFn) -> str:
    headline = draw(st.one_of(line_text, line_text, st.just("")))
    lede = draw(st.lists(block(), min_size=0, max_size=2))
    sections = draw(st.lists(section(), min_size=0, max_size=4))
    return "\n\n".join([f"# {headline}", *lede, *sections])


@st.composite
def callout(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["sponsor", "signup", "sitrep", "quote", "QUOTE", "poll", "script", "mj-raw"]))
    label = draw(st.one_of(st.just(""), line_text))
    blocks = draw(st.lists(block(), min_size=0, max_size=3))
    if name.lower() == "quote" and draw(st.booleans()):
        blocks.append("-- " + draw(line_text))
    return "\n\n".join([f"::: {name} {label}".rstrip(), *blocks, ":::"])


def _yaml_value(draw: st.DrawFn, value: str) -> str:
    style = draw(st.sampled_from(["json", "json", "plain", "single"]))
    if style == "json":
        return json.dumps(value, ensure_ascii=draw(st.booleans()))
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    return value  # may well be broken YAML: then a clean error is the expected outcome


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.integers(0, 19)):
        lines.append("subject: " + _yaml_value(draw, draw(line_text)))
    if draw(st.integers(0, 19)):
        lines.append("date: " + draw(st.sampled_from(["2026-06-02", "2026-06-02", "2026-13-45", "yesterday", "'2026-06-02'"])))
    if draw(st.booleans()):
        lines.append("preheader: " + _yaml_value(draw, draw(line_text)))
    if draw(st.booleans()):
        lines.append("number: " + draw(st.sampled_from(["12", "-3", "twelve", "1.5", "true"])))
    if draw(st.booleans()):
        lines.append("updated: " + draw(st.sampled_from(["2026-06-02T14:27:00-04:00", "2026-06-02T14:27:00Z", "noon"])))
    if draw(st.booleans()):
        name = _yaml_value(draw, draw(line_text))
        lines.append(draw(st.sampled_from([f"author: {{name: {name}}}", f"author: {name}", "author: [1, 2]",
                                           f"author: {{name: {name}, email: 5}}"])))
    if draw(st.integers(0, 3)) == 0:
        lines.append("intro: " + json.dumps(draw(paragraph)))
    if draw(st.integers(0, 7)) == 0:
        lines.append(draw(st.sampled_from(["subjct: typo", "this is: not: yaml: [", "- a list", "tags: [a, b]", "  bad indent: 1"])))
    draw(st.randoms()).shuffle(lines)
    return "---\n" + "\n".join(lines) + "\n---\n"


@st.composite
def issue_file(draw: st.DrawFn) -> str:
    intro = draw(st.lists(block(), min_size=0, max_size=2))
    items = draw(st.lists(st.one_of(story(), story(), callout()), min_size=0, max_size=4))
    body = "\n\n".join([*intro, *items])
    return draw(front_matter()) + body + "\n"


# ---- checks --------------------------------------------------------------------------------


def _squash(text: str) -> str:
    """Whitespace and quote markers out: wrapping and '> ' prefixes differ between the parts."""
    return "".join(ch for ch in text if not ch.isspace() and ch != ">")


def paragraph_leaves(issue: m.Issue) -> list[str]:
    """The text runs of every paragraph in the issue (each appears unbroken in both parts)."""
    leaves: list[str] = []

    def inlines(nodes: tuple[m.Inline, ...]) -> None:
        for node in nodes:
            if isinstance(node, (m.Text, m.Code)):
                leaves.append(node.text)
            elif isinstance(node, (m.Emphasis, m.Strong, m.Link)):
                inlines(node.children)

    def blocks(bs: tuple[m.Block, ...]) -> None:
        for b in bs:
            if isinstance(b, m.Paragraph):
                inlines(b.inlines)
            elif isinstance(b, m.ListBlock):
                for item in b.items:
                    blocks(item)
            elif isinstance(b, m.Quote):
                blocks(b.blocks)

    blocks(issue.intro)
    for item in issue.items:
        if isinstance(item, m.Story):
            for s in item.sections:
                blocks(s.blocks)
        else:
            blocks(item.blocks)
    return [leaf for leaf in leaves if _squash(leaf)]


def check_issue_file(ws_root: Path, text: str) -> None:
    ws = make_workspace(ws_root, MINIMAL_SETTINGS)
    path = ws.issues_dir / "2026-06-02-fuzz.md"
    path.write_text(text, encoding="utf-8")
    try:
        result = render_issue(ws, path)
    except NewsletterError as e:
        assert clean_error_problems(e, path) == [], e.format_message()
        return
    html, plain = result.html, result.text
    assert "<script" not in html.lower()
    assert executable_problems(html) == []
    assert surprises(html, text, "*|FNAME|*" * text.count("*|FNAME|*")) == []
    assert surprises(plain, text, "*|FNAME|*" * text.count("*|FNAME|*")) == []
    from safety_checks import html_text

    visible, text_part = _squash(html_text(html)), _squash(plain)
    for leaf in paragraph_leaves(parse_issue_file(path)):
        assert _squash(leaf) in visible, f"paragraph text {leaf!r} is missing from the HTML"
        assert _squash(leaf) in text_part, f"paragraph text {leaf!r} is missing from the text part"


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(settings.get_profile(PROFILE))
@given(text=issue_file())
def test_any_issue_file_builds_safely_or_fails_cleanly(fuzz_root: Path, text: str) -> None:
    check_issue_file(fuzz_root, text)


@settings(settings.get_profile(PROFILE))
@given(raw=st.text(max_size=400))
def test_any_text_after_valid_front_matter(fuzz_root: Path, raw: str) -> None:
    check_issue_file(fuzz_root, "---\nsubject: Fuzz\ndate: 2026-06-02\n---\n" + raw)


def test_paragraph_check_can_fail(tmp_path: Path) -> None:
    """The paragraph property must notice text that is missing from a part."""
    issue = m.Issue(path="x.md", slug="x", subject="s", date=__import__("datetime").date(2026, 6, 2), preheader="",
                    intro=(m.Paragraph((m.Text("Lost words"),), 1),), items=())
    assert paragraph_leaves(issue) == ["Lost words"]
    assert _squash("Lost words") not in _squash("<p>Other words</p>")
    assert re.sub(r"\s", "", "Lost words") == _squash("Lost > words")


def test_yaml_surrogate_escapes_are_a_clean_error(fuzz_root: Path) -> None:
    """Regression (found by the fuzz profile): '"\\ud83d\\ude00"' in YAML gives two lone
    surrogates, which crashed the MJML compile (and its error handler) with UnicodeEncodeError."""
    ws = make_workspace(fuzz_root, MINIMAL_SETTINGS)
    path = ws.issues_dir / "2026-06-02-surrogate.md"
    path.write_text('---\nsubject: "\\ud83d\\ude00"\ndate: 2026-06-02\n---\nText.\n', encoding="utf-8")
    with pytest.raises(NewsletterError) as info:
        render_issue(ws, path)
    assert clean_error_problems(info.value, path) == []
    assert "U+D83D, half of a UTF-16 surrogate pair" in info.value.format_message()
    path.write_text('---\nsubject: "\\U0001F600 fine"\ndate: 2026-06-02\n---\nText.\n', encoding="utf-8")
    assert render_issue(ws, path).issue.subject == "\U0001F600 fine"


def test_control_character_in_body_is_a_clean_error(fuzz_root: Path) -> None:
    """Regression (found by the quick profile): an ESC byte in the body reached MRML, which
    refused the document with a TemplateError naming no line of the issue."""
    check_issue_file(fuzz_root, "---\nsubject: Fuzz\ndate: 2026-06-02\n---\n\x1b\n")
    ws = make_workspace(fuzz_root, MINIMAL_SETTINGS)
    with pytest.raises(NewsletterError, match=r"2026-06-02-fuzz.md:5: contains the invisible control character U\+001B"):
        render_issue(ws, ws.issues_dir / "2026-06-02-fuzz.md")


def test_private_use_characters_reach_the_text_part(fuzz_root: Path) -> None:
    """Regression (found by the fuzz profile): U+E000, which the text wrapper used as its
    'keep this tag together' marker, was deleted from the text part."""
    check_issue_file(fuzz_root, "---\nsubject: Fuzz\ndate: 2026-06-02\n---\nIcon \ue000 and \uf8ff here, {{ unsubscribe_url }}.\n")
    ws = make_workspace(fuzz_root, MINIMAL_SETTINGS)
    text = render_issue(ws, ws.issues_dir / "2026-06-02-fuzz.md").text
    assert "Icon \ue000 and \uf8ff here, {{ unsubscribe_url }}." in text
