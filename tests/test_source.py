"""Reading an issue file: bytes -> text, front matter split, comments dropped."""

from __future__ import annotations

import pytest

from newsletter.content.source import parse_source, strip_comments
from newsletter.errors import ContentError


def error_of(raw: bytes) -> str:
    with pytest.raises(ContentError) as e:
        parse_source("x.md", raw)
    return str(e.value.problems[0])


def test_front_matter_and_body_are_split_with_the_body_line() -> None:
    src = parse_source("x.md", b"---\nsubject: s\ndate: 2026-06-02\n---\nBody\n")
    assert src.front_matter == "subject: s\ndate: 2026-06-02"
    assert src.body == "Body\n"
    assert src.body_line == 5


def test_bom_and_crlf_are_accepted() -> None:
    src = parse_source("x.md", b"\xef\xbb\xbf---\r\nsubject: s\r\n---\r\nBody\r\n")
    assert src.front_matter == "subject: s"
    assert src.body == "Body\n"


@pytest.mark.parametrize("raw", [b"", b"  \n\n\t\n"])
def test_empty_file(raw: bytes) -> None:
    assert error_of(raw) == "x.md:1: file is empty (start it with front matter: ---, subject:, date:, ---)"


def test_binary_file_names_the_line_of_the_first_nul() -> None:
    assert error_of(b"---\nsubject: x\n\x00\x01") == "x.md:3: file is binary, not a Markdown text file"


def test_latin1_file_says_it_is_not_utf8_and_where() -> None:
    assert error_of(b"---\nsubject: caf\xe9\n---\n") == (
        "x.md:2: file is not UTF-8 text (byte 0xe9 at offset 16) (save it as UTF-8 in your editor)"
    )


def test_missing_and_unclosed_front_matter() -> None:
    assert error_of(b"# Just a story\n").startswith("x.md:1: missing front matter")
    assert error_of(b"---\nsubject: x\n# Story\n").startswith("x.md:1: front matter is not closed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a <!-- x --> b", "a b"),
        ("a <!-- x -->", "a"),
        ("<!-- a --><!-- b -->c", "c"),
        ("para\n<!-- one\ntwo -->\nnext", "para\n\n\nnext"),
        ("start <!-- one\ntwo --> end", "start\n end"),
        ("`<!-- code -->` and <!-- gone -->x", "`<!-- code -->` and x"),
        ("``a <!-- ` -->`` tail", "``a <!-- ` -->`` tail"),
        ("```\n<!-- in a fence -->\n```\n<!-- out -->", "```\n<!-- in a fence -->\n```\n"),
        ("~~~md\n<!-- kept -->\n~~~", "~~~md\n<!-- kept -->\n~~~"),
        ("no comments <here>", "no comments <here>"),
    ],
)
def test_strip_comments(text: str, expected: str) -> None:
    stripped, unclosed = strip_comments(text)
    assert stripped == expected
    assert unclosed == 0


def test_strip_comments_keeps_the_line_count() -> None:
    text = "1\n<!--\n3\n4\n-->\n6 <!-- x\n7 --> 7\n8"
    stripped, _ = strip_comments(text)
    assert stripped.count("\n") == text.count("\n")
    assert stripped.split("\n")[5:] == ["6", " 7", "8"]


def test_unclosed_comment_reports_the_line_it_opens_on() -> None:
    assert strip_comments("a\nb <!-- never\nclosed") == ("a\nb\n", 2)


def test_a_byte_order_mark_at_a_line_start_inside_the_file_is_dropped() -> None:
    """Two files pasted together leave the second one's BOM before its first line, where it
    would turn '# Headline' into plain text."""
    src = parse_source("x.md", "---\nsubject: s\n---\nIntro.\n\ufeff# Story\n\ufeff\ufeff## The News\nA\ufeffB\n".encode())
    assert src.body == "Intro.\n# Story\n## The News\nA\ufeffB\n"  # inside a line it is left alone
