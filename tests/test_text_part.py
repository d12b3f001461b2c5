"""The plain-text part: every paragraph and link of the issue, wrapped at 76, URLs never broken."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.content import model as m
from newsletter.content.markdown import plain_text
from newsletter.content.parse import parse_issue_file
from newsletter.render.context import format_updated

LONG_URL = "https://harbor.example/reports/2026/06/02/" + "a-very-long-path-segment-" * 5 + "end?query=one&two=three"

ISSUE = f"""\
---
subject: "Text part"
date: 2026-06-02
---
An intro paragraph that is long enough to need wrapping at seventy-six columns, with a
[first link](https://example.com/first) inside it and more words after the link to be sure.

# Pilots at night

The lede talks about pilots who guide ships in the dark, and it goes on for a while so that it wraps.

## The News

A paragraph with a very long URL: [the full report]({LONG_URL}) which must not break.

- A list item with [a link](https://example.com/list) in it, also long enough to need wrapping.
- A second item.

1. Ordered one.
2. Ordered two.

> A blockquote from someone who spoke at length about tides, currents and the weather offshore.

![Two pilot boats at dawn](https://example.com/boats.jpg "Pilot boats wait for the tide."){{credit="R. Hale/Harbor Photo"}}

## Room for Disagreement

Bare URL autolink: <https://example.com/bare> and an email <mailto:desk@example.com>.

::: sponsor
Sponsored words with [the sponsor's site](https://sponsor.example/landing).
:::

::: quote
"The sea is patient."
-- A harbor master
:::
"""


def build(workspace: Path) -> tuple[m.Issue, str]:
    path = workspace / "issues" / "2026-06-02-tides.md"
    path.write_text(ISSUE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    text = (workspace / "out" / "2026-06-02-tides" / "email.txt").read_text(encoding="utf-8")
    return parse_issue_file(path), text


def paragraphs(blocks: tuple[m.Block, ...]) -> list[m.Paragraph]:
    out: list[m.Paragraph] = []
    for block in blocks:
        if isinstance(block, m.Paragraph):
            out.append(block)
        elif isinstance(block, m.Quote):
            out.extend(paragraphs(block.blocks))
        elif isinstance(block, m.ListBlock):
            for item in block.items:
                out.extend(paragraphs(item))
    return out


def links(inlines: tuple[m.Inline, ...]) -> list[m.Link]:
    out: list[m.Link] = []
    for node in inlines:
        if isinstance(node, m.Link):
            out.append(node)
        if isinstance(node, (m.Emphasis, m.Strong, m.Link)):
            out.extend(links(node.children))
    return out


def all_paragraphs(issue: m.Issue) -> list[m.Paragraph]:
    found = paragraphs(issue.intro)
    for item in issue.items:
        if isinstance(item, m.Story):
            for section in item.sections:
                found.extend(paragraphs(section.blocks))
        else:
            found.extend(paragraphs(item.blocks))
    return found


def test_every_paragraph_and_link_appears(workspace: Path) -> None:
    issue, text = build(workspace)
    flat = " ".join(text.replace("<", " ").replace(">", " ").split())  # links are written text <URL>
    found = all_paragraphs(issue)
    assert len(found) >= 10
    for paragraph in found:
        for word in plain_text(paragraph.inlines).split():
            assert word.strip(".,:;") in flat, word
        for link in links(paragraph.inlines):
            assert link.url.removeprefix("mailto:") in text, link.url
    assert LONG_URL in text.split("\n") or any(line.strip().strip("<>.") == LONG_URL for line in text.split("\n"))


def test_lines_are_at_most_76_columns_except_lone_urls(workspace: Path) -> None:
    _, text = build(workspace)
    for line in text.split("\n"):
        if len(line) > 76:
            assert re.fullmatch(r"\s*\S*https?://\S+", line), f"long line is not a lone URL: {line!r}"


def test_no_url_is_broken(workspace: Path) -> None:
    _, text = build(workspace)
    urls = re.findall(r"https?://[^\s<>]+", text)
    assert LONG_URL in urls
    for url in urls:
        assert not url.endswith(("-", "/a-very")), url


def test_labels_captions_credits_and_footer(workspace: Path) -> None:
    _, text = build(workspace)
    for needle in ("PILOTS AT NIGHT", "THE NEWS", "ROOM FOR DISAGREEMENT", "Pilot boats wait for the tide.",
                   "R. Hale/Harbor Photo", "A harbor master", "https://dispatch.example/unsubscribe",
                   "1 Test Street, Testville", "Text part", "June 2, 2026"):
        assert needle in text, needle
    assert re.search(r"(?i)sponsor|presented by", text)


EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "issues").glob("*.md"))


def test_every_paragraph_and_link_of_the_example_issues_appears(repo_workspace: Path) -> None:
    assert EXAMPLES, "the repository has example issues"
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    for example in EXAMPLES:
        issue = parse_issue_file(repo_workspace / "issues" / example.name)
        text = (repo_workspace / "out" / issue.slug / "email.txt").read_text(encoding="utf-8")
        flat = " ".join(text.replace("<", " ").replace(">", " ").split())
        for paragraph in all_paragraphs(issue):
            words = " ".join(plain_text(paragraph.inlines).split())
            for word in words.split():
                assert word.strip(".,:;") in flat, (example.name, word)
            for link in links(paragraph.inlines):
                assert link.url.removeprefix("mailto:") in text, (example.name, link.url)
        # The content's lines (from the contents list to the footer rule); the theme's own
        # masthead and footer lines are the theme's business (tests/test_theme.py, goldens).
        body = text.split("\n----\n")[0].split("IN THIS ISSUE", 1)[-1]
        for line in body.split("\n"):
            if len(line) > 76:
                assert re.fullmatch(r"\s*\S*https?://\S+", line), (example.name, line)


def test_view_sections_keep_their_name_and_place_in_both_parts(workspace: Path) -> None:
    (workspace / "issues" / "2026-06-02-tides.md").write_text(
        "---\nsubject: Views\ndate: 2026-06-02\n---\n# S\n\nLede.\n\n## the view from Lisbon\n\nFrom there.\n\n"
        "## ANA'S VIEW\n\nHers.\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    out = workspace / "out" / "2026-06-02-tides"
    html = (out / "email.html").read_text(encoding="utf-8")
    text = (out / "email.txt").read_text(encoding="utf-8")
    assert "THE VIEW FROM LISBON\n--------------------\n" in text and "ANA'S VIEW\n" in text
    assert re.search(r"(?i)the view from lisbon", html) and re.search(r"(?i)ana(&#39;|&#x27;|'|’)s view", html)


@pytest.mark.parametrize(("written", "tz", "shown"), [
    ("2026-06-02T14:27:00-04:00", "America/New_York", "Updated Jun 2, 2026, 2:27pm EDT"),
    ("2026-06-02T18:27:00+00:00", "America/New_York", "Updated Jun 2, 2026, 2:27pm EDT"),
    # Without an offset: the newsroom's own clock (it printed no zone at all).
    ("2026-06-02T14:27:00", "America/New_York", "Updated Jun 2, 2026, 2:27pm EDT"),
    ("2026-01-05T09:05:00", "Europe/Lisbon", "Updated Jan 5, 2026, 9:05am WET"),
    ("2026-06-02T14:27:00-04:00", "", "Updated Jun 2, 2026, 2:27pm UTC-04:00"),
    ("2026-06-02T14:27:00", "", "Updated Jun 2, 2026, 2:27pm"),
])
def test_updated_line(written: str, tz: str, shown: str) -> None:
    assert format_updated(dt.datetime.fromisoformat(written), tz) == shown


def test_a_japanese_issue_wraps_in_the_text_part_and_counts_its_characters(workspace: Path) -> None:
    paragraph = "港口管理局は火曜日、新しい潮汐表を発表した。夜間の入港は七月から始まる。" * 12
    (workspace / "issues" / "2026-06-02-tides.md").write_text(
        f'---\nsubject: "潮汐表"\ndate: 2026-06-02\n---\n# 夜の水先案内\n\n{paragraph}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--format", "json"], catch_exceptions=False)
    import json

    findings = json.loads(result.stdout)["findings"]
    assert [f["message"] for f in findings if f["rule"] == "plaintext"] == []
    build = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    characters = len(paragraph.replace("、", "").replace("。", "")) + len("夜の水先案内")  # punctuation is no word
    assert f"{characters:,} words" in build.output
    text = (workspace / "out" / "2026-06-02-tides" / "email.txt").read_text(encoding="utf-8")
    from newsletter.render.text import WIDE

    assert max(sum(2 if WIDE.fullmatch(ch) else 1 for ch in line) for line in text.split("\n")) <= 76  # columns
    assert paragraph in text.replace("\n", "")


def test_a_long_unsubscribe_url_stands_on_its_own_line_in_the_footer(workspace: Path) -> None:
    url = "https://dispatch.example/unsubscribe?token=" + "a1b2c3d4" * 12
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(
        "unsubscribe_url: https://dispatch.example/unsubscribe", f"unsubscribe_url: {url}"), encoding="utf-8")
    CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    text = (workspace / "out" / "2026-06-02-tides" / "email.txt").read_text(encoding="utf-8")
    assert f"Unsubscribe:\n{url}\n" in text
    import json

    check = CliRunner().invoke(cli, ["check", "--format", "json"], catch_exceptions=False)
    assert [f["message"] for f in json.loads(check.stdout)["findings"] if f["rule"] == "plaintext"] == []
