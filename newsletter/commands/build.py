"""`newsletter build`: build issues and print one line per issue."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import click

from newsletter.build import GMAIL_CLIP_BYTES, build
from newsletter.checks import Finding, failed, summary_line
from newsletter.errors import ContentError, NewsletterError, Problem, display_path
from newsletter.workspace import open_workspace


def run_build(issues: list[Path], *, workspace: Path | None, emit_mjml: bool = False, force: bool = False,
              jobs: int | None = None, strict: bool = False) -> None:
    ws = open_workspace(workspace)
    for warning in ws.settings.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if not issues and not ws.issue_files():
        raise ContentError(Problem(str(ws.issues_dir), 0, "no issues to build", "create one with 'newsletter new \"Headline\"'"))
    from newsletter.parallel import TerminalProgress

    issues = [ws.issue_arg(p) for p in issues]
    # Errors that belong to no issue (the cache couldn't be saved) come after the issues' report.
    batch_errors: list[NewsletterError] = []
    outcomes = build(ws, issues or None, emit_mjml=emit_mjml, force=force, jobs=jobs, progress=TerminalProgress(),
                     archive=not issues, errors=batch_errors)
    report = Report()
    errors: list[NewsletterError] = []
    findings: list[Finding] = []
    for outcome in outcomes:
        if outcome.error is not None:
            errors.append(outcome.error)
            continue
        r = outcome.summary  # built here, in a worker process, or taken from the cache
        assert r is not None
        html_path = display_path(ws.out_for(r.slug) / "email.html")
        size = f"{r.html_bytes / 1024:.1f} KB of {GMAIL_CLIP_BYTES // 1024} KB"
        report.out(f"{html_path}  {size}  {r.words:,} words  {r.reading_minutes} min read")
        # The quality gate ran with the build (newsletter.checks); `newsletter check` lists the findings.
        findings.extend(r.findings)
        report.out(f"  check: {summary_line(r.findings)}")
        for warning in r.warnings:
            report.err(f"Warning: {warning}")
    if not issues and errors:
        # The index and feed list the issues that built: with one missing they would drop it
        # (a broken template, all of them) until the next good build. The last good ones stay.
        index = ws.out_dir / "archive" / "index.html"
        state = "left as it was" if index.exists() else "not written yet"
        report.out(f"{display_path(index)}  web archive {state}: an issue failed to build")
    elif not issues:
        from newsletter.parallel import update_archive_index  # the pages were built (or cached) with the issues

        try:
            index, count = update_archive_index(ws, outcomes, force=force)
            report.out(f"{display_path(index)}  web archive of {count} issue{'' if count == 1 else 's'}, with feed.xml")
        except NewsletterError as e:  # reported with the issues' errors, never instead of them
            errors.append(e)
    # Every output is written: only now print, so that a reader who stops reading (| head -1)
    # can't stop the build half way.
    errors += batch_errors
    stdout_error = report.show()
    if stdout_error is not None:
        errors.append(stdout_error)
    if errors:
        # Issues written together share a write error: say it once.
        problems = list(dict.fromkeys(p for e in errors for p in e.problems))
        raise NewsletterError(problems)
    if strict and failed(findings, strict=True):
        raise NewsletterError(f"--strict: the quality gate found {summary_line(findings)}; "
                              "run 'newsletter check' to see them")


class Report:
    """The build's report, kept until every output is written, then printed in order.

    Standard output may be gone: a closed pipe (``| head -1``) ends the printing to it
    quietly, as command-line tools do; any other failure (a full disk behind ``> file``)
    is an error of its own. Neither stops the warnings on standard error."""

    def __init__(self) -> None:
        self.lines: list[tuple[bool, str]] = []  # (to standard error, text)

    def out(self, text: str) -> None:
        self.lines.append((False, text))

    def err(self, text: str) -> None:
        self.lines.append((True, text))

    def show(self) -> NewsletterError | None:
        """Print the report; returns the error that stopped the printing to stdout, if any."""
        stdout_ok = True
        error: NewsletterError | None = None
        for to_err, text in self.lines:
            if not to_err and not stdout_ok:
                continue
            try:
                click.echo(text, err=to_err)
            except OSError as e:
                if to_err:
                    continue  # nowhere left to say anything
                stdout_ok = False
                if e.errno != errno.EPIPE:
                    error = NewsletterError(f"cannot write the report to standard output: "
                                            f"{e.strerror or e.__class__.__name__}")
                silence_stdout()
        return error


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null: what is still buffered for it, flushed at exit,
    must not fail again (a BrokenPipeError printed by the interpreter on its way out)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, AttributeError, ValueError):  # no real stdout (a test's): nothing to flush either
        pass
