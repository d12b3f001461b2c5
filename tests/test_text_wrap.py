"""The text part's fast word wrap gives textwrap's lines exactly, for any input."""

from __future__ import annotations

import textwrap

from hypothesis import example, given, settings, strategies as st

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


# ---- text without spaces between words (Chinese, Japanese) -------------------------------

from newsletter.render.text import WIDE, words_in, wrap  # noqa: E402


def columns(line: str) -> int:
    return sum(2 if WIDE.fullmatch(ch) else 1 for ch in line)


_CJK = st.sampled_from(["港", "口", "潮", "汐", "は", "、", "。", "「", "」", "ア", "hello", "https://x.example/a-b",
                        " ", "１"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_CJK, min_size=1, max_size=120).map("".join), st.sampled_from([20, 40, 76]),
       st.sampled_from([("", ""), ("- ", "  "), ("> ", "> ")]))
# An opening bracket alone before a long word: it went on a line of its own.
@example(" 「https://x.example/a-b", 20, ("", ""))
def test_wide_text_wraps_within_the_width_and_loses_nothing(text: str, width: int, lead: tuple[str, str]) -> None:
    first, indent = lead
    lines = wrap(text, width, indent=indent, first=first).split("\n")
    assert "".join(line[len(first if n == 0 else indent):] for n, line in enumerate(lines)).replace(" ", "") == \
        text.replace(" ", "")
    for n, line in enumerate(lines):
        body = line[len(first if n == 0 else indent):]
        hanging = body.rstrip("。、，．！？：；」』）】〕〉》・ー〜 ")  # closing punctuation stays on its line
        hanging = hanging.lstrip(" ") if n == 0 else hanging  # the text's own indentation is kept
        if columns(line) - columns(body) + columns(hanging) + (len(body) - len(body.lstrip(" ")) if n == 0 else 0) \
                > width:  # only a word too long for any line (after the text's own indentation)
            assert " " not in hanging and not WIDE.search(hanging.lstrip("「『（【〔〈《")), line
        assert body[:1] not in "。、」" or n == 0, line
        assert not body.endswith("「") or len(body) == 1 or n == len(lines) - 1, line


def test_a_japanese_paragraph_wraps_and_counts_each_character() -> None:
    text = "港口管理局は火曜日、新しい潮汐表を発表した。" * 6
    lines = wrap(text).split("\n")
    assert len(lines) == 4 and max(columns(line) for line in lines) <= 76
    assert words_in(text) == len(text.replace("、", "").replace("。", ""))  # punctuation is no word
    assert words_in("潮汐\u3000表") == 3  # nor the ideographic space
    assert words_in("Tide tables 港口 for the week") == 7
    assert words_in("한국어 문장은 띄어쓰기가 있습니다") == 4  # Korean counts its words


def test_wide_wrapping_keeps_indentation_no_break_spaces_and_knows_extension_b() -> None:
    assert wrap("    return 1  # 返回一") == "    return 1  # 返回一"  # a line of code
    assert wrap("港口 10\xa0km 的潮汐", 8) == "港口\n10\xa0km 的\n潮汐"  # the no-break space holds
    assert [columns(line) for line in wrap("𠮷" * 60).split("\n")] == [76, 44]
