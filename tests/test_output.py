"""Outputs are written atomically; a failed build leaves the last good output and never touches inputs."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.errors import OutputError
from newsletter.output import write_all_atomic, write_atomic

SLUG = "2026-06-02-tides"


def build(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["build", *args])
    assert "Traceback" not in result.output
    return result


def tree_hash(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def outputs(workspace: Path) -> dict[str, bytes]:
    folder = workspace / "out" / SLUG
    return {name: (folder / name).read_bytes() for name in ("email.html", "email.txt")}


def test_write_atomic_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.txt"
    write_atomic(target, "one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]


def test_a_failed_build_leaves_the_last_good_output(workspace: Path) -> None:
    assert build().exit_code == 0
    before = outputs(workspace)
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8") + "\n[bad](javascript:alert(1))\n", encoding="utf-8")
    result = build()
    assert result.exit_code == 1
    assert outputs(workspace) == before
    assert not [p for p in (workspace / "out" / SLUG).iterdir() if p.name.endswith(".tmp")]


def test_out_slug_being_a_file_is_a_clear_error(workspace: Path) -> None:
    (workspace / "out").mkdir()
    (workspace / "out" / SLUG).write_text("in the way", encoding="utf-8")
    result = build()
    assert result.exit_code == 1
    assert result.stderr == (f"Error: out/{SLUG}/email.html: cannot write output: out/{SLUG} is a file,"
                             " not a folder (move it away)\n")
    assert (workspace / "out" / SLUG).read_text(encoding="utf-8") == "in the way"


def test_a_full_disk_is_a_clear_error_and_changes_nothing(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert build().exit_code == 0
    before = outputs(workspace)
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("The facts", "New facts"), encoding="utf-8")

    def full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    result = build()
    assert result.exit_code == 1
    assert f"Error: out/{SLUG}/email.html: cannot write output: no space left on the device\n" in result.stderr
    monkeypatch.undo()
    assert outputs(workspace) == before
    assert not [p for p in (workspace / "out" / SLUG).iterdir() if p.name.endswith(".tmp")]


def test_write_all_atomic_is_all_or_nothing(tmp_path: Path) -> None:
    good, blocked = tmp_path / "good.txt", tmp_path / "blocked" / "x.txt"
    good.write_text("old", encoding="utf-8")
    (tmp_path / "blocked").write_text("a file where a folder should be", encoding="utf-8")
    with pytest.raises(OutputError):
        write_all_atomic([(good, "new"), (blocked, "new")])
    assert good.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "good.txt"]


def test_issues_and_templates_are_never_modified(workspace: Path) -> None:
    templates = workspace / "templates"
    templates.mkdir()
    (templates / "email.txt.j2").write_text("Custom: {{ toc_title }}\n", encoding="utf-8")
    (workspace / "issues" / "2026-06-03-bad.md").write_text("---\nsubject: x\n---\n", encoding="utf-8")
    before = (tree_hash(workspace / "issues"), tree_hash(templates))
    build()
    build("--emit-mjml")
    assert (tree_hash(workspace / "issues"), tree_hash(templates)) == before
    assert (workspace / "out" / SLUG / "email.txt").read_text(encoding="utf-8") == "Custom: In this issue\n"
