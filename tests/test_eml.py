"""out/<slug>/email.eml: the message file, parsed back with the email package and scored by
a real SpamAssassin."""

from __future__ import annotations

import email
import re
import subprocess
from email import policy
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli

SLUG = "2026-06-02-tides"


def build(root: Path) -> Path:
    result = CliRunner().invoke(cli, ["build", "-C", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "out"


def add_settings(root: Path, text: str) -> None:
    cfg = root / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + text, encoding="utf-8")


def as_mime_body(text: str) -> str:
    """A MIME text body always ends with a line break; the email package adds one if missing."""
    return text if text.endswith("\n") else text + "\n"


def raw_headers(data: bytes) -> list[bytes]:
    """The header section's physical lines."""
    head = data.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def test_parts_equal_the_built_html_and_text(workspace: Path) -> None:
    out = build(workspace) / SLUG
    data = (out / "email.eml").read_bytes()
    msg = email.message_from_bytes(data, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    text = parts[0].get_content().replace("\r\n", "\n")
    html = parts[1].get_content().replace("\r\n", "\n")
    assert text == as_mime_body((out / "email.txt").read_text(encoding="utf-8"))
    assert html == as_mime_body((out / "email.html").read_text(encoding="utf-8"))


def test_headers(workspace: Path) -> None:
    add_settings(workspace, "timezone: America/New_York\n")
    data = (build(workspace) / SLUG / "email.eml").read_bytes()
    msg = email.message_from_bytes(data, policy=policy.default)
    assert msg["From"] == "Test Dispatch <desk@dispatch.example>"
    assert msg["Reply-To"] == "Test Dispatch <desk@dispatch.example>"
    assert msg["Subject"] == "Tide tables for the week"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Date"] == "Tue, 02 Jun 2026 06:00:00 -0400"
    assert re.fullmatch(r"<2026-06-02-tides\.[0-9a-f]{16}@dispatch\.example>", msg["Message-ID"])
    lines = raw_headers(data)
    assert b"List-Unsubscribe: <https://dispatch.example/unsubscribe>" in lines
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines


def test_reply_to_and_mailto_unsubscribe(workspace: Path) -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(
        "  email: desk@dispatch.example\n", "  email: desk@dispatch.example\n  reply_to: letters@dispatch.example\n"),
        encoding="utf-8")
    add_settings(workspace, "unsubscribe_email: leave@dispatch.example\n")
    data = (build(workspace) / SLUG / "email.eml").read_bytes()
    msg = email.message_from_bytes(data, policy=policy.default)
    assert msg["Reply-To"] == "Test Dispatch <letters@dispatch.example>"
    assert (b"List-Unsubscribe: <https://dispatch.example/unsubscribe>, "
            b"<mailto:leave@dispatch.example?subject=unsubscribe>") in raw_headers(data)


def test_long_unsubscribe_url_is_never_folded_or_encoded(workspace: Path) -> None:
    url = "https://dispatch.example/unsubscribe?token=" + "a1b2c3d4" * 40 + "&list=weekly-tides-and-currents"
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(
        "unsubscribe_url: https://dispatch.example/unsubscribe", f"unsubscribe_url: {url}"), encoding="utf-8")
    data = (build(workspace) / SLUG / "email.eml").read_bytes()
    lines = raw_headers(data)
    assert f"List-Unsubscribe: <{url}>".encode() in lines  # one physical line, byte for byte
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    assert not any(b"=?" in line for line in lines if line.lower().startswith(b"list-unsubscribe"))
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_an_unsubscribe_url_with_accents_is_one_percent_encoded_line_everywhere(workspace: Path) -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(
        "unsubscribe_url: https://dispatch.example/unsubscribe",
        "unsubscribe_url: https://dispatch.example/désabonner?liste=café"), encoding="utf-8")
    out = build(workspace) / SLUG
    encoded = "https://dispatch.example/d%C3%A9sabonner?liste=caf%C3%A9"
    assert f"List-Unsubscribe: <{encoded}>".encode() in raw_headers((out / "email.eml").read_bytes())
    assert f"Unsubscribe: {encoded}" in (out / "email.txt").read_text(encoding="utf-8")
    assert f'href="{encoded}"' in (out / "email.html").read_text(encoding="utf-8")


def test_no_line_over_998_octets_and_bodies_at_76(workspace: Path) -> None:
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8") + "\n" + ("Long paragraph with ünïcode. " * 400) + "\n",
                     encoding="utf-8")
    out = build(workspace) / SLUG
    assert max(len(line) for line in (out / "email.html").read_text(encoding="utf-8").split("\n")) > 998
    data = (out / "email.eml").read_bytes()
    body = data.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert all(b < 128 for b in data)  # 7-bit clean on the wire


def test_non_ascii_subject_is_rfc2047(workspace: Path) -> None:
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables for the week"', 'subject: "Marées et courants: la semaine à Saint-Malo"'),
        encoding="utf-8")
    data = (build(workspace) / SLUG / "email.eml").read_bytes()
    subject = [line for line in raw_headers(data) if line.startswith(b"Subject:")][0]
    assert b"=?utf-8?" in subject.lower()
    assert str(make_header(decode_header(subject[len(b"Subject:"):].decode("ascii")))).strip() == \
        "Marées et courants: la semaine à Saint-Malo"


def test_a_long_subject_that_isnt_ascii_is_encoded_words_of_at_most_75_characters(workspace: Path) -> None:
    subject = "Marées, courants et écluses: " * 8 + "港口的潮汐表" * 10
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables for the week"', f'subject: "{subject.strip()}"'), encoding="utf-8")
    data = (build(workspace) / SLUG / "email.eml").read_bytes()
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    words = re.findall(r"=\?utf-8\?[bq]\?[^?]*\?=", head, flags=re.IGNORECASE)
    assert len(words) > 5 and max(len(w) for w in words) <= 75
    assert all(len(line) <= 78 for line in head.split("\r\n") if line.startswith(("Subject:", " =?")))
    assert email.message_from_bytes(data, policy=policy.default)["Subject"] == subject.strip()


def test_same_input_same_bytes(workspace: Path) -> None:
    first = (build(workspace) / SLUG / "email.eml").read_bytes()
    second = (build(workspace) / SLUG / "email.eml").read_bytes()
    assert first == second


def test_service_tag_unsubscribe_writes_no_list_unsubscribe(workspace: Path) -> None:
    add_settings(workspace, "esp: mailchimp\n")
    data = (build(workspace) / SLUG / "email.eml").read_bytes()
    assert not any(line.lower().startswith(b"list-unsubscribe") for line in raw_headers(data))
    msg = email.message_from_bytes(data, policy=policy.default)
    assert "*|UNSUB|*" in msg.get_body(("html",)).get_content()


# ---- SpamAssassin, for real -------------------------------------------------

_SCORE = re.compile(r"Content analysis details:\s+\((-?[0-9.]+) points")


def spam_report(eml: Path) -> tuple[float, str]:
    with eml.open("rb") as f:
        run = subprocess.run(["spamassassin", "-L", "-t"], stdin=f, capture_output=True, timeout=120)
    report = run.stdout.decode("utf-8", "replace")
    match = _SCORE.search(report)
    assert match, report[-2000:]
    return float(match.group(1)), report


REALISTIC = """\
---
subject: "Night pilots, a new crane and the week's tides"
date: 2026-06-09
preheader: "Calder Bay opens after dark; Harlow signs for a second crane."
---
Good morning. Three things from the waterfront this week, and the tide tables.

# Calder Bay lets ships in after dark

Pilots will guide container ships into Calder Bay at night from July, the port
authority said on Monday, ending a rule that kept the channel closed after sunset.
Read [the authority's notice](https://dispatch.example/notices/night-pilots).

## The News

Two pilot boats will be on call between 9pm and 5am. The first night arrivals are
booked for the second week of July.

## Know More

- The channel was lit with new buoys last winter.
- Insurance terms were agreed in May.

# Harlow signs for a second crane

The terminal will add a second ship-to-shore crane next spring, doubling how many
boxes it can move in an hour. [Details](https://dispatch.example/harlow-crane).
"""


@pytest.mark.slow
def test_spamassassin_scores_a_realistic_issue_low(workspace: Path) -> None:
    (workspace / "issues" / "2026-06-09-week.md").write_text(REALISTIC, encoding="utf-8")
    out = build(workspace)
    for slug in (SLUG, "2026-06-09-week"):
        score, report = spam_report(out / slug / "email.eml")
        assert score <= 1.0, report
        assert "MPART_ALT_DIFF" not in report, report


@pytest.mark.slow
def test_spamassassin_scores_the_example_issues_low(repo_workspace: Path) -> None:
    out = build(repo_workspace)
    emls = sorted(out.glob("*/email.eml"))
    assert emls, "the repository's example issues built no .eml"
    for eml in emls:
        score, report = spam_report(eml)
        assert score <= 1.0, f"{eml}: {report}"
        assert "MPART_ALT_DIFF" not in report, report


def test_subject_placeholder_in_the_profile_form(workspace: Path) -> None:
    add_settings(workspace, "esp: mailchimp\n")
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables for the week"', 'subject: "%%first_name|Friend%%, tide tables for the week"'),
        encoding="utf-8")
    data = (build(workspace) / SLUG / "email.eml").read_bytes()
    msg = email.message_from_bytes(data, policy=policy.default)
    assert msg["Subject"] == "*|IF:FNAME|**|FNAME|**|ELSE:|*Friend*|END:IF|*, tide tables for the week"
