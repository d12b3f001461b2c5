"""premailer's per-rule queries answered from one class index, and its style merge remembered:
the same elements, in the same order, and the same merged styles as premailer's own functions."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from lxml import etree
from lxml.cssselect import CSSSelector

from newsletter.render import inline

DOC = """<!doctype html><html class="nl-p"><head><style class="nl-p">.x{}</style></head><body>
<div class="nl-p">a</div><p class=" nl-p\tnl-lede ">b</p><p class="nl-pp">c</p>
<p class="NL-P">d</p><span class="x nl-p x nl-p">e</span><!-- <p class="nl-p"> -->
<div class="nl-callout-quote"><p class="nl-p">f</p></div><p class="nl-p&#10;nl-link">g</p>
<p class="nl-p\u00a0nl-link">h</p><p class="">i</p><p class="-dash _u">j</p></body></html>"""

SELECTORS = [".nl-p", ".nl-lede", ".nl-link", ".NL-P", ".nl-pp", ".x", ".-dash", "._u", ".absent",
             ".nl-callout-quote .nl-p", "p.nl-p", ".nl-p.nl-lede", "style", "head", "div > .nl-p"]


def _page(html: str) -> etree._Element:
    return etree.fromstring(html, etree.HTMLParser())


def test_every_selector_finds_what_cssselect_finds() -> None:
    inline.prepare_inliner()
    page = _page(DOC)
    for selector in SELECTORS:
        ours = inline._selectors(selector)(page)
        theirs = CSSSelector(selector)(page)
        assert ours == theirs, selector
    assert inline._selectors(".nl-p")(page), "the document has .nl-p elements: the comparison means something"


_TOKEN = st.sampled_from(["a", "b", "nl-p", "A", "a-b", "_c"])
_SPACE = st.sampled_from([" ", "\t", "\n", "\r", "\u00a0", "  ", "\f"])


@st.composite
def _class_value(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_TOKEN, max_size=4))
    out = draw(st.sampled_from(["", " "]))
    for p in parts:
        out += p + draw(_SPACE)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(_class_value(), min_size=1, max_size=8), st.sampled_from([".a", ".b", ".nl-p", ".A", ".a-b", "._c"]))
def test_class_index_agrees_with_cssselect_on_generated_documents(values: list[str], selector: str) -> None:
    inline.prepare_inliner()
    body = "".join(f'<p class="{v}">{i}</p>' for i, v in enumerate(values))
    page = _page(f"<html><body>{body}</body></html>")
    assert inline._selectors(selector)(page) == CSSSelector(selector)(page)


_NESTED_CLASS = st.sampled_from(["a", "b", "a b", "", " b\ta "])


@st.composite
def _nested(draw: st.DrawFn, depth: int = 0) -> str:
    children = draw(st.lists(st.just(None), max_size=3 if depth < 3 else 0))
    inner = "".join(draw(_nested(depth + 1)) for _ in children)
    return f'<div class="{draw(_NESTED_CLASS)}">{inner}x</div>'


@settings(max_examples=200, deadline=None)
@given(st.lists(_nested(), min_size=1, max_size=3), st.booleans(),
       st.sampled_from([".a .b", ".b .a", ".a .a", ".a .absent", ".absent .a"]))
def test_one_class_inside_another_agrees_with_cssselect(divs: list[str], root_class: bool, selector: str) -> None:
    inline.prepare_inliner()
    html = '<html class="a">' if root_class else "<html>"
    page = _page(html + "<body>" + "".join(divs) + "</body></html>")
    assert inline._selectors(selector)(page) == CSSSelector(selector)(page)


def test_a_new_document_gets_a_new_index() -> None:
    inline.prepare_inliner()
    first, second = _page('<p class="a">1</p>'), _page('<p class="b">2</p><p class="a">3</p>')
    assert [e.text for e in inline._selectors(".a")(first)] == ["1"]
    assert [e.text for e in inline._selectors(".a")(second)] == ["3"]


def test_merged_styles_are_premailers() -> None:
    inline.prepare_inliner()
    real = inline._merged.real
    cases = [
        ("", [[("color", "red")], [("margin", "0"), ("color", "blue")]], ["", ""]),
        ("color:green;padding:1px", [[("color", "red")]], [""]),
        ("", [[("color", "red")], [("color", "blue")]], ["", ":hover"]),
        ("margin:0 !important", [], []),
        ("", [[("color", "unset"), ("margin", "0")]], [""]),
    ]
    for inline_style, styles, classes in cases:
        for unset in (False, True):
            expected = real(inline_style, [list(s) for s in styles], list(classes), remove_unset_properties=unset)
            assert inline._merge_styles(inline_style, styles, classes, unset) == expected
            assert inline._merge_styles(inline_style, styles, classes, unset) == expected  # from the memo
