"""`newsletter send-test`: build one issue and send it to yourself over SMTP.

The message is the issue's email.eml with "[TEST] " before the subject, the merge tags
swapped for sample values (a first name of "Sample", the recipient's own address, link
tags pointing at the issue's web page) so it reads as a reader would see it, a fresh
Date and Message-ID (inboxes drop a second message with the same Message-ID), and To
set to the test addresses.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import os
import re
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import click

from newsletter.build import render_issue, write_issue
from newsletter.content import model as m
from newsletter.content.urls import page_url
from newsletter.deliver.eml import build_message
from newsletter.deliver.esp import PROFILES, fill_placeholders, replace_tags, sample_value
from newsletter.deliver.smtp import DEFAULT_PORTS, SmtpTarget, send_message
from newsletter.errors import NewsletterError, Problem, display_path
from newsletter.render.context import issue_links
from newsletter.settings import Settings
from newsletter.workspace import Workspace, open_workspace

PASSWORD_ENV = "NEWSLETTER_SMTP_PASSWORD"
TEST_PREFIX = "[TEST] "

_ADDRESS = re.compile(r"^[^@\s,<>;\"]+@[^@\s,<>;\"]+\.[^@\s,<>;\"]+$|^[^@\s,<>;\"]+@localhost$")


@dataclass
class SampleSend:
    """The test message send-test would send, and the parts it was made from."""

    message: EmailMessage
    html: str
    text: str
    subject: str


def parse_recipients(value: str) -> list[str]:
    addresses = [a.strip() for a in value.split(",") if a.strip()]
    if not addresses:
        raise NewsletterError("no recipients: pass --to ADDR[,ADDR] or set smtp.to in newsletter.yaml")
    for a in addresses:
        if not _ADDRESS.match(a):
            raise NewsletterError(f"'{a}' is not an email address (--to takes ADDR[,ADDR])")
    return addresses


def parse_server(value: str, security: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        return value, DEFAULT_PORTS[security]
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise NewsletterError(f"--smtp '{value}' must be HOST:PORT, e.g. smtp.example.com:587")
    return host.strip("[]"), int(port)


def find_issue(ws: Workspace, issue: str) -> Path:
    """ISSUE as a path to the file, or its slug / file name in issues/."""
    path = ws.issue_arg(Path(issue))
    if path.is_file():
        return path
    for candidate in ws.issue_files():
        if issue in (candidate.stem, candidate.name):
            return candidate
    raise NewsletterError(Problem(str(ws.issues_dir), 0, f"no issue '{issue}'", "give the file path or its name without .md"))


def sample_text(value: str, *, email: str, link: str, escape: bool) -> str:
    def sample(name: str, fallback: str, raw: str) -> str:
        out = sample_value(name, fallback, email=email, link=link)
        return html_lib.escape(out, quote=True) if escape else out

    return replace_tags(value, sample)


def sample_send(html: str, text: str, issue: m.Issue, settings: Settings, recipients: list[str]) -> SampleSend:
    """The issue's message as a test send: tags as sample values, [TEST] subject, fresh ids."""
    links = issue_links(issue, settings)
    page = page_url(settings.web_url, issue.slug)
    email = recipients[0]
    html_s = sample_text(html, email=email, link=page, escape=True)
    text_s = sample_text(text, email=email, link=page, escape=False)
    subject = fill_placeholders(issue.subject, PROFILES[settings.esp])
    subject = TEST_PREFIX + sample_text(subject, email=email, link=page, escape=False)
    unsubscribe = links.unsubscribe if links.unsubscribe.startswith("https://") else ""
    msg = build_message(html=html_s, text=text_s, subject=subject, settings=settings, issue=issue,
                        unsubscribe_url=unsubscribe)
    del msg["To"], msg["Date"], msg["Message-ID"]
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = make_msgid("test", settings.sender.email.rpartition("@")[2] or None)
    return SampleSend(msg, html_s, text_s, subject)


def password_for(user: str) -> str:
    if not user:
        return ""
    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value
    if not sys.stdin.isatty():  # piped in (getpass would print warnings about echoing it first)
        click.echo(f"SMTP password for {user}: ", err=True, nl=False)
        line = sys.stdin.readline()
        if not line:
            click.echo(err=True)  # end the prompt's line
            raise NewsletterError(Problem("", 0, f"--user {user} needs a password: none was piped in, and there "
                                          "is no terminal to ask for it", f"set {PASSWORD_ENV}"))
        return line.rstrip("\r\n")
    return str(click.prompt(f"SMTP password for {user}", hide_input=True, err=True))


def run_send_test(issue: str, *, to: str | None, smtp: str | None, security: str | None, user: str | None,
                  cafile: str | None, workspace: Path | None) -> None:
    ws = open_workspace(workspace)
    for warning in ws.settings.warnings:
        click.echo(f"Warning: {warning}", err=True)
    cfg = ws.settings.smtp
    recipients = parse_recipients(to if to is not None else cfg.to)
    mode = security or cfg.security
    if smtp:
        host, port = parse_server(smtp, mode)
    else:
        host, port = cfg.host, cfg.port
    login = user if user is not None else cfg.user
    path = find_issue(ws, issue)
    # Build (and write) the issue as `build` would, so what is sent is what is in out/.
    result = render_issue(ws, path)
    write_issue(ws, result)
    message = sample_send(result.html, result.text, result.issue, ws.settings, recipients)
    target = SmtpTarget(host, port, mode, login, password_for(login), cafile or "")
    send_message(message.message, recipients, target)
    where = display_path(ws.out_for(result.slug) / "email.eml")
    click.echo(f"Sent {where} as '{message.subject}' to {', '.join(recipients)} via {target.where}"
               f"{'' if mode == 'none' else ' (' + mode + ')'}")
