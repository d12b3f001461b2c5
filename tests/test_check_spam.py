"""--spam with the real SpamAssassin (Debian's spamassassin, run as `spamassassin -L -t`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from check_helpers import GOOD_ISSUE, build_issue, run_rule
from click.testing import CliRunner

from newsletter.build import BuildResult, render_issue
from newsletter.checks import spam
from newsletter.checks.context import CheckContext
from newsletter.cli import cli
from newsletter.render.jinja import search_path
from newsletter.workspace import Workspace, open_workspace

pytestmark = pytest.mark.slow
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def score_finding(findings: list) -> object:
    return next(f for f in findings if f.message.startswith("SpamAssassin score"))


def test_example_issues_score_at_most_1_and_never_mpart_alt_diff(repo_workspace: Path) -> None:
    ws = open_workspace(repo_workspace)
    assert ws.issue_files()
    for path in ws.issue_files():
        result = render_issue(ws, path)
        assert result.eml, "the build makes the message file the spam check scores"
        total, _required, hits = spam.score(result.eml)
        assert total <= 1.0, (path.name, total, hits)
        assert not [rule for _, rule, _ in hits if rule.startswith("MPART_ALT_DIFF")], (path.name, hits)
        found = run_rule(spam, ws, result)
        assert score_finding(found).severity == "info"  # type: ignore[attr-defined]


def test_spam_score_over_5_is_an_error(workspace: Path) -> None:
    ws, r = build_issue(workspace, GOOD_ISSUE + f"\n`{GTUBE}`\n")
    found = run_rule(spam, ws, r)
    assert score_finding(found).severity == "error"  # type: ignore[attr-defined]
    assert any("GTUBE" in f.message for f in found)


def test_the_scored_copy_is_addressed_to_a_reader_so_sums_of_money_are_news(workspace: Path) -> None:
    """The .eml goes to 'undisclosed-recipients' (the service fills in each reader), and
    SpamAssassin's UNDISC_MONEY (+1.0, a warning here) fired on every issue naming a sum."""
    money = GOOD_ISSUE + "\nThe council approved $1.4 million for the sea wall, and $186,000 for the quay.\n"
    ws, r = build_issue(workspace, money)
    assert r.eml is not None and b"\r\nTo: undisclosed-recipients:;\r\n" in r.eml
    scored = spam.message_bytes(spam_context(ws, r))
    assert b"\r\nTo: reader@example.com\r\n" in scored and b"undisclosed" not in scored
    assert scored.replace(b"reader@example.com", b"undisclosed-recipients:;") == r.eml  # nothing else changed
    _total, _required, hits = spam.score(scored)
    assert "UNDISC_MONEY" not in [rule for _, rule, _ in hits]
    _total, _required, hits = spam.score(r.eml)  # the rule this is about, on the file as written
    assert "UNDISC_MONEY" in [rule for _, rule, _ in hits]


def spam_context(ws: Workspace, r: BuildResult) -> CheckContext:
    return CheckContext(r, ws.settings, search_path(ws.templates_dir))


def test_text_part_that_differs_from_the_html_is_flagged(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    words = " ".join(f"zebra{n} quantum{n}" for n in range(200))
    diverging = dataclasses.replace(r, text="Entirely different words: " + words + "\n", eml=None)
    found = run_rule(spam, ws, diverging)
    alt = [f for f in found if "MPART_ALT_DIFF " in f.message or "MPART_ALT_DIFF (" in f.message]
    assert alt and alt[0].severity == "warning" and "text part" in alt[0].hint
    assert score_finding(found).severity in ("warning", "error")  # type: ignore[attr-defined]


def test_missing_spamassassin_is_a_clear_error(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    from newsletter.checks.context import CheckContext
    from newsletter.render.jinja import search_path

    ctx = CheckContext(r, ws.settings, search_path(ws.templates_dir))
    found = list(spam.check(ctx, executable="no-such-spamassassin-here"))
    assert [f.severity for f in found] == ["error"]
    assert "SpamAssassin is not installed" in found[0].message and "apt-get install spamassassin" in found[0].hint


def test_a_spamassassin_that_fails_says_how(workspace: Path, tmp_path: Path) -> None:
    from newsletter.checks.context import CheckContext
    from newsletter.render.jinja import search_path

    fake = tmp_path / "fake-spamassassin"
    fake.write_text("#!/bin/sh\necho 'config: cannot read /etc/spamassassin/local.cf' >&2\necho garbage\nexit 3\n")
    fake.chmod(0o755)
    ws, r = build_issue(workspace)
    ctx = CheckContext(r, ws.settings, search_path(ws.templates_dir))
    [found] = spam.check(ctx, executable=str(fake))
    assert found.severity == "error"
    assert found.message == ("SpamAssassin failed: it gave no score (exit status 3: config: cannot read "
                             "/etc/spamassassin/local.cf)")
    fake.write_text("#!/bin/sh\nexit 2\n")
    [found] = spam.check(ctx, executable=str(fake))
    assert found.message.endswith("(exit status 2, no output)")


def test_check_spam_through_the_cli(workspace: Path) -> None:
    (workspace / "issues" / "2026-06-02-tides.md").write_text(GOOD_ISSUE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--spam", "--format", "json"], catch_exceptions=False)
    doc = json.loads(result.stdout)
    spam_findings = [f for f in doc["findings"] if f["rule"] == "spam"]
    assert spam_findings and spam_findings[0]["message"].startswith("SpamAssassin score")
    assert result.exit_code == 0
