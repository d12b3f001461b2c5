"""`newsletter check`: run the quality gate over issues and report findings as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from newsletter.checks import Finding, counts, error_findings, failed, run_checks, summary_line
from newsletter.errors import ContentError, NewsletterError, Problem, display_path
from newsletter.workspace import Workspace, open_workspace

_ORDER = {"error": 0, "warning": 1, "info": 2}


def check_issue(ws: Workspace, path: Path, *, spam: bool = False, online: bool = False) -> list[Finding]:
    """Every finding for one issue; an issue that doesn't build reports why, as error findings."""
    from newsletter.build import render_issue
    from newsletter.checks import links
    from newsletter.render.theme import search_path

    issue = str(path)
    try:
        result = render_issue(ws, path)
    except ContentError as e:
        found = error_findings(e, issue)
        try:  # the reader allows http links, so they are not among its problems: add them
            found += links.source_findings(issue, path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            pass
        return sorted(found, key=lambda f: f.line)
    except NewsletterError as e:
        return error_findings(e, issue)
    if not spam and not online and result.findings:
        return list(result.findings)
    return run_checks(result, ws.settings, search_path(ws.templates_dir),
                      html_file=ws.out_for(result.slug) / "email.html", spam=spam, online=online)


def run_check(issues: list[Path], *, workspace: Path | None, fmt: str = "text", strict: bool = False,
              spam: bool = False, online: bool = False, verbose: bool = False) -> None:
    per_issue: list[tuple[str, list[Finding]]] = []
    try:
        ws = open_workspace(workspace)
        paths = [ws.issue_arg(p) for p in issues] or ws.issue_files()
        if not paths:
            raise ContentError(Problem(str(ws.issues_dir), 0, "no issues to check",
                                       "create one with 'newsletter new \"Headline\"'"))
        for path in paths:
            per_issue.append((str(path), check_issue(ws, path, spam=spam, online=online)))
    except NewsletterError as e:  # no workspace, bad settings: still a report, still JSON
        per_issue.append(("", error_findings(e)))
    findings = [f for _, fs in per_issue for f in fs]
    if fmt == "json":
        click.echo(json.dumps(report(per_issue, strict), indent=2, ensure_ascii=False))
    else:
        for issue, fs in per_issue:
            for f in sorted(fs, key=lambda f: _ORDER[f.severity]):
                if f.severity != "info" or verbose:
                    click.echo(str(f))
            click.echo(f"{display_path(issue) if issue else 'newsletter'}: {summary_line(fs)}")
    if failed(findings, strict):
        if fmt != "json":
            why = "errors" if failed(findings) else "warnings (--strict)"
            click.echo(f"Error: the quality gate failed on {why}", err=True)
        raise click.exceptions.Exit(1)


def report(per_issue: list[tuple[str, list[Finding]]], strict: bool) -> dict[str, object]:
    """The --format json document (its schema is in docs/check.md)."""
    findings = [f for _, fs in per_issue for f in fs]

    def shown(f: Finding) -> dict[str, object]:
        d = f.to_dict()
        d["file"] = display_path(f.file) if f.file else ""
        d["issue"] = display_path(f.issue) if f.issue else ""
        return d

    return {
        "findings": [shown(f) for f in findings],
        "summary": {
            **counts(findings),
            "strict": strict,
            "passed": not failed(findings, strict),
            "issues": [{"issue": display_path(i) if i else "", **counts(fs), "passed": not failed(fs, strict)}
                       for i, fs in per_issue],
        },
    }
