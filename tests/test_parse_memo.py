"""Reading an issue one story at a time (newsletter.content.parse.story_starts), and the parse
memo (newsletter.content.markdown.ParseMemo): parsing a file again reuses the stories and
paragraphs its last parse read, and the result is always what one fresh parse of the whole
body gives."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from hypothesis import given, settings, strategies as st
from test_fuzz import issue_file

from newsletter.content import model as m
from newsletter.content import parse
from newsletter.content.parse import parse_issue_text, story_starts
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
        return re.sub(r"issues/(?:again|fresh-[0-9a-z]+)\.md", "FILE", result)
    return (result.intro, result.items, result.preheader, result.subject)


#: Lines about where one story ends and the next begins: headlines, ':::' blocks, and look-alikes.
STORY_LINES = ["- - - - - - - - - - deep", ":::\u3000", "> ::: sponsor", ">", "A new paragraph.", "[x][r] and *y*", "![alt](https://i.example/a.png)", "[bad](javascript:alert(1))",
               "- item", "# A headline", "#", "# ", "#tag", "\t# tabbed", "   # indented", "    # code", "> # quoted",
               "- # listed", "::: sponsor", "::: quote", ":::", "::::", ":::: signup", "  ::: sitrep", "    :::",
               ":::sponsor", "## The News", "Setext", "===", "---", "```", "~~~", "[r]: https://ref.example/r", ""]


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
            lines[at:at] = draw(st.sampled_from([[""], []])) + [draw(st.sampled_from(STORY_LINES))]
        else:
            lines += ["", "[r]: https://ref.example/r"]
        versions.append("\n".join(lines))
    return versions


def _whole(file: str, text: str) -> m.Issue | str:
    """The issue read as one part: markdown-it over the whole body at once."""
    with mock.patch.object(parse, "story_starts", lambda lines: [0]):
        return _parse(file, text)


@settings(max_examples=300, deadline=None)
@given(edits())
def test_a_parse_story_by_story_and_with_the_memo_is_one_fresh_parse(versions: list[str]) -> None:
    for n, text in enumerate(versions):
        again = _parse("issues/again.md", text)  # seeded by the previous versions' parses
        fresh = _whole(f"issues/fresh-{n}.md", text)
        assert _content(again) == _content(fresh)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(STORY_LINES), max_size=14))
def test_story_lines_in_any_order_read_as_one_parse_reads_them(lines: list[str]) -> None:
    text = HEAD + "Intro.\n\n" + "\n".join(lines) + "\n"
    assert _content(_parse("issues/fresh-a.md", text)) == _content(_whole("issues/fresh-b.md", text))


@pytest.mark.parametrize("body", [
    "- - - - - - - - - - x\n# X\ntext\n",  # past markdown-it's nesting limit the rest of the text is skipped
    "::: sponsor\nb\n:::\u3000\n# X\nc\n",  # only spaces and tabs may follow a closing ':::'
    "::: sponsor\nb\n:::\xa0\n# X\nc\n",
    "- a\n  ::: sponsor\n:::: sponsor\nb\n:::\n#\nc\n::::\n",  # a block the list item's end closes
    "> ::: sponsor\n>\n# X\n",  # a part must end with its line break
])
def test_bodies_found_by_review_read_as_one_parse_reads_them(body: str) -> None:
    # A second pair of eyes found each of these reading differently story by story (or, the
    # last one, crashing in the container plugin).
    text = HEAD + body
    assert _content(_parse("issues/fresh-c.md", text)) == _content(_whole("issues/fresh-d.md", text))


def test_where_an_issue_is_cut_into_stories() -> None:
    lines = ["Intro.", "", "# One", "Text.", "::: sponsor", "# not a story: inside a block", ":::", "",
             "# Two", "#tag", "  # indented", "#", "::: quote", "Unclosed block.", "# not a story"]
    assert story_starts(lines) == [0, 2, 8, 11]
    assert story_starts(["# One", "[a]: https://a.example/", "# Two"]) == [0]  # a reference definition
    assert story_starts(["# One", "```", "# Two", "```", "# Three"]) == [0]  # a code fence
    assert story_starts(["# One", "   ~~~~ py", "# Two", "~~~~", "# Three"]) == [0]  # indented, tildes
    assert story_starts(["# One", "Say ```x``` and ~~~.", "# Two"]) == [0, 2]  # fence marks mid-line
    assert story_starts(["# One", "- a", "  ::: sponsor", "# Two"]) == [0]  # an indented block


def test_unchanged_stories_are_reused_and_a_changed_one_is_read_again() -> None:
    text = HEAD + "# One\n\nFirst story.\n\n# Two\n\nSecond story.\n"
    one = parse_issue_text("issues/stories.md", text)
    two = parse_issue_text("issues/stories.md", text.replace("Second", "Changed"))
    assert two.items[0] is one.items[0]
    assert two.items[1] is not one.items[1] and two.items[1].sections[0].blocks[0].inlines == (m.Text("Changed story."),)
    # A story that moved down a line is read again: its blocks carry their lines.
    three = parse_issue_text("issues/stories.md", text.replace("First story.", "First story.\nOne line more."))
    assert three.items[1].line == one.items[1].line + 1
    assert three.items[1].sections[0].blocks[0].line == one.items[1].sections[0].blocks[0].line + 1


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
