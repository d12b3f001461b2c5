"""Shortcuts in the quality gate's rules and the merge-tag regex find exactly what the plain regular expressions find."""

from __future__ import annotations

import re
from pathlib import Path

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


_ELEMENTS = st.sampled_from(['<td width="700">', '<td width="">', '<td style="min-width:640px">', '<div style="color:red">',
                             '<div class="a b">', '<span class="">', "<!-- c -->", '<p width="x" class="c">', "text",
                             '<table style="width: 100%">', '<img width="600">', "</td>", "</div>", "</table>"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ELEMENTS, max_size=30).map("".join))
def test_xpath_selections_are_the_elements_a_walk_would_find(body: str) -> None:
    import lxml.html

    root = lxml.html.document_fromstring(f"<html><body>{body}</body></html>").find("body")
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    # structure._too_wide looks only at elements that have a width attribute or "width" in their style.
    assert structure._SIZED(root) == [el for el in elements
                                      if el.get("width") is not None or "width" in (el.get("style") or "")]
    # responsive.check collects class tokens from every element.
    assert sorted(responsive._CLASS_VALUES(root)) == sorted(el.get("class") for el in elements
                                                            if el.get("class") is not None)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ:/?#%@[]\t\n .-é\x00\uff03"), max_size=20))
def test_a_plain_https_url_is_what_urlsplit_calls_https(rest: str) -> None:
    # links._link_target accepts these hrefs without parsing them.
    from urllib.parse import urlsplit

    from newsletter.checks import links

    url = "https://" + rest
    if links._plain_https(url):
        assert urlsplit(url).scheme == "https"
    assert links._scheme(url) in ("https", None)  # never raises


def test_a_link_that_urlsplit_cant_parse_is_an_error_finding(workspace: Path) -> None:
    # An unclosed '[' in a URL from newsletter.yaml made urlsplit raise inside the links rule.
    from check_helpers import build_issue, run_rule

    from newsletter.checks import links

    ws, r = build_issue(workspace)
    for bad in ("http://[harbour.example/a", "https://[harbour.example/a"):
        html = r.html.replace("https://dispatch.example/minutes", bad)
        assert bad in html
        found = [f for f in run_rule(links, ws, r, html=html) if f.severity == "error"]
        assert [f.message for f in found] == [f"link is not a valid URL: {bad}"]


def test_the_remembered_theme_listing_follows_added_removed_and_renamed_files(tmp_path: Path) -> None:
    from newsletter.checks.context import theme_files

    theme, ws = tmp_path / "theme", tmp_path / "ws-templates"
    (theme / "partials").mkdir(parents=True)
    (theme / "email.mjml.j2").write_text("a")
    (theme / "partials" / "story.mjml.j2").write_text("b")

    def names() -> list[str]:
        return [str(p.relative_to(tmp_path)) for p in theme_files([ws, theme])]

    assert names() == ["theme/email.mjml.j2", "theme/partials/story.mjml.j2"]
    (theme / "partials" / "toc.mjml.j2").write_text("c")  # added in a sub-folder
    assert names() == ["theme/email.mjml.j2", "theme/partials/story.mjml.j2", "theme/partials/toc.mjml.j2"]
    (theme / "partials" / "story.mjml.j2").rename(theme / "partials" / "card.mjml.j2")
    assert names() == ["theme/email.mjml.j2", "theme/partials/card.mjml.j2", "theme/partials/toc.mjml.j2"]
    (ws / "partials").mkdir(parents=True)  # the workspace's folder appears, and shadows the theme's file
    (ws / "partials" / "toc.mjml.j2").write_text("d")
    assert names() == ["ws-templates/partials/toc.mjml.j2", "theme/email.mjml.j2", "theme/partials/card.mjml.j2"]
    (theme / "email.mjml.j2").unlink()
    assert names() == ["ws-templates/partials/toc.mjml.j2", "theme/partials/card.mjml.j2"]
