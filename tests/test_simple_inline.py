"""Simple inline text read without markdown-it's inline parser (newsletter/content/simple_inline.py):
whatever it accepts must read exactly as markdown-it reads it, and it must accept the prose
issues are mostly made of."""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings, strategies as st

from benchmarks.generate import issue_text
from newsletter.content import markdown
from newsletter.content import model as m
from newsletter.content.parse import parse_issue_text
from newsletter.content.simple_inline import simple_inlines
from newsletter.errors import ContentError

ROOT = Path(__file__).resolve().parent.parent
HEAD = "---\nsubject: Simple\ndate: 2026-06-02\n---\n"
_files = count()


def _read(text: str, simple: bool) -> object:
    """The issue's content (or its error), read with or without the simple path; a new file
    name each time, so that no parse memo is involved."""
    with mock.patch.object(markdown, "SIMPLE_INLINES", simple):
        try:
            issue = parse_issue_text(f"issues/t{next(_files)}.md", text)
        except ContentError as e:
            return re.sub(r"issues/t\d+\.md", "FILE", str(e))
    return (issue.intro, issue.items, issue.preheader, issue.subject)


#: Pieces of inline text: words and spaces, every character an inline rule acts on, and the
#: forms the simple path reads, whole and broken.
PIECES = [
    "harbour", "Port", "tide", "9", "B2", "naïve", "é", " ", " ", " ", "  ", "\t", "\n", "\n\n", "\n ", " \n",
    ".", ",", ":", ";", "!", "?", "(", ")", '"', "'", "-", "/", "#", "+", "=", "~", "^", "$", "@", "|",
    "*", "**", "***", "_", "__", "___", "[", "]", "](", "(", "[a b]", "(https://x.example/a)",
    "[a b](https://x.example/p?q=1&r=2)", "[x](http://Example.com)", "[ ](https://x.example)",
    "[x](javascript:alert(1))", "[x](https://x.example/a_b*c)", "[x](https://x.example/(a))",
    "[x](https://x.example \"t\")", "[x](<https://x.example>)", "[x](https://x.example){.no-track}",
    "[*x*](https://x.example)", "[a\nb](https://x.example)", "[x](https://x.example/é)",
    "[x](https://x.example/a%20b)", "[x](https://x.example/a|b)", "[x](https://X.example)",
    "[x](https://x.example:8080/)", "![a](https://x.example/i.png)", "*word*", "**two words**", "_w_", "__w__",
    "*Label:*", "**Label:**", "*a.*", "*(a)*", "*a*b", "a*b*", "&amp;", "&", "&x", "&x;", "&#38;", "%",
    "%%", "%%name%%", "*|FNAME|*", "\\", "\\*", "`", "`code`", "<", ">", "<https://x.example>", "{", "}",
    "\u00a0", "\u2003", "—", "“", "”", "- ", "> ", "1. ", "# ", ":::", "    ",
]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=24))
def test_what_the_simple_path_reads_is_what_markdown_it_reads(pieces: list[str]) -> None:
    text = HEAD + "".join(pieces) + "\n"
    assert _read(text, simple=True) == _read(text, simple=False)


#: Few pieces, so that every pair of them meets: emphasis and links next to words and punctuation.
FLANKS = ["w", "x1", "é", " ", "\n", "\u00a0", "*", "**", "_", "__", ".", ":", "(", ")", '"', "'", "-", "!",
          "[", "]", "[w]", "(https://x.example/a)"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(FLANKS), min_size=1, max_size=12))
def test_emphasis_and_links_next_to_anything_read_the_same_either_way(pieces: list[str]) -> None:
    text = HEAD + "Lead paragraph.\n\n" + "".join(pieces) + "\n"
    assert _read(text, simple=True) == _read(text, simple=False)


def test_every_emphasis_and_link_between_every_pair_of_neighbours_reads_the_same_either_way() -> None:
    """Exhaustive where CommonMark is subtle: whether a run of '*' or '_' opens or closes depends on
    the characters on either side of it."""
    sides = ["", "w", "1", "é", " ", "\n", "\u00a0", ".", ":", "(", ")", '"', "'", "-", "*", "_", "]"]
    middles = [f"{d}{inner}{d}" for d in ("*", "**", "***", "_", "__") for inner in
               ("w", "w w", ".w", "w.", " w", "w ", "w:", "(w)", "w_w", "w*w")]
    middles += ["[w](https://x.example/a)", "[w w](https://x.example/a_b)", "[ w](https://x.example)",
                "[w\nw](https://x.example)"]
    wrong = []
    for before in sides:
        for middle in middles:
            for after in sides:
                text = HEAD + "Lead.\n\nx" + before + middle + after + "x\n"
                if _read(text, simple=True) != _read(text, simple=False):
                    wrong.append(before + middle + after)
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab *_[]()\n.:!&%\\`<>{}|#;\t\u00a0", max_size=40))
def test_any_short_text_reads_the_same_either_way(body: str) -> None:
    text = HEAD + "Lead paragraph.\n\n" + body + "\n"
    assert _read(text, simple=True) == _read(text, simple=False)


@pytest.mark.parametrize("text, expected", [
    ("Plain prose, with: punctuation - and 'quotes'.", (m.Text("Plain prose, with: punctuation - and 'quotes'."),)),
    ("Two\nlines", (m.Text("Two lines"),)),
    ("See [the report](https://x.example/r?a=1&b=2) now.",
     (m.Text("See "), m.Link("https://x.example/r?a=1&b=2", (m.Text("the report"),)), m.Text(" now."))),
    ("A *big* and **bold** _claim_.",
     (m.Text("A "), m.Emphasis((m.Text("big"),)), m.Text(" and "), m.Strong((m.Text("bold"),)), m.Text(" "),
      m.Emphasis((m.Text("claim"),)), m.Text("."))),
    ("**Port Ellery:** the berth reopens.", (m.Strong((m.Text("Port Ellery:"),)), m.Text(" the berth reopens."))),
])
def test_common_prose_takes_the_simple_path(text: str, expected: tuple[m.Inline, ...]) -> None:
    assert simple_inlines(text) == expected


@pytest.mark.parametrize("text", [
    "an escaped \\* star", "some `code`", "AT&amp;T", "a <b> tag", "[x](https://x.example){.no-track}",
    "![alt](https://x.example/a.png)", "%%first_name%%", "*|FNAME|*", "snake_case_name", "a*b*c",
    "*unclosed", "[label] alone", "[x](https://x.example \"title\")", "[x](javascript:alert(1))",
    "hard  \nbreak", "*Label:*word", "**a*", "[x](HTTPS://X.EXAMPLE)",
])
def test_anything_else_goes_to_markdown_it(text: str) -> None:
    assert simple_inlines(text) is None


def test_most_of_an_issue_takes_the_simple_path_and_reads_the_same() -> None:
    texts = [issue_text(seed) for seed in range(6)] + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "issues").glob("*.md"))]
    taken = total = 0
    real = markdown.simple_inlines

    def counting(content: str) -> tuple[m.Inline, ...] | None:
        nonlocal taken, total
        found = real(content)
        total += 1
        taken += found is not None
        return found

    for text in texts:
        with mock.patch.object(markdown, "simple_inlines", counting):
            simple = _read(text, simple=True)
        assert simple == _read(text, simple=False)
    assert total > 300 and taken / total > 0.95
