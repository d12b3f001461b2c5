"""A web archive page is made from its issue's email render (one MJML compile and one premailer
run serve both) and is the page a second render with the web settings gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.build import render_issue
from newsletter.cli import cli
from newsletter.deliver.archive import email_as_web_html, web_html, web_page, web_settings
from newsletter.render.theme import theme_dir
from newsletter.workspace import Workspace, open_workspace

ISSUE = """\
---
subject: "Pilots after dark"
date: 2026-06-02
---
Hello %%first_name|Sailor O'Neil é%%, *|FNAME|* again; %%email%% and %%last_name|"Q" & <b>%%.
[Forward](*|FORWARD|*), [online](*|ARCHIVE|*), [q](https://ex.example/a?x=1&y='2'#frag),
[untracked](https://ex.example/nt){.no-track}, [tagged already](https://ex.example/p?utm_source=mine).

# Night arrivals

The lede, with a [link](https://dispatch.example/story?id=4&src=x).

## The News

Facts.
"""


def _settings(root: Path, esp: str) -> None:
    cfg = root / "newsletter.yaml"
    text = cfg.read_text(encoding="utf-8").replace("unsubscribe_url: https://dispatch.example/unsubscribe",
                                                   "unsubscribe_url: https://dispatch.example/unsub?u=1&x=2")
    assert "unsub?u=1&x=2" in text
    cfg.write_text(text + f"esp: {esp}\nutm:\n  source: harbor\n  medium: email\n", encoding="utf-8")
    (root / "issues" / "2026-06-02-tides.md").write_text(ISSUE, encoding="utf-8")


def _second_render(ws: Workspace, path: Path) -> str:
    return web_html(render_issue(Workspace(ws.root, web_settings(ws.settings)), path, extras=False), ws.settings)


@pytest.mark.parametrize("esp", ["generic", "mailchimp", "sendgrid", "mailgun", "buttondown", "postmark"])
def test_page_from_the_email_is_the_web_render(workspace: Path, esp: str) -> None:
    _settings(workspace, esp)
    ws = open_workspace(workspace)
    path = ws.issue_files()[0]
    email = render_issue(ws, path, extras=False)
    derived = email_as_web_html(email, ws.settings)
    assert derived is not None
    assert web_page(derived, ws.settings, email.issue) == web_page(_second_render(ws, path), ws.settings, email.issue)
    assert "utm_" not in derived.replace("utm_source=mine", "") and "Unsubscribe" not in derived
    assert "Sailor O'Neil é" in derived and "Read on the web" not in derived
    assert "Unsubscribe" in email.html and "utm_medium=email" in email.html  # the email keeps them


def test_a_footer_without_the_markers_gets_a_second_render(workspace: Path) -> None:
    """A workspace's own footer that shows the unsubscribe link but doesn't bracket it: the page
    is rendered again with the web settings, so the link still never reaches it."""
    _settings(workspace, "generic")
    footer = (theme_dir() / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
    assert "{{ web_hide.start }}" in footer
    own = workspace / "templates" / "partials"
    own.mkdir(parents=True)
    (own / "footer.mjml.j2").write_text(footer.replace("{{ web_hide.start }}", "").replace("{{ web_hide.end }}", ""),
                                        encoding="utf-8")
    ws = open_workspace(workspace)
    email = render_issue(ws, ws.issue_files()[0], extras=False)
    assert "Unsubscribe" in email.html
    assert email_as_web_html(email, ws.settings) is None
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    page = (workspace / "out" / "archive" / "2026-06-02-tides" / "index.html").read_text(encoding="utf-8")
    assert "Unsubscribe" not in page and "dispatch.example/unsub" not in page and "Night arrivals" in page
