"""`newsletter check` and the gate in `newsletter build`, end to end through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from check_helpers import GOOD_ISSUE
from click.testing import CliRunner, Result

from newsletter.cli import cli

REPO = Path(__file__).resolve().parent.parent
LONG_SUBJECT = GOOD_ISSUE.replace("Tide tables for the week",
                                  "Tide tables for the week, the harbour gates and a new ferry timetable")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="newsletter", catch_exceptions=False)


def documented_schema() -> dict:
    doc = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```json\n(.*?)```", doc, re.S) if '"$schema"' in b)
    return json.loads(block)


def write_issue(root: Path, text: str, name: str = "2026-06-02-tides.md") -> Path:
    path = root / "issues" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_issue_passes_and_text_report_has_a_summary_line(workspace: Path) -> None:
    write_issue(workspace, GOOD_ISSUE)
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().split("\n")[-1].startswith("issues/2026-06-02-tides.md: 0 errors, 0 warnings, ")


def test_strict_turns_warnings_into_failure(workspace: Path) -> None:
    write_issue(workspace, LONG_SUBJECT)
    relaxed = run("check")
    assert relaxed.exit_code == 0
    assert "issues/2026-06-02-tides.md:2: warning: subject is 69 characters" in relaxed.stdout
    strict = run("check", "--strict")
    assert strict.exit_code == 1
    assert "the quality gate failed on warnings (--strict)" in strict.stderr


def test_errors_fail_without_strict(workspace: Path) -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text().replace("unsubscribe_url: https://dispatch.example/unsubscribe\n", ""))
    write_issue(workspace, GOOD_ISSUE)
    result = run("check")
    assert result.exit_code == 1
    assert "error: no unsubscribe URL is configured [deliverability]" in result.stdout


def test_json_output_matches_the_documented_schema(workspace: Path) -> None:
    write_issue(workspace, LONG_SUBJECT)
    result = run("check", "--format", "json")
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, documented_schema())
    assert doc["summary"]["warnings"] == 1 and doc["summary"]["passed"] is True and result.exit_code == 0
    assert doc["findings"][0]["issue"] == "issues/2026-06-02-tides.md"
    strict = run("check", "--format", "json", "--strict")
    assert strict.exit_code == 1 and json.loads(strict.stdout)["summary"]["passed"] is False


def test_schema_rejects_a_wrong_shape() -> None:
    bad = {"findings": [{"rule": "x", "severity": "fatal", "message": "m", "file": "", "line": 0, "hint": "",
                         "issue": ""}], "summary": {}}
    try:
        jsonschema.validate(bad, documented_schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("the documented schema accepted a wrong severity")


def test_content_errors_are_collected_as_findings_with_the_http_link_warning(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("https://dispatch.example/minutes", "http://dispatch.example/minutes") + (
        "\n![](https://dispatch.example/chart.png)\n")
    write_issue(workspace, issue)
    lines = issue.split("\n")
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, documented_schema())
    got = {(f["rule"], f["severity"], f["line"]) for f in doc["findings"]}
    alt_line = next(n for n, line in enumerate(lines, 1) if "chart.png" in line)
    http_line = next(n for n, line in enumerate(lines, 1) if "http://" in line)
    assert ("content", "error", alt_line) in got
    assert ("links", "warning", http_line) in got
    assert any("alt text" in f["message"] for f in doc["findings"] if f["rule"] == "content")


def test_no_workspace_still_prints_json(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, documented_schema())
    assert doc["findings"][0]["rule"] == "settings" and "newsletter.yaml" in doc["findings"][0]["message"]


def test_no_workspace_says_what_is_missing_and_where(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = run("check")
    assert result.exit_code == 1 and "<build>" not in result.stdout
    assert result.stdout.startswith(f"newsletter: error: no newsletter.yaml found in this folder or any parent: "
                                    f"{tmp_path.resolve()} [settings]")


def test_example_issues_pass_with_no_errors(repo_workspace: Path) -> None:
    result = run("check", "--format", "json")
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, documented_schema())
    assert result.exit_code == 0, [f for f in doc["findings"] if f["severity"] == "error"]
    assert doc["summary"]["errors"] == 0 and len(doc["summary"]["issues"]) >= 2


def test_build_prints_the_gate_summary_and_strict_fails_on_warnings(workspace: Path) -> None:
    write_issue(workspace, GOOD_ISSUE)
    clean = run("build", "--strict", "-j", "1")
    assert clean.exit_code == 0, clean.output
    assert "  check: 0 errors, 0 warnings, " in clean.stdout
    write_issue(workspace, LONG_SUBJECT)
    relaxed = run("build", "-j", "1")
    assert relaxed.exit_code == 0 and "  check: 0 errors, 1 warning, " in relaxed.stdout
    strict = run("build", "--strict", "-j", "1")
    assert strict.exit_code == 1
    assert "--strict: the quality gate found 0 errors, 1 warning" in strict.stderr
    assert (workspace / "out" / "2026-06-02-tides" / "email.html").is_file()


def test_check_command_is_documented() -> None:
    result = run("check", "--help")
    assert result.exit_code == 0
    for option in ("--format", "--strict", "--spam", "--online"):
        assert option in result.stdout
        assert option in (REPO / "docs" / "check.md").read_text(encoding="utf-8")


def test_documented_example_matches_the_documented_schema() -> None:
    doc = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    examples = [b for b in re.findall(r"```json\n(.*?)```", doc, re.S) if '"$schema"' not in b]
    assert examples
    for block in examples:
        jsonschema.validate(json.loads(block), documented_schema())
