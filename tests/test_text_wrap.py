"""The text part's fast word wrap gives textwrap's lines exactly, for any input."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings, strategies as st

from newsletter.render.text import _wrap_words

_PIECES = st.sampled_from(["a", "bb", "word", "x" * 80, " ", "  ", "\t", "\xa0", "\u2003", "\uffff", "é", "-", "—"])


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join), st.sampled_from([5, 10, 20, 76]),
       st.sampled_from(["", "  ", "- ", "1. "]), st.sampled_from(["", "   "]))
def test_same_lines_as_textwrap(line: str, width: int, first: str, indent: str) -> None:
    expected = textwrap.wrap(line, width=width, initial_indent=first, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False)
    assert _wrap_words(line, width, first, indent) == expected


def test_a_paragraph_fills_greedily_and_long_words_stand_alone() -> None:
    url = "<https://harbour.example/" + "a" * 70 + ">"
    lines = _wrap_words(f"one two three {url} four", 20, "", "  ")
    assert lines == ["one two three", "  " + url, "  four"]
