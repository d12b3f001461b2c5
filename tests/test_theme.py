"""The default theme against "What the email must be" (issue #2): accessibility, inlining,
dark mode, the preheader, colours and fonts from settings, template overrides and size."""

from __future__ import annotations

import itertools
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newsletter.build import BuildResult, render_issue
from newsletter.settings import Colors, load_settings
from newsletter.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
SINGLE = REPO / "issues" / "2026-06-02-calder-bay-night-pilots.md"
MULTI = REPO / "issues" / "2026-06-05-harlow-cranes-and-low-water.md"
EVERY = REPO / "tests" / "golden" / "every-feature" / "issue.md"
ALL = [SINGLE, MULTI, EVERY]
IDS = ["single", "multi", "every-feature"]

# ---- contrast (WCAG 2.x) -----------------------------------------------------------


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


#: Every (text colour, background colour) pair the theme draws, by settings key.
LIGHT_PAIRS = [(fg, bg) for fg in ("text", "muted", "link", "accent") for bg in ("background", "paper")] + [
    ("paper", "accent"),  # the sign-up button
]
DARK_PAIRS = [(f"dark_{fg}", f"dark_{bg}") for fg, bg in LIGHT_PAIRS[:-1]] + [
    ("dark_background", "dark_accent"),  # the sign-up button in dark mode
]


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast("#FFF", "#FFFFFF") == pytest.approx(1.0)


@pytest.mark.parametrize("pair", LIGHT_PAIRS + DARK_PAIRS, ids=lambda p: f"{p[0]}-on-{p[1]}")
def test_every_colour_pair_of_the_settings_reaches_4_5_to_1(pair: tuple[str, str]) -> None:
    for colours in (Colors(), load_settings(REPO / "newsletter.yaml").theme.colors):
        fg, bg = getattr(colours, pair[0]), getattr(colours, pair[1])
        assert contrast(fg, bg) >= 4.5, f"{pair[0]} {fg} on {pair[1]} {bg}: {contrast(fg, bg):.2f}:1"


def _light_dark_css(html: str) -> tuple[str, str]:
    """(the HTML without the dark-mode rules, the dark-mode rules)."""
    dark = ""
    start = html.find("@media (prefers-color-scheme: dark)")
    if start >= 0:
        depth, i = 0, html.index("{", start)
        for j in range(i, len(html)):
            depth += {"{": 1, "}": -1}.get(html[j], 0)
            if depth == 0:
                dark = html[start:j + 1]
                html = html[:start] + html[j + 1:]
                break
    dark += "".join(re.findall(r"\[data-ogs[cb]\][^{]*\{[^}]*\}", html))
    html = re.sub(r"\[data-ogs[cb]\][^{]*\{[^}]*\}", "", html)
    return html, dark


@pytest.mark.parametrize("issue", ALL, ids=IDS)
def test_the_theme_only_uses_colours_whose_pairs_are_checked(issue: Path, repo_ws: Workspace) -> None:
    """Every colour in the email is one of the palette's, used in the role the pairs above check."""
    html = render_issue(repo_ws, issue).html
    colours = repo_ws.settings.theme.colors
    light, dark = _light_dark_css(html)

    def found(css: str, prop: str) -> set[str]:
        return {c.upper() for c in re.findall(prop + r"\s*[:=]\s*[\"']?(#[0-9A-Fa-f]{3,6})\b", css)}

    fg_ok = {getattr(colours, fg).upper() for fg, _ in LIGHT_PAIRS}
    bg_ok = {getattr(colours, bg).upper() for _, bg in LIGHT_PAIRS}
    assert len(found(light, r"(?<![-\w])color")) >= 3
    assert found(light, r"(?<![-\w])color") <= fg_ok
    assert found(light, r"background(?:-color)?") | found(light, "bgcolor") <= bg_ok
    dark_fg = {getattr(colours, fg).upper() for fg, _ in DARK_PAIRS}
    dark_bg = {getattr(colours, bg).upper() for _, bg in DARK_PAIRS}
    assert found(dark, r"(?<![-\w])color")
    assert found(dark, r"(?<![-\w])color") <= dark_fg
    assert found(dark, r"background-color") <= dark_bg


# ---- structure and accessibility -------------------------------------------------------------


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[int] = []
        self.tables: list[dict[str, str | None]] = []
        self.images: list[dict[str, str | None]] = []
        self.html_attrs: dict[str, str | None] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_attrs = a
        elif tag == "title":
            self._in_title = True
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables.append(a)
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@pytest.fixture
def repo_ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    return Workspace(root, load_settings(root / "newsletter.yaml"))


def outline(result: BuildResult) -> Outline:
    o = Outline()
    o.feed(result.html)
    return o


@pytest.mark.parametrize("issue", ALL, ids=IDS)
def test_lang_title_tables_and_images(issue: Path, repo_ws: Workspace) -> None:
    result = render_issue(repo_ws, issue)
    o = outline(result)
    assert o.html_attrs.get("lang") == repo_ws.settings.language != "und"
    assert o.title == result.issue.subject
    assert o.tables and all(t.get("role") == "presentation" for t in o.tables)
    assert all("alt" in img for img in o.images)
    assert all(img["alt"] for img in o.images if "divider" not in (img.get("src") or ""))
    assert all(img.get("width", "").isdigit() and int(img["width"]) <= 600 for img in o.images)  # type: ignore[union-attr]
    assert '<meta name="color-scheme" content="light dark">' in result.html
    assert '<meta name="supported-color-schemes" content="light dark">' in result.html


@pytest.mark.parametrize("issue", ALL, ids=IDS)
def test_headings_start_with_one_h1_and_never_skip_a_level(issue: Path, repo_ws: Workspace) -> None:
    levels = outline(render_issue(repo_ws, issue)).headings
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"h{before} is followed by h{after}: {levels}"


def test_heading_levels_by_role(repo_ws: Workspace) -> None:
    html = render_issue(repo_ws, EVERY).html
    assert re.search(r'<h1 class="nl-masthead"', html)
    assert re.search(r'<h2 class="nl-headline"', html) and re.search(r'<h2 class="nl-toc-title"', html)
    assert re.search(r'<h2 class="nl-callout-title"', html)
    assert re.search(r'<h3 class="nl-label', html) and re.search(r'<h4 class="nl-subhead"', html)
    assert re.search(r'<h3 class="nl-subhead"[^>]*>A subhead in the lede', html)
    assert re.search(r'<h3 class="nl-subhead"[^>]*>A subhead in a callout', html)


@pytest.mark.parametrize("issue", ALL, ids=IDS)
def test_preheader_is_first_hidden_and_followed_by_filler(issue: Path, repo_ws: Workspace) -> None:
    result = render_issue(repo_ws, issue)
    body = result.html[result.html.index("<body"):]
    div = re.search(r'<div class="nl-preheader"[^>]*>(.*?)</div>', body, re.DOTALL)
    assert div
    before = body[:body.index(div.group(0))]
    assert not re.sub(r"<!--.*?-->|<[^>]+>|\s", "", before, flags=re.DOTALL), "text comes before the preheader"
    assert "display:none" in div.group(0).replace(" ", "")
    content = div.group(1)
    assert content.startswith((result.issue.preheader.replace("&", "&amp;").replace("'", "&#x27;"), result.issue.preheader))
    filler = content[len(result.issue.preheader):]
    assert filler.count("\u034f") >= 50 and filler.count("\u200c") >= 50
    assert not re.sub(r"[\u034f\u200c\u00a0\s]", "", filler)


# ---- inlining ----------------------------------------------------------------------------

MRML_RESETS = {"#outlook a", "body", "table, td", "img", "p", ".mj-outlook-group-fix", ":root",
               ".moz-text-html .mj-column-per-100"}


def _top_level_selectors(css: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                out.append(css[start:i].strip())
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                start = i + 1
    return out


@pytest.mark.parametrize("issue", ALL, ids=IDS)
def test_style_blocks_hold_only_media_queries_dark_rules_and_mrml_resets(issue: Path, repo_ws: Workspace) -> None:
    html = render_issue(repo_ws, issue).html
    blocks = re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL)
    assert blocks
    for css in blocks:
        for selector in _top_level_selectors(css):
            ok = selector.startswith(("@media", "[data-ogs")) or selector in MRML_RESETS
            assert ok, f"{selector!r} in a <style> block: put it in email.css.j2 so it is inlined"
    assert all(".nl-" not in s or s.startswith(("@media", "[data-ogs")) for b in blocks for s in _top_level_selectors(b))


@pytest.mark.parametrize("issue", ALL, ids=IDS)
def test_every_themed_element_carries_its_look_inline(issue: Path, repo_ws: Workspace) -> None:
    html = render_issue(repo_ws, issue).html
    for cls in ("nl-masthead", "nl-headline", "nl-label", "nl-toc-title", "nl-pill-box", "nl-dateline", "nl-footer-p"):
        for tag in re.findall(rf'<[a-z0-9]+ class="[^"]*\b{cls}\b[^"]*"[^>]*>', html):
            assert "style=" in tag and "font-family" in tag or cls == "nl-pill-box", tag
    assert re.search(r'border:2px solid #1F1D1A', html)  # cards: MRML writes the border inline


# ---- settings drive the look -------------------------------------------------------------------


def test_colours_and_fonts_come_from_newsletter_yaml(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    settings = (REPO / "newsletter.yaml").read_text(encoding="utf-8").replace("language: en", "language: fr-CA")
    settings += ("theme:\n  colors:\n    background: '#EEF4F8'\n    paper: '#FFFFFF'\n    text: '#102030'\n"
                 "    accent: '#0B5A3C'\n  fonts:\n    serif: \"Palatino, serif\"\n    size: 17\n")
    (root / "newsletter.yaml").write_text(settings, encoding="utf-8")
    ws = Workspace(root, load_settings(root / "newsletter.yaml"))
    html = render_issue(ws, MULTI).html
    assert '<html lang="fr-CA"' in html
    for value in ("#EEF4F8", "#102030", "#0B5A3C", "Palatino, serif", "font-size:17px"):
        assert value in html, value
    assert "#F7F3DC" not in html and "Georgia" not in html


def test_a_workspace_template_overrides_the_theme_by_name(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "templates" / "partials").mkdir(parents=True)
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    footer = (REPO / "templates" / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
    (root / "templates" / "partials" / "footer.mjml.j2").write_text(
        footer.replace("{{ settings.footer_reason }}", "Custom footer for {{ settings.name }}."), encoding="utf-8")
    ws = Workspace(root, load_settings(root / "newsletter.yaml"))
    html = render_issue(ws, SINGLE).html
    assert "Custom footer for The Harbor Watch." in html
    assert "nl-masthead" in html  # the other templates still come from the theme


def test_an_override_added_or_removed_between_two_renders_in_one_process_is_seen(tmp_path: Path) -> None:
    """The theme's template stayed cached (Jinja checks only its own file) after a workspace
    file of the same name appeared: the preview ignored a new override until restarted."""
    from newsletter.render.jinja import get_environment

    root = tmp_path / "ws"
    (root / "templates" / "partials").mkdir(parents=True)
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    ws = Workspace(root, load_settings(root / "newsletter.yaml"))
    env = get_environment(ws.templates_dir)
    assert "Override marker 7301." not in render_issue(ws, SINGLE).html
    footer = (REPO / "templates" / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
    override = root / "templates" / "partials" / "footer.mjml.j2"
    override.write_text(footer.replace("{{ settings.footer_reason }}", "Override marker 7301."), encoding="utf-8")
    assert "Override marker 7301." in render_issue(ws, SINGLE).html
    assert get_environment(ws.templates_dir) is env  # the same environment, only its templates forgotten
    override.unlink()
    assert "Override marker 7301." not in render_issue(ws, SINGLE).html


# ---- size -------------------------------------------------------------------------------------

def test_multi_story_example_stays_under_60_kb(repo_ws: Workspace) -> None:
    result = render_issue(repo_ws, MULTI)
    assert len(result.issue.stories) >= 4 and result.words >= 1500
    assert result.html_bytes < 60 * 1024, f"{result.html_bytes} bytes"


AUTHORED = """\
---
subject: "Tide tables for the week"
date: 2026-06-02
preheader: "Spring tides return on Thursday, and the harbour gates change their hours."
author: {{name: "Ines Varga", email: "ines@dispatch.example"}}
{front}---
{body}# The first story

The lede sentence comes first.

## The News

The facts of the matter.
"""
INTRO = "Good morning. This is the letter.\n"


def _has_from_heading(html: str, text: str, name: str) -> tuple[bool, bool]:
    """(the HTML shows the "From <name>" heading, the text part does)."""
    in_html = bool(re.search(rf'<p class="nl-byline"[^>]*>From {name}</p>', html))
    assert in_html or ("nl-byline" not in html and f"From {name}" not in html)
    in_text = f"From {name}" in text
    assert in_text or f"FROM {name.upper()}" not in text
    return in_html, in_text


def _has_by_line(html: str, text: str, name: str) -> tuple[bool, bool]:
    """(the HTML shows the compact "By <name>" line, the text part does). Where it is shown it is
    small muted text (never a heading) right before the contents, and only once."""
    lines = re.findall(rf'<([a-z0-9]+) class="nl-author"([^>]*)>By {name}</\1>', html)
    in_html = bool(lines)
    assert in_html or ('class="nl-author"' not in html and f"By {name}" not in html)
    in_text = bool(re.search(rf"^By {re.escape(name)}$", text, re.M))
    assert in_text or f"By {name}" not in text
    if in_html:
        assert len(lines) == 1 and lines[0][0] == "p", lines  # a paragraph, not a heading
        muted = load_settings(REPO / "newsletter.yaml").theme.colors.muted
        assert f"color:{muted}" in lines[0][1].replace(" ", "")
        assert "font-size:13px" in lines[0][1].replace(" ", "")
        by_at = html.index(f">By {name}<")
        assert html.rfind('class="nl-rule-thin"', 0, by_at) > html.rfind('class="nl-masthead"', 0, by_at) > 0
        assert by_at < html.index('class="nl-toc-title"') < html.index('class="nl-headline"')
    if in_text:
        assert text.index(f"\nBy {name}\n") < text.index("IN THIS ISSUE") < text.index("=====")
        assert text.index("Read on the web:") < text.index(f"\nBy {name}\n")
    return in_html, in_text


@pytest.mark.parametrize(("front", "body", "letter"), [
    ("", INTRO + "\n", True),                       # the letter before the first "# " heading
    ("intro: |\n  " + INTRO, "", True),              # the letter as front matter 'intro:'
    ("", "", False),                                # no letter at all
], ids=["intro-in-body", "intro-in-front-matter", "no-intro"])
def test_the_author_shows_as_the_letters_heading_or_as_a_by_line(
        front: str, body: str, letter: bool, repo_ws: Workspace, tmp_path: Path) -> None:
    """"From <author>" heads the editor's letter. With no letter there is nothing for it to head
    (it used to stand alone above "In this issue"), so the author is named by a compact
    "By <author>" line above the contents instead, in both parts; never both, never neither."""
    path = tmp_path / "2026-06-02-tides.md"
    path.write_text(AUTHORED.format(front=front, body=body), encoding="utf-8")
    result = render_issue(repo_ws, path)
    assert result.issue.author is not None and result.issue.author.name == "Ines Varga"
    assert bool(result.issue.intro) is letter
    assert _has_from_heading(result.html, result.text, "Ines Varga") == (letter, letter)
    assert _has_by_line(result.html, result.text, "Ines Varga") == (not letter, not letter)
    assert ("nl-intro" in result.html) is letter  # no empty intro section either
    assert ("Good morning. This is the letter." in result.html) is letter
    assert "IN THIS ISSUE" in result.text and "nl-toc-title" in result.html
    levels = outline(result).headings
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_no_author_no_by_line(repo_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "2026-06-02-tides.md"
    path.write_text(AUTHORED.format(front="", body="").replace(
        '\nauthor: {name: "Ines Varga", email: "ines@dispatch.example"}', ""), encoding="utf-8")
    result = render_issue(repo_ws, path)
    assert result.issue.author is None and not result.issue.intro
    assert 'class="nl-author"' not in result.html and "nl-byline" not in result.html
    assert "nl-intro" not in result.html
    assert not re.search(r"^(By|From) ", result.text, re.M)


def test_the_by_line_escapes_the_author_like_the_from_heading(repo_ws: Workspace, tmp_path: Path) -> None:
    """The name is data: escaped once in the HTML, as written in the text part."""
    path = tmp_path / "2026-06-02-tides.md"
    path.write_text(AUTHORED.format(front="", body="").replace(
        '"Ines Varga"', '"O\'Brien & <b>Sons</b> {{ 7*7 }}"'), encoding="utf-8")
    result = render_issue(repo_ws, path)
    assert ">By O'Brien &amp; &lt;b&gt;Sons&lt;/b&gt; {{ 7*7 }}</p>" in result.html
    assert "<b>Sons" not in result.html and "&amp;amp;" not in result.html
    assert re.search(r"^By O'Brien & <b>Sons</b> \{\{ 7\*7 \}\}$", result.text, re.M)


def test_the_single_story_example_names_its_author_in_a_by_line(repo_ws: Workspace) -> None:
    """The example that showed the orphan heading: an author, no intro letter."""
    result = render_issue(repo_ws, SINGLE)
    assert not result.issue.intro and result.issue.author is not None
    assert _has_from_heading(result.html, result.text, "Marta Okafor") == (False, False)
    assert _has_by_line(result.html, result.text, "Marta Okafor") == (True, True)


def test_the_theme_draws_no_images_or_logos_of_its_own(repo_ws: Workspace) -> None:
    """Every image in the email comes from the issue: the theme adds no logos or icons."""
    for template in (REPO / "templates").rglob("*.j2"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"(src|background|href)=\"https?://", text), template
        assert "url(" not in text, template
    for issue in ALL:
        result = render_issue(repo_ws, issue)
        from_issue = {m.group(1) for m in re.finditer(r"!\[[^\]]*\]\(([^\s)]+)", result.issue.source)}
        assert {img.get("src") for img in outline(result).images} == from_issue


@pytest.mark.parametrize("kind", ["dangling link", "file"])
def test_a_templates_path_that_isnt_a_folder_is_an_error_not_the_default_look(workspace: Path, kind: str) -> None:
    """A broken link (or a file) named templates/ built with the default theme, exit 0: the
    newsroom's own look was lost without a word. Also when the issue was already built."""
    from click.testing import CliRunner

    from newsletter.cli import cli

    assert CliRunner().invoke(cli, ["build"]).exit_code == 0  # cached from here on
    templates = workspace / "templates"
    if templates.exists():
        shutil.rmtree(templates)
    if kind == "file":
        templates.write_text("notes", encoding="utf-8")
        expected = "Error: templates: is a file, not a folder of templates (move it away: the workspace's templates go in the folder templates/)\n"
    else:
        templates.symlink_to(workspace / "brand-templatez")
        expected = (f"Error: templates: is a link to {workspace / 'brand-templatez'}, which isn't a folder"
                    " (point it at your templates folder, or remove it to use the default theme)\n")
    for command in (["build"], ["build", "--force"]):
        result = CliRunner().invoke(cli, command)
        assert (result.exit_code, result.stderr) == (1, expected), command
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1 and "templates: error: is a" in result.stdout
