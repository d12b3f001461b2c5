"""The server-side views: No styles, Images off, Dark, Text and Source."""

from __future__ import annotations

from newsletter.checks.plaintext import as_read, too_long
from newsletter.preview.variants import (
    ALWAYS,
    NEVER,
    apply_views,
    dark,
    images_off,
    links_in_new_tabs,
    source_page,
    text_page,
    without_styles,
)

EMAIL = """<!doctype html><html><head>
<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">
<style type="text/css">p { margin: 0; }</style>
<STYLE media="screen and (min-width:480px)">.col { width: 100% !important; }</STYLE>
<style>
.a { color: red; }
@media only screen and (max-width: 480px) { .h { font-size: 26px !important; } }
@media (prefers-color-scheme: dark) {
  body { background-color: #111111 !important; }
  .nl-body p { color: #eeeeee !important; }
}
@media (prefers-color-scheme: light) { body { background-color: #ffffff; } }
</style>
<link rel="stylesheet" href="https://cdn.example/x.css">
</head><body style="background:#fff">
<p style="color:#222">Hello</p>
<img src="https://img.example/a.png" alt="A tide gauge &amp; pier" width="560">
<img src="https://img.example/spacer.gif" alt="">
<IMG SRC="https://img.example/b.png" ALT='Second'/>
</body></html>"""


def test_no_styles_removes_every_style_block_and_stylesheet_but_keeps_inline_styles() -> None:
    out = without_styles(EMAIL)
    assert "<style" not in out.lower()
    assert "stylesheet" not in out
    assert 'style="color:#222"' in out and 'style="background:#fff"' in out
    assert "Hello" in out


def test_images_off_shows_alt_text_instead_of_images() -> None:
    out = images_off(EMAIL)
    assert "<img" not in out.lower()
    assert "A tide gauge &amp; pier" in out  # escaped once, as it was
    assert "Second" in out
    assert "width:560px" in out
    assert out.count("nl-preview-alt") == 2  # the decorative image (alt="") leaves nothing


def test_images_off_escapes_alt_text() -> None:
    out = images_off('<img src="x" alt="&lt;script&gt;alert(1)&lt;/script&gt;">')
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_dark_makes_the_dark_rules_apply_and_the_light_rules_not() -> None:
    out = dark(EMAIL)
    assert "prefers-color-scheme" not in out
    assert f"@media {ALWAYS} {{\n  body {{ background-color: #111111 !important; }}" in out
    assert f"@media {NEVER} {{ body {{ background-color: #ffffff; }} }}" in out
    # other media queries are untouched
    assert "@media only screen and (max-width: 480px) { .h { font-size: 26px !important; } }" in out
    assert '<meta name="color-scheme" content="dark">' in out
    assert 'content="light dark"' not in out
    assert out.index('content="dark"') < out.index("</head>")


def test_dark_forces_only_the_colour_scheme_and_keeps_the_other_conditions() -> None:
    """Any condition that mentioned the dark scheme was made unconditional: a phone-only dark
    rule applied at desktop width, and a rule for 'not dark' applied in dark."""
    cases = {
        "(prefers-color-scheme: dark) and (max-width:480px)": f"{ALWAYS} and (max-width:480px)",
        "not all and (prefers-color-scheme: dark)": f"not all and {ALWAYS}",
        "not all and (prefers-color-scheme:light)": f"not all and {NEVER}",
        "screen and (PREFERS-COLOR-SCHEME : Dark), print": f"screen and {ALWAYS}, print",
        "only screen and (max-width: 480px)": "only screen and (max-width: 480px)",
    }
    for condition, forced in cases.items():
        assert dark(f"<style>@media {condition} {{ p {{ color: red; }} }}</style>") \
            .endswith(f"<style>@media {forced} {{ p {{ color: red; }} }}</style>"), condition
    out = dark('<head><style media="(prefers-color-scheme: dark)">p { color: red; }</style></head>')
    assert out.startswith(f'<head><style media="{ALWAYS}">p {{ color: red; }}</style><meta')


def test_views_combine_in_a_fixed_order() -> None:
    out = apply_views(EMAIL, ["imagesoff", "nostyles", "dark", "unknown"])
    assert "<style" not in out and "<img" not in out.lower()
    assert apply_views(EMAIL, []) == EMAIL


def test_text_page_escapes_and_marks_lines_over_78_columns() -> None:
    text = "Short line <b>\n" + "x" * 79 + "\n" + "y" * 78 + "\n"
    page = text_page(text)
    assert "&lt;b&gt;" in page and "<b>" not in page
    assert f'<span class="long" title="79 columns">{"x" * 79}</span>' in page
    assert '<span class="long" title="78 columns">' not in page
    assert "78ch" in page


def test_text_page_marks_what_the_gate_calls_too_long_and_nothing_else() -> None:
    """It marked every line over 78 columns, while the gate allows a lone URL and judges a
    line with the service's tags filled in: the view and `check` disagreed."""
    url = "<https://dispatch.example/a?utm_source=dispatch&utm_medium=email&utm_campaign=2026-06-02-tides>"
    tag = "{% if subscriber.metadata.first_name %}{{ subscriber.metadata.first_name }}{% else %}friend{% endif %}"
    text = f"{url}\n  - {url}\nHello {tag}, and welcome.\n" + "word " * 20 + "\n"
    page = text_page(text, page="https://dispatch.example/issues/2026-06-02-tides/")
    assert page.count('class="long"') == 1
    assert '<span class="long" title="100 columns">' + "word " * 19 + "word </span>" in page
    lines = text.split("\n")
    assert too_long(as_read(text, "https://dispatch.example/").split("\n")) == [4]
    assert len(lines[2]) > 78  # the tag line is long only as written


def test_source_page_shows_the_html_escaped() -> None:
    page = source_page(EMAIL)
    assert "&lt;!doctype html&gt;" in page
    assert "<img" not in page.lower()


def test_links_open_in_a_new_tab_in_the_frame_view() -> None:
    out = links_in_new_tabs(EMAIL)
    assert out.count('<base target="_blank">') == 1
    assert out.index('<base target="_blank">') < out.index("</head>")
