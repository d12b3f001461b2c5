"""Parsing shortcuts give what the full path gives: markdown-it's link destinations, and
comment stripping of text with no comment."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from markdown_it.helpers import parseLinkDestination

from newsletter.content.markdown import _FastHelpers, markdown
from newsletter.content.source import strip_comments

_PIECES = st.sampled_from(["https://a.example/x", "a", " ", ")", "(", "\\", "\\ ", "<", ">", "\n", "\t", "\x7f",
                           "\x01", "&amp;", "&", "é", "%20", "\\)", "((", "))", "?q=1", "#f", "\u00a0"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join), st.integers(0, 3), st.integers(0, 3))
def test_link_destination_is_markdown_its(text: str, start: int, cut: int) -> None:
    fast = _FastHelpers(markdown().helpers._helpers)
    pos, maximum = min(start, len(text)), max(min(start, len(text)), len(text) - cut)
    ours, theirs = fast.parseLinkDestination(text, pos, maximum), parseLinkDestination(text, pos, maximum)
    assert (ours.ok, ours.pos, ours.str) == (theirs.ok, theirs.pos, theirs.str)


def test_the_parser_uses_the_fast_helper_and_links_still_parse() -> None:
    assert isinstance(markdown().helpers, _FastHelpers)
    html = markdown().render("[a](https://x.example/p?a=1&amp;b=2) [b](<https://y.example/ sp>) "
                             "[c](https://z.example/(x)) [d](https://w.example/a\\)b)\n\n[e]: https://v.example/e\n\n[e]\n")
    assert 'href="https://x.example/p?a=1&amp;b=2"' in html
    assert 'href="https://y.example/%20sp"' in html
    assert 'href="https://z.example/(x)"' in html
    assert 'href="https://w.example/a)b"' in html
    assert 'href="https://v.example/e"' in html


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "`", "``", " ", "\n", "```", "~~~", "<!-", "-->", "<", "!", "-", "x y"]),
                max_size=20).map("".join))
def test_text_without_a_comment_is_kept_as_it_is(text: str) -> None:
    if "<!--" in text:
        return
    assert strip_comments(text) == (text, 0)
    # the full, line-by-line path (forced by a comment on a line of its own) keeps every other line too
    stripped, open_at = strip_comments(text + "\n<!---->")
    assert open_at == 0
    assert stripped.split("\n")[:-1] == text.split("\n")


def test_front_matter_is_parsed_once_with_the_composed_lines() -> None:
    """The data is built from the node tree that gives the line numbers; building flattens '<<'
    merge keys in that tree, and the lines must still be those of the keys as written."""
    from newsletter.content.frontmatter import parse_front_matter

    problems: list = []
    fm = parse_front_matter("f.md", "<<: {subject: m}\n<<: {date: 2026-01-01}\nsubject: q\n", 2, problems)
    assert (fm.subject, str(fm.date), fm.lines) == ("q", "2026-01-01", {"<<": 3, "subject": 4})
    assert [(p.line, p.message) for p in problems] == [(3, "front-matter key '<<' is given twice")]
    problems = []
    fm = parse_front_matter("f.md", "base: &b {subject: x}\n<<: *b\ndate: 2026-01-01\n", 2, problems)
    assert (fm.subject, fm.lines) == ("x", {"base": 2, "<<": 3, "date": 4})
    assert [p.message for p in problems] == ["unknown front-matter key 'base'"]


def test_remembered_front_matter_is_a_copy_with_its_problems_each_time() -> None:
    from newsletter.content.frontmatter import parse_front_matter

    text = "subject: s\nsubject: t\ndate: 2026-01-01\n"
    first: list = []
    a = parse_front_matter("f.md", text, 2, first)
    a.lines["x"] = 9
    a.subject = "changed"
    second: list = []
    b = parse_front_matter("f.md", text, 2, second)
    assert (b.subject, b.lines) == ("t", {"subject": 3, "date": 4})
    assert first == second and [p.message for p in second] == ["front-matter key 'subject' is given twice"]
    assert parse_front_matter("g.md", text, 5, []).lines == {"subject": 6, "date": 7}


# ---- plain paragraphs skip markdown-it's block rules ---------------------------------------------

_BLOCK_PIECES = ["Word", "word two", "é", "ǅx", "1", "1. ", "2) ", "- ", "* ", "+ ", "> ", "# ", "## ", "===", "---",
                 "***", "```", "~~~", "    ", "  ", " ", "\t", ":::", "::: block sponsor", "[a]: https://x.example",
                 "[a]", "<div>", "{.x}", "*em*", "_u_", "\\", "|", "\n", "\n", "\n\n", "\u00a0", "\u2028", "\r"]


def _tokens(md: object, text: str) -> list[tuple[object, ...]]:
    def flat(tokens: list) -> list[tuple[object, ...]]:
        return [(t.type, t.tag, t.nesting, t.map, t.level, t.content, t.markup, t.info, t.block, t.hidden,
                 t.attrs, flat(t.children or [])) for t in tokens]

    return flat(md.parse(text, {}))  # type: ignore[attr-defined]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_BLOCK_PIECES), max_size=30).map("".join))
def test_plain_paragraphs_read_as_markdown_its_paragraph_rule_reads_them(text: str) -> None:
    from newsletter.content.markdown import make_markdown

    plain = make_markdown()
    plain.block.ruler.disable("plain_paragraph")
    assert _tokens(markdown(), text) == _tokens(plain, text)


def test_the_plain_paragraph_rule_takes_plain_paragraphs_and_only_those() -> None:
    from unittest import mock

    from newsletter.content import markdown as markdown_module

    with mock.patch.object(markdown_module, "mdTrim", side_effect=markdown_module.mdTrim) as made:
        md = markdown_module.make_markdown()
        tokens = md.parse("First line\nsecond line\n\n- a list\n\n> a quote\n\n“Quoted” start.\n\n"
                          "Last *one*.\n\n::: block sponsor\nInside.\n:::\n", {})
    # the plain paragraphs, not the ones in the list, the quote or the block, nor the one
    # starting with a quotation mark (after which markdown-it leaves state.parentType changed)
    assert made.call_count == 2
    assert [t.content for t in tokens if t.type == "inline"] == ["First line\nsecond line", "a list", "a quote",
                                                                  "“Quoted” start.", "Last *one*.", "Inside."]
