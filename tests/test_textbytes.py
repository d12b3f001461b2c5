"""newsletter.textbytes.utf8: the same bytes as str.encode, encoded once for a string asked about again."""

from __future__ import annotations

from hypothesis import given, strategies as st

from newsletter.textbytes import utf8


@given(st.lists(st.text(), min_size=1, max_size=8))
def test_utf8_is_encode_whatever_was_asked_before(texts: list[str]) -> None:
    for text in texts + texts[::-1]:
        assert utf8(text) == text.encode("utf-8")


def test_the_bytes_of_a_string_just_encoded_are_reused_and_let_go_later() -> None:
    html = "<p>caf\u00e9 \u201cquoted\u201d</p>" * 2000
    first = utf8(html)
    assert utf8(html) is first  # not encoded again
    for n in range(5):
        utf8(f"other {n}")
    again = utf8(html)
    assert again == first and again is not first  # fell out of the last four, encoded afresh
