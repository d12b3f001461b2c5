"""Content is data: merge tags, Jinja syntax, MJML and raw HTML in an issue come out as text."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli

HOSTILE = """\
---
subject: "Hello *|FNAME|* {{ 7*7 }} </title><script>alert(1)</script>"
date: 2026-06-02
preheader: "Preview {{ 7*7 }} <b>bold</b>"
---
Dear *|FNAME|*, your code is *|MC:SUBJECT|* and {{ 7*7 }} and {% if true %}yes{% endif %}.

# A story with </mj-text></mj-column> in its headline

Breaking out: </mj-text></mj-column></mj-section><mj-raw><script>alert(1)</script></mj-raw>

<script>alert("script")</script>

<style>body { display: none }</style>

<iframe src="https://evil.example/"></iframe> <object data="x"></object> <form action="https://evil.example/"><input></form>

<img src="https://evil.example/x.png" onerror="alert(1)"> <a href="https://example.com/" onclick="alert(1)">click</a>

A link [with *|FNAME|* in it](https://example.com/?u=*|UNIQID|*) and `{{ code }}`.

## The News

${7 * 7} #{7 * 7} <%= 7*7 %> {{ settings.name }}
"""

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "form", "input", "mj-raw", "mj-text"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


@pytest.fixture
def built(workspace: Path) -> tuple[str, str]:
    (workspace / "issues" / "2026-06-02-tides.md").write_text(HOSTILE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    out = workspace / "out" / "2026-06-02-tides"
    return (out / "email.html").read_text(encoding="utf-8"), (out / "email.txt").read_text(encoding="utf-8")


def test_merge_tags_are_literal_in_both_parts(built: tuple[str, str]) -> None:
    html, text = built
    for part in (html, " ".join(text.split())):
        assert "Dear *|FNAME|*, your code is *|MC:SUBJECT|*" in part
    assert "<em>|FNAME|</em>" not in html and "<em>FNAME" not in html
    assert 'href="https://example.com/?u=*|UNIQID|*"' in html
    assert "<title>Hello *|FNAME|* {{ 7*7 }} &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in html


def test_template_syntax_is_literal_in_both_parts(built: tuple[str, str]) -> None:
    html, text = built
    for part in (html, " ".join(text.split())):  # the text part is wrapped
        assert "{{ 7*7 }}" in part
        assert "{% if true %}yes{% endif %}" in part
        assert "${7 * 7} #{7 * 7}" in part
        assert "{{ settings.name }}" in part
        assert "49" not in part
        assert "Test Dispatch Test Dispatch" not in part


def test_mjml_in_content_is_just_text(built: tuple[str, str]) -> None:
    html, text = built
    assert "&lt;/mj-text&gt;&lt;/mj-column&gt;" in html
    assert "Breaking out: </mj-text></mj-column></mj-section><mj-raw><script>alert(1)</script></mj-raw>" in " ".join(
        text.split())
    assert "A STORY WITH </MJ-TEXT></MJ-COLUMN> IN ITS HEADLINE" in text


def test_raw_html_is_escaped_and_nothing_executable_reaches_the_email(built: tuple[str, str]) -> None:
    html, _ = built
    parser = Tags()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & FORBIDDEN_TAGS
    handlers = [(tag, name) for tag, attrs in parser.tags for name, _ in attrs if name.lower().startswith("on")]
    assert handlers == []
    assert all("display: none }" not in css and "display:none}" not in css for css in parser.styles)
    hrefs = [value or "" for _, attrs in parser.tags for name, value in attrs if name in ("href", "src")]
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]
    assert "evil.example" not in " ".join(hrefs)
    assert "&lt;script&gt;alert(&quot;script&quot;)&lt;/script&gt;" in html or \
        "&lt;script&gt;alert(\"script\")&lt;/script&gt;" in html
    assert "&lt;img src=&quot;https://evil.example/x.png&quot; onerror" in html or \
        '&lt;img src="https://evil.example/x.png" onerror' in html
