"""The Markdown stage: inline rules for merge tags and placeholders, URL rules, image attributes."""

from __future__ import annotations

import pytest

from newsletter.content import model as m
from newsletter.content.markdown import BlockReader, markdown, plain_text
from newsletter.content.urls import url_problem
from newsletter.errors import Problem


def read(text: str) -> tuple[list[m.Block], list[str]]:
    problems: list[Problem] = []
    reader = BlockReader("x.md", text.split("\n"), 1, problems)
    tokens = markdown().parse(text)
    return reader.blocks(tokens, 0, len(tokens)), [str(p) for p in problems]


def inlines(text: str) -> tuple[m.Inline, ...]:
    blocks, problems = read(text)
    assert problems == []
    assert isinstance(blocks[0], m.Paragraph)
    return blocks[0].inlines


@pytest.mark.parametrize("tag", ["*|FNAME|*", "*|MC:SUBJECT|*", "*|UNSUB|*", "*|ARCHIVE_URL|*"])
def test_merge_tags_are_one_literal_node(tag: str) -> None:
    assert inlines(f"Hi {tag} and *|LNAME|*!") == (
        m.Text("Hi "), m.MergeTag(tag), m.Text(" and "), m.MergeTag("*|LNAME|*"), m.Text("!"))


def test_merge_tag_inside_emphasis_keeps_both() -> None:
    assert inlines("*Hello *|FNAME|**") == (m.Emphasis((m.Text("Hello "), m.MergeTag("*|FNAME|*"))),)


def test_things_that_only_look_like_merge_tags_are_text() -> None:
    assert inlines("an unclosed *|FNAME here") == (m.Text("an unclosed *|FNAME here"),)
    assert inlines("*|lower case|*") != (m.MergeTag("*|lower case|*"),)


@pytest.mark.parametrize(
    ("text", "node"),
    [("%%first_name%%", m.Placeholder("first_name")), ("%%first_name|reader%%", m.Placeholder("first_name", "reader")),
     ("%%city|the harbor%%", m.Placeholder("city", "the harbor"))],
)
def test_placeholders(text: str, node: m.Placeholder) -> None:
    assert inlines(f"Hi {text}.") == (m.Text("Hi "), node, m.Text("."))


def test_percent_signs_that_are_not_placeholders_are_text() -> None:
    assert inlines("Up 50%% on 10%") == (m.Text("Up 50%% on 10%"),)


def test_raw_html_and_entities_are_text() -> None:
    assert inlines("<b>x</b> &amp; &lt;i&gt; <!DOCTYPE html>") == (m.Text("<b>x</b> & <i> <!DOCTYPE html>"),)
    blocks, _ = read("<div>\n<script>alert(1)</script>\n</div>\n")
    assert plain_text(blocks[0].inlines) == "<div> <script>alert(1)</script> </div>"  # type: ignore[union-attr]


def test_image_with_link_attribute() -> None:
    blocks, problems = read('![Map](https://example.com/m.png){link="https://example.com/map"}\n')
    assert problems == []
    assert blocks == [m.Figure("https://example.com/m.png", "Map", 1, link="https://example.com/map")]


@pytest.mark.parametrize(
    "url",
    ["https://example.com/", "http://example.com/a?b=c", "mailto:desk@example.com", "tel:+15550100",
     "*|UNSUB|*", "#story-2"],
)
def test_allowed_link_urls(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(1)", "javascript"), ("JAVASCRIPT:alert(1)", "javascript"),
        (" javascript:alert(1)", "javascript"), ("java\tscript:alert(1)", "javascript"),
        ("&#106;avascript:alert(1)", "javascript"), ("&#x6A;avascript:alert(1)", "javascript"),
        ("&#0000106;avascript:alert(1)", "javascript"), ("%6Aavascript:alert(1)", "javascript"),
        ("%256Aavascript:alert(1)", "javascript"), ("&amp;#106;avascript:alert(1)", "javascript"),
        ("jav&#x09;ascript:alert(1)", "javascript"), ("data:text/html,<script>", "data"),
        ("vbscript:msgbox", "vbscript"), ("file:///etc/passwd", "file"),
    ],
)
def test_forbidden_link_urls(url: str, scheme: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert scheme in problem or "hides its scheme" in problem


def test_image_urls_are_stricter() -> None:
    assert url_problem("https://example.com/a.png", image=True) is None
    assert url_problem("mailto:a@example.com", image=True) == "image URL scheme 'mailto:' is not allowed (use https, http)"
    assert url_problem("*|IMG|*", image=True) == "an image source can't be an email-service tag"
    assert url_problem("/relative.png", image=True) == "'/relative.png' is not an absolute URL (write https://...)"
