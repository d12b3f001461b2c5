"""Shortcuts in parsing give exactly what the full path gives."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st
from markdown_it.common.normalize_url import normalizeLink

from newsletter.content.urls import PLAIN_URL as _PLAIN_URL
from newsletter.content.urls import _clean

_HOST = st.text(alphabet="abcxyz0189.-", max_size=14)
_REST = st.text(alphabet="aZ09-._~/?#&=+;:,@!$'()*", max_size=30)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["http://", "https://"]), _HOST, st.sampled_from(["", "/", "?", "#"]), _REST)
def test_plain_urls_are_what_markdown_it_normalises_them_to(scheme: str, host: str, sep: str, rest: str) -> None:
    url = scheme + host + sep + rest
    if _PLAIN_URL.match(url):
        assert normalizeLink(url) == url


def test_the_shortcut_is_not_taken_for_urls_markdown_it_changes() -> None:
    for url in ("https://example.com/a b", "https://example.com/%zz", "https://bücher.example/"):
        assert not _PLAIN_URL.match(url)
        assert normalizeLink(url) != url


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_clean_drops_exactly_space_control_and_format_characters(value: str) -> None:
    full = "".join(ch for ch in value if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")))
    if "%" not in value and "&" not in value:  # nothing to unescape: _clean only removes characters
        assert _clean(value) == full


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \r\n\0#-*>", max_size=30))
def test_the_normalize_shortcut_changes_nothing_markdown_it_would_not(source: str) -> None:
    from markdown_it import MarkdownIt

    from newsletter.content.markdown import markdown

    ours = [(t.type, t.content, t.map) for t in markdown().parse(source)]
    theirs = [(t.type, t.content, t.map) for t in MarkdownIt("commonmark", {"html": False}).parse(source)]
    assert ours == theirs
