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


# --- staged writes: many files, one sync ------------------------------------------------------

def _files(n: int, folder: Path) -> list[tuple[Path, str]]:
    return [(folder / f"f{i}.txt", f"new {i}") for i in range(n)]


def test_many_files_are_synced_once_few_with_fsync_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import newsletter.output as output

    calls = {"syncfs": 0, "fsync": 0}
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls["fsync"] += 1
        real_fsync(fd)

    def syncfs(fd: int) -> None:
        calls["syncfs"] += 1
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(output, "_syncfs_function", lambda: syncfs)
    write_all_atomic(_files(output.SYNCFS_FROM, tmp_path))
    assert calls == {"syncfs": 1, "fsync": 0}
    calls.update(syncfs=0, fsync=0)
    write_all_atomic(_files(output.SYNCFS_FROM - 1, tmp_path / "few"))
    assert calls == {"syncfs": 0, "fsync": output.SYNCFS_FROM - 1}
    # Where the C library has no syncfs, every file is fsynced.
    monkeypatch.setattr(output, "_syncfs_function", lambda: None)
    calls.update(syncfs=0, fsync=0)
    write_all_atomic(_files(5, tmp_path / "many"))
    assert calls == {"syncfs": 0, "fsync": 5}
    assert (tmp_path / "many" / "f4.txt").read_text(encoding="utf-8") == "new 4"


def test_syncfs_is_real_on_linux() -> None:
    import sys

    import newsletter.output as output

    syncfs = output._syncfs_function()
    if not sys.platform.startswith("linux"):
        assert syncfs is None
        return
    assert syncfs is not None
    fd = os.open(".", os.O_RDONLY)
    try:
        syncfs(fd)  # the real call succeeds on an open folder
        with pytest.raises(OSError):
            syncfs(10_000)  # and a bad descriptor is an OSError, not a silent -1
    finally:
        os.close(fd)


def test_a_failed_sync_renames_nothing_and_leaves_no_temporary_file(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import newsletter.output as output

    files = _files(4, tmp_path)
    for path, _ in files:
        path.write_text("old", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output, "_syncfs_function", lambda: full)
    with pytest.raises(OutputError, match="no space left on the device"):
        write_all_atomic(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"f{i}.txt" for i in range(4)]
    assert {p.read_text(encoding="utf-8") for p, _ in files} == {"old"}


def test_issues_built_together_one_bad_issue_keeps_its_old_output(workspace: Path) -> None:
    from newsletter.build import build_issues
    from newsletter.workspace import open_workspace

    issues = workspace / "issues"
    good = issues / "2026-06-03-good.md"
    good.write_text("---\nsubject: Good\ndate: 2026-06-03\n---\n# A story\n\nText.\n", encoding="utf-8")
    bad = issues / "2026-06-04-bad.md"
    bad.write_text("---\nsubject: Bad\ndate: 2026-06-04\n---\n# A story\n\nText.\n", encoding="utf-8")
    ws = open_workspace(workspace)
    build_issues(ws, [bad])
    old = (workspace / "out" / bad.stem / "email.html").read_bytes()
    bad.write_text("---\nsubject: Bad\ndate: 2026-06-04\n---\n# A story\n\n![](https://x.example/a.png)\n",
                   encoding="utf-8")  # an image without alt text: the issue doesn't build
    results = build_issues(ws, [good, bad], archive=True)
    assert [r is not None for r, _, _ in results] == [True, False]
    assert results[1][2] is not None and "alt" in str(results[1][2])
    assert (workspace / "out" / "archive" / good.stem / "index.html").is_file()
    assert set(results[0][1]) >= {workspace / "out" / good.stem / "email.html",
                                  workspace / "out" / "archive" / good.stem / "index.html"}
    assert (workspace / "out" / bad.stem / "email.html").read_bytes() == old


def test_issues_built_together_share_a_write_failure(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import newsletter.output as output
    from newsletter.build import build_issues
    from newsletter.workspace import open_workspace

    ws = open_workspace(workspace)
    paths = ws.issue_files()
    build_issues(ws, paths)
    before = tree_hash(workspace / "out")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output, "_syncfs_function", lambda: full)
    monkeypatch.setattr(os, "fsync", full)
    (workspace / "issues" / paths[0].name).write_text(paths[0].read_text(encoding="utf-8") + "\nMore.\n",
                                                       encoding="utf-8")
    results = build_issues(ws, paths)
    assert all(r is None and e is not None and "no space left" in str(e) for r, _, e in results)
    assert tree_hash(workspace / "out") == before  # every old file, and no temporary one


# --- an issue is written whole or not at all ---------------------------------------------

def test_a_rename_failing_half_way_puts_every_renamed_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_a, old_b, new_c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    old_a.write_text("old a", encoding="utf-8")
    old_b.write_text("old b", encoding="utf-8")
    real = os.replace

    def failing(src: str, dst: str) -> None:
        if os.fspath(dst) == str(old_b) and ".tmp" in os.fspath(src):
            raise OSError(errno.EIO, os.strerror(errno.EIO), dst)
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OutputError, match="b.txt: cannot write output"):
        write_all_atomic([(new_c, "new c"), (old_a, "new a"), (old_b, "new b")])
    assert old_a.read_text(encoding="utf-8") == "old a"
    assert old_b.read_text(encoding="utf-8") == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no c, no backup, no temporary


def test_a_folder_in_the_way_is_found_before_anything_is_renamed(tmp_path: Path) -> None:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("old", encoding="utf-8")
    second.mkdir()
    with pytest.raises(OutputError, match="second.txt: cannot write output: a folder is in the way"):
        write_all_atomic([(first, "new"), (second, "new")])
    assert first.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.txt", "second.txt"]


def test_an_issue_with_a_folder_in_the_way_writes_none_of_its_files(workspace: Path) -> None:
    assert build("-j1").exit_code == 0
    folder = workspace / "out" / SLUG
    page = workspace / "out" / "archive" / SLUG / "index.html"
    before = {**tree_hash(folder), "page": hashlib.sha256(page.read_bytes()).hexdigest()}
    settings = workspace / "newsletter.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "A newsletter used by the tests.", "A changed tagline."), encoding="utf-8")
    (folder / "email.txt").unlink()
    (folder / "email.txt").mkdir()
    result = build("-j1")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: out/{SLUG}/email.txt: cannot write output: a folder is in the way")
    after = {**tree_hash(folder), "page": hashlib.sha256(page.read_bytes()).hexdigest()}
    del before["email.txt"]
    assert after == before  # email.html, email.eml and the archive page: all still the old ones


def test_in_a_parallel_build_only_the_blocked_issue_fails_and_every_other_is_written_and_reported(
        workspace: Path) -> None:
    (workspace / "issues" / f"{SLUG}.md").unlink()
    slugs = [f"2026-01-{i % 28 + 1:02d}-n{i:04d}" for i in range(40)]
    for i, slug in enumerate(slugs):
        (workspace / "issues" / f"{slug}.md").write_text(
            f"---\nsubject: Issue {i}\ndate: 2026-01-{i % 28 + 1:02d}\n---\n# Story {i}\n\nWords for issue {i}.\n",
            encoding="utf-8")
    assert build("-j2").exit_code == 0
    before = {slug: tree_hash(workspace / "out" / slug) for slug in slugs}
    settings = workspace / "newsletter.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "A newsletter used by the tests.", "A changed tagline."), encoding="utf-8")
    blocked = workspace / "out" / slugs[2] / "email.txt"
    blocked.unlink()
    blocked.mkdir()
    result = build("-j2")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: out/{slugs[2]}/email.txt: cannot write output: a folder is in the way (move it away)"]
    reported = {line.split("/")[1] for line in result.stdout.splitlines() if line.endswith(" min read")}
    assert reported == set(slugs) - {slugs[2]}
    for slug in slugs:
        after = tree_hash(workspace / "out" / slug)
        if slug == slugs[2]:
            assert after == {k: v for k, v in before[slug].items() if k != "email.txt"}
        else:
            assert all(after[name] != before[slug][name] for name in ("email.html", "email.txt", "email.eml")), slug
    # The issues written were cached: once the folder is gone, only the blocked issue builds.
    written = {slug: tree_hash(workspace / "out" / slug) for slug in slugs}
    blocked.rmdir()
    assert build("-j2").exit_code == 0
    changed = {slug for slug in slugs if tree_hash(workspace / "out" / slug) != written[slug]}
    assert changed == {slugs[2]}
