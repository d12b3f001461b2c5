"""Shortcuts in the quality gate's rules and the merge-tag regex find exactly what the plain regular expressions find."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from newsletter.checks import plaintext, responsive, structure

_OLD_CLASS_ATTR = re.compile(r"""\b(?:css-)?class=["']([^"']*)["']""")
_PIECES = st.sampled_from(["class=", "css-class=", "css-", "x", "é", "-", " ", '"', "'", "a b", "=", "\n", "_"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_class_attribute_regex_matches_the_word_boundary_form(text: str) -> None:
    assert responsive._CLASS_ATTR.findall(text) == _OLD_CLASS_ATTR.findall(text)


def test_class_attribute_regex_on_mjml() -> None:
    mjml = """<mj-text css-class="nl-p a"><p class='nl-lede'>x</p><p xclass="no" data-class="yes">"""
    assert responsive._CLASS_ATTR.findall(mjml) == ["nl-p a", "nl-lede", "yes"] == _OLD_CLASS_ATTR.findall(mjml)


_TEXT = st.lists(st.sampled_from(["**", "*", "__", "_", "[a]", "](", "(u)", "#", "# ", "\n", "  ", "`", "x",
                                  ":::", ":", "<b>", "<", "&amp;", "&", "<https://e.example/>", "!"]),
                 max_size=25).map("".join)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_markdown_residue_guards_never_hide_a_match(text: str) -> None:
    for pattern, _what, needs in plaintext._MARKDOWN:
        if pattern.search(text):
            assert any(s in text for s in needs), (pattern.pattern, text)
    if plaintext._HTML.search(plaintext._URLS.sub("", text)):
        assert "<" in text or "&" in text


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_a_text_without_braces_has_no_template_syntax(text: str) -> None:
    # structure._template_syntax skips the regex when the text has no brace.
    if structure._TEMPLATE.search(text) is not None:
        assert "{" in text or "}" in text


_TAG_PIECES = st.sampled_from(["*|", "|*", "IF:", "FNAME", "ELSE:", "END:IF", "{{", "}}", "{{{", "}}}", "{%", "%}",
                               " if ", " else ", " endif ", "insert ", "first_name", '"default=', '"', "#", "/",
                               "^", "<%", "%>", "%", "recipient", ".x", "_url", "a", " ", "\n", "<p>", "100%"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_TAG_PIECES, max_size=25).map("".join))
def test_placeholder_regex_lookahead_changes_no_match(text: str) -> None:
    from newsletter.deliver import esp

    plain = re.compile(esp._ANY_PLACEHOLDER.pattern.removeprefix("(?=[*{<%])"), re.DOTALL)
    assert esp._ANY_PLACEHOLDER.pattern.startswith("(?=[*{<%])")
    ours = [(m.span(), m.groupdict()) for m in esp._ANY_PLACEHOLDER.finditer(text)]
    assert ours == [(m.span(), m.groupdict()) for m in plain.finditer(text)]
