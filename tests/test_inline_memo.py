"""The parse memo (newsletter.content.markdown.InlineMemo): parsing a file again reuses the
paragraphs its last parse converted, and the result is always what a fresh parse gives."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st
from test_fuzz import issue_file

from newsletter.content import model as m
from newsletter.content.parse import parse_issue_text
from newsletter.errors import ContentError

HEAD = "---\nsubject: Memo\ndate: 2026-06-02\n---\n"


def _parse(file: str, text: str) -> m.Issue | str:
    try:
        issue = parse_issue_text(file, text)
    except ContentError as e:
        return str(e)
    return issue


def _content(result: m.Issue | str) -> object:
    if isinstance(result, str):
        return re.sub(r"issues/(?:again|fresh-\d+)\.md", "FILE", result)
    return (result.intro, result.items, result.preheader, result.subject)


@st.composite
def edits(draw: st.DrawFn) -> list[str]:
    """An issue file and two later versions of it: lines dropped, repeated or added."""
    versions = [draw(issue_file())]
    for _ in range(2):
        lines = versions[-1].split("\n")
        at = draw(st.integers(0, len(lines)))
        change = draw(st.sampled_from(["drop", "repeat", "add", "reference"]))
        if change == "drop" and at < len(lines):
            del lines[at]
        elif change == "repeat" and at < len(lines):
            lines.insert(at, lines[at])
        elif change == "add":
            lines[at:at] = ["", draw(st.sampled_from(["A new paragraph.", "[x][r] and *y*", "![alt](https://i.example/a.png)",
                                                       "[bad](javascript:alert(1))", "- item"])), ""]
        else:
            lines += ["", "[r]: https://ref.example/r"]
        versions.append("\n".join(lines))
    return versions


@settings(max_examples=150, deadline=None)
@given(edits())
def test_a_parse_with_the_memo_is_a_fresh_parse(versions: list[str]) -> None:
    for n, text in enumerate(versions):
        again = _parse("issues/again.md", text)  # seeded by the previous versions' parses
        fresh = _parse(f"issues/fresh-{n}.md", text)
        assert _content(again) == _content(fresh)


def test_unchanged_paragraphs_are_reused_and_a_changed_one_is_parsed() -> None:
    text = HEAD + "# Story\n\nFirst *paragraph* with [a link](https://a.example/).\n\nSecond paragraph.\n"
    one = parse_issue_text("issues/reuse.md", text)
    two = parse_issue_text("issues/reuse.md", text.replace("Second", "Changed"))
    first_one, second_one = one.stories[0].sections[0].blocks
    first_two, second_two = two.stories[0].sections[0].blocks
    assert first_two.inlines is first_one.inlines  # taken from the memo, not parsed again
    assert second_two.inlines == (m.Text("Changed paragraph."),)
    assert second_two.inlines is not second_one.inlines


def test_a_reference_definition_is_never_answered_from_the_memo() -> None:
    body = HEAD + "# Story\n\nSee [the minutes][r].\n"
    plain = parse_issue_text("issues/refs.md", body)
    assert plain.stories[0].sections[0].blocks[0].inlines == (m.Text("See [the minutes][r]."),)
    linked = parse_issue_text("issues/refs.md", body + "\n[r]: https://minutes.example/\n")
    assert isinstance(linked.stories[0].sections[0].blocks[0].inlines[1], m.Link)
    again = parse_issue_text("issues/refs.md", body)
    assert again.stories[0].sections[0].blocks[0].inlines == (m.Text("See [the minutes][r]."),)


def test_a_paragraph_with_a_problem_is_reported_on_every_parse() -> None:
    text = HEAD + "# Story\n\nA [bad link](javascript:alert(1)).\n"
    for _ in range(2):
        result = _parse("issues/problem.md", text)
        assert isinstance(result, str) and "javascript" in result


def test_a_paragraph_with_an_image_keeps_its_figure_on_every_parse() -> None:
    text = HEAD + "# Story\n\n![The quay at dusk](https://img.example/quay.jpg)\n\nAfter the image.\n"
    for _ in range(2):
        blocks = parse_issue_text("issues/image.md", text).stories[0].sections[0].blocks
        assert [type(b) for b in blocks] == [m.Figure, m.Paragraph]
