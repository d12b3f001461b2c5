"""premailer as configured in newsletter/render/inline.py: each default that would damage
MRML's output is turned off, and each test here fails if that setting goes back."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from newsletter.render.inline import inline_css
from newsletter.render.mjml import compile_mjml
from newsletter.render.tags import TagVault
from newsletter.steps import StepInput, run_steps

MJML = """<mjml lang="en">
  <mj-head>
    <mj-title>Inline test</mj-title>
    <mj-style>@media only screen and (max-width: 480px) { .nl-x { font-size: 20px !important; } }</mj-style>
  </mj-head>
  <mj-body>
    <mj-section><mj-column><mj-text><p class="nl-p">Hello</p></mj-text></mj-column></mj-section>
    <mj-section><mj-column><mj-text><p class="nl-p">Two columns stack on phones.</p></mj-text></mj-column>
    <mj-column><mj-image src="https://harborwatch.example/a.jpg" alt="A quay" width="250px" /></mj-column></mj-section>
  </mj-body>
</mjml>"""

CSS = ".nl-p { margin: 0 0 16px; color: #1F1D1A; mso-line-height-rule: exactly; -webkit-text-size-adjust: 100%; }"


@pytest.fixture(scope="module")
def mrml_html() -> str:
    return compile_mjml(MJML, [])


def steps(html: str, css: str = CSS, vault: TagVault | None = None) -> str:
    return run_steps(html, StepInput(inline_css=css, vault=vault or TagVault()))


def test_mrml_emits_a_lower_case_doctype_and_the_steps_keep_it(mrml_html: str) -> None:
    assert mrml_html.lower().startswith("<!doctype html>")
    assert steps(mrml_html).startswith("<!doctype html>")


def test_important_survives_in_mjml_column_media_queries(mrml_html: str) -> None:
    assert "width:100% !important" in mrml_html  # MRML's column stacking rule
    out = steps(mrml_html)
    assert "width:100% !important" in out
    assert "font-size: 20px !important" in out  # the theme's own media query


def test_theme_css_is_inlined_not_copied_into_a_style_block(mrml_html: str) -> None:
    out = steps(mrml_html)
    assert 'class="nl-p" style="margin:0 0 16px' in out
    assert ".nl-p {" not in out and ".nl-p{" not in out


def test_img_width_attribute_is_not_overwritten() -> None:
    html = ('<!doctype html><html><head></head><body>'
            '<img class="nl-img" src="https://harborwatch.example/a.jpg" alt="A" width="550" style="width:100%;height:auto">'
            '<table width="600"><tr><td align="left" valign="top">x</td></tr></table></body></html>')
    out = inline_css(html, ".nl-img { width: 100%; height: auto; } td { text-align: center; }")
    assert 'width="550"' in out
    assert 'width="100%"' not in out
    assert 'table width="600"' in out


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b".nl-p { color: red; }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def css_server() -> Iterator[str]:
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_linked_stylesheets_are_never_fetched(css_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        attempts.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    html = ('<!doctype html><html><head>'
            f'<link rel="stylesheet" href="{css_server}/theme.css">'
            '<link rel="stylesheet" href="https://fonts.harborwatch.example/serif.css">'
            '</head><body><p class="nl-p">Hi</p></body></html>')
    out = inline_css(html, CSS)
    assert _Recorder.hits == []
    assert attempts == []
    assert "color:red" not in out.replace(" ", "")
    assert 'class="nl-p" style="margin:0 0 16px' in out


def test_no_cssutils_warnings_reach_the_terminal_or_the_log(
    mrml_html: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    noisy = CSS + " .nl-q { mso-table-lspace: 0pt; -ms-interpolation-mode: bicubic; zoom: 1; bogus-prop: 3; }"
    steps(mrml_html.replace('class="nl-p"', 'class="nl-p nl-q"'), css=noisy)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_merge_tag_tokens_come_back_byte_exact(mrml_html: str) -> None:
    vault = TagVault()
    tags = ["*|UNSUB|*", "{{{unsubscribe}}}", "<%asm_group_unsubscribe_raw_url%>", "{{ unsubscribe_url }}",
            "%unsubscribe_url%", "{{{ pm:unsubscribe }}}"]
    links = "".join(f'<a href="{vault.token(t)}">{vault.token(t)}</a>' for t in tags)
    html = mrml_html.replace("<p class=\"nl-p\">Hello</p>", links)
    out = steps(html, vault=vault)
    for tag in tags:
        assert f'href="{tag}">{tag}</a>' in out, tag
    assert vault.prefix not in out


def test_inlining_is_deterministic(mrml_html: str) -> None:
    assert steps(mrml_html) == steps(mrml_html)


def test_the_theme_css_contains_only_inlinable_rules() -> None:
    """Media queries and dark rules belong in responsive.css.j2 (a <style> block), never in
    email.css.j2, which premailer inlines and would otherwise drop or copy into <head>."""
    css = (Path(__file__).resolve().parent.parent / "templates" / "email.css.j2").read_text(encoding="utf-8")
    assert "@media" not in css
    assert ":hover" not in css
