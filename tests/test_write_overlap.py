"""add_extras(write=True), the preview's second pass: the issue's files are written on a thread
while the quality gate runs. What it writes, and how it fails, must be what write_issue does."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.build import add_extras, render_issue, write_issue
from newsletter.errors import OutputError
from newsletter.preview.state import PreviewState
from newsletter.workspace import open_workspace

ISSUE = "2026-06-02-tides"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_it_writes_what_write_issue_writes_and_the_same_findings(workspace: Path) -> None:
    ws = open_workspace(workspace)
    path = workspace / "issues" / f"{ISSUE}.md"
    sequential = add_extras(ws, render_issue(ws, path, extras=False))
    write_issue(ws, sequential)
    before = _files(workspace / "out" / ISSUE)
    for p in (workspace / "out" / ISSUE).iterdir():
        p.unlink()

    overlapped = add_extras(ws, render_issue(ws, path, extras=False), write=True)

    assert _files(workspace / "out" / ISSUE) == before
    assert set(before) == {"email.html", "email.txt", "email.eml"}
    assert overlapped.findings == sequential.findings and overlapped.findings
    assert overlapped.eml == sequential.eml


def test_a_write_that_fails_raises_after_the_gate_and_leaves_no_temporary_file(workspace: Path) -> None:
    ws = open_workspace(workspace)
    path = workspace / "issues" / f"{ISSUE}.md"
    result = render_issue(ws, path, extras=False)
    (workspace / "out").mkdir()
    (workspace / "out" / ISSUE).write_text("in the way\n")  # the issue's folder is a file

    with pytest.raises(OutputError) as raised:
        add_extras(ws, result, write=True)

    assert "is a file, not a folder" in str(raised.value.problems[0].message)
    assert result.findings, "the gate ran before the error was raised"
    assert (workspace / "out" / ISSUE).read_text() == "in the way\n"
    assert sorted(p.name for p in (workspace / "out").iterdir()) == [ISSUE]


def test_the_preview_reports_a_failed_write_and_keeps_the_first_pass(workspace: Path) -> None:
    state = PreviewState(workspace)
    state.build_everything()
    entry = state.entry(ISSUE)
    assert entry is not None and entry.result is not None and not entry.problems
    good = (workspace / "out" / ISSUE / "email.html").read_bytes()
    first_pass = entry.result

    (workspace / "out" / ISSUE / "email.txt").unlink()
    (workspace / "out" / ISSUE / "email.txt").mkdir()  # a folder where a file goes: the rename fails
    state.build_everything()

    entry = state.entry(ISSUE)
    assert entry is not None
    assert [p.message for p in entry.problems] == [
        "cannot write output: a folder is in the way (move it away)"]
    assert entry.result is not None and entry.result is not first_pass  # the new first pass is shown
    assert (workspace / "out" / ISSUE / "email.html").read_bytes() in (good, entry.result.html.encode())
    assert not [p for p in (workspace / "out" / ISSUE).iterdir() if p.name.endswith(".tmp")]
