"""Big and strange issue files through the real CLI in a subprocess: each builds, or fails
with one clear `Error: file:line: ...` line and exit 1, well inside a generous time limit
(60 s is the failure criterion, not a speed claim) and never with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINIMAL_SETTINGS

pytestmark = pytest.mark.slow
LIMIT_SECONDS = 60
FRONT = "---\nsubject: Big and strange\ndate: 2026-06-02\n---\n"
SLUG = "2026-06-02-big"


def run_build(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsletter", "build", *args], cwd=root, capture_output=True,
                          text=True, timeout=LIMIT_SECONDS)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "issues").mkdir()
    (tmp_path / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    return tmp_path


def write(ws: Path, data: bytes | str) -> Path:
    path = ws / "issues" / f"{SLUG}.md"
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def assert_built_or_clean(proc: subprocess.CompletedProcess[str], ws: Path) -> str:
    """'built' or 'refused'; anything else (a traceback, a crash, a message without file:line) fails."""
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-2000:]
    if proc.returncode == 0:
        assert (ws / "out" / SLUG / "email.html").stat().st_size > 0
        assert (ws / "out" / SLUG / "email.txt").stat().st_size > 0
        return "built"
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert errors, proc.stderr[-2000:]
    for line in errors:
        assert line.startswith(f"Error: issues/{SLUG}.md:"), line
        assert len(line) < 400, line
    return "refused"


def test_five_megabytes_of_text_is_refused_before_reading(ws: Path) -> None:
    para = "Ordinary words in an ordinary paragraph, long enough to count. " * 8
    body = "# A very long story\n\n" + "\n\n".join([para] * (5_000_000 // len(para)))
    write(ws, FRONT + body)
    proc = run_build(ws)
    assert assert_built_or_clean(proc, ws) == "refused"
    assert "file is 4.8 MB; an issue file may be at most 1 MB" in proc.stderr


def test_just_under_the_size_limit_builds(ws: Path) -> None:
    from newsletter.content.source import MAX_ISSUE_BYTES

    para = "Ordinary words in an ordinary paragraph, long enough to count. " * 8
    body = "# A very long story\n\n" + "\n\n".join([para] * ((MAX_ISSUE_BYTES - 2000) // (len(para) + 2)))
    assert len(FRONT + body) <= MAX_ISSUE_BYTES
    write(ws, FRONT + body)
    proc = run_build(ws)
    assert assert_built_or_clean(proc, ws) == "built", proc.stderr[-500:]
    # Named as every other message names a file: relative to where the command runs.
    assert f"Warning: issues/{SLUG}.md: HTML is " in proc.stderr and "Gmail will clip it" in proc.stderr
    assert (ws / "out" / SLUG / "email.txt").stat().st_size > 900_000


def test_five_thousand_nested_quotes(ws: Path) -> None:
    write(ws, FRONT + "# Deep\n\n" + "> " * 5000 + "the bottom\n")
    assert_built_or_clean(run_build(ws), ws)


def test_five_thousand_nested_lists(ws: Path) -> None:
    """Indented one level per line, 5,000 levels take 25 MB of spaces: refused by size."""
    lines = ["  " * depth + "- level" for depth in range(5000)]
    write(ws, FRONT + "# Deep\n\n" + "\n".join(lines) + "\n")
    assert assert_built_or_clean(run_build(ws), ws) == "refused"


def test_nine_hundred_indented_list_levels_within_the_size_limit(ws: Path) -> None:
    lines = ["  " * depth + "- level" for depth in range(900)]
    write(ws, FRONT + "# Deep\n\n" + "\n".join(lines) + "\n")
    assert_built_or_clean(run_build(ws), ws)


def test_five_thousand_nested_bullet_lists_on_one_line(ws: Path) -> None:
    write(ws, FRONT + "# Deep\n\n" + "- " * 5000 + "x\n")
    assert_built_or_clean(run_build(ws), ws)


def test_five_thousand_nested_ordered_lists_on_one_line(ws: Path) -> None:
    write(ws, FRONT + "# Deep\n\n" + "1. " * 5000 + "x\n")
    assert_built_or_clean(run_build(ws), ws)


def test_five_thousand_nested_emphasis(ws: Path) -> None:
    write(ws, FRONT + "# Deep\n\n" + "*a " * 5000 + "x" + " b*" * 5000 + "\n")
    assert_built_or_clean(run_build(ws), ws)


def test_one_line_of_a_hundred_thousand_characters(ws: Path) -> None:
    line = ("word " * 20_000)[:100_000]
    write(ws, FRONT + "# One line\n\n" + line + "\n")
    assert assert_built_or_clean(run_build(ws), ws) == "built"
    text = (ws / "out" / SLUG / "email.txt").read_text(encoding="utf-8")
    assert max(len(t) for t in text.splitlines()) <= 998  # RFC 5322's hard limit


def test_a_hundred_thousand_characters_without_a_space(ws: Path) -> None:
    write(ws, FRONT + "# One word\n\n" + "x" * 100_000 + "\n")
    assert_built_or_clean(run_build(ws), ws)


def test_front_matter_value_of_a_hundred_thousand_characters(ws: Path) -> None:
    write(ws, f"---\nsubject: {'s' * 100_000}\ndate: 2026-06-02\n---\n# Story\n\nText.\n")
    assert_built_or_clean(run_build(ws), ws)


@pytest.mark.parametrize("data, expected", [
    ("Café".encode("latin-1"), "not UTF-8"),
    ((FRONT + "Caf\xe9 au lait\n").encode("cp1252"), "not UTF-8"),
    ((FRONT + "Text\n").encode("utf-16"), ""),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20, "binary"),
    (bytes(range(256)) * 4, ""),
    (b"", "empty"),
    (b"   \n\n\t\n", "empty"),
    (b"\xef\xbb\xbf", "front matter"),
    (b"---\n", "not closed"),
    (b"---\n---\n", "subject"),
])
def test_strange_files_fail_cleanly(ws: Path, data: bytes, expected: str) -> None:
    write(ws, data)
    proc = run_build(ws)
    assert assert_built_or_clean(proc, ws) == "refused"
    assert expected in proc.stderr


def test_issue_named_on_the_command_line_but_missing(ws: Path) -> None:
    write(ws, FRONT + "# Story\n\nText.\n")
    proc = run_build(ws, "issues/2026-06-02-gone.md")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Error: issues/2026-06-02-gone.md: file not found"), proc.stderr


def test_a_folder_named_like_an_issue(ws: Path) -> None:
    """A folder in issues/ is skipped; named on the command line it is click's usage error."""
    (ws / "issues" / "folder.md").mkdir()
    write(ws, FRONT + "# Story\n\nText.\n")
    assert run_build(ws).returncode == 0
    proc = run_build(ws, "issues/folder.md")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "'issues/folder.md' is a directory" in proc.stderr


def test_file_deleted_between_listing_and_reading(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build lists issues/ first and reads each file later: one vanishing in between is
    that issue's clean error, and the others still build."""
    from newsletter.build import build
    from newsletter.workspace import Workspace, open_workspace

    for n in range(3):
        (ws / "issues" / f"2026-06-0{n + 1}-n{n}.md").write_text(FRONT + f"# Story {n}\n\nText.\n", encoding="utf-8")
    listed = Workspace.issue_files

    def list_then_delete(self: Workspace) -> list[Path]:
        files = listed(self)
        files[1].unlink()
        return files

    monkeypatch.setattr(Workspace, "issue_files", list_then_delete)
    monkeypatch.chdir(ws)
    outcomes = build(open_workspace(ws))
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert "file not found" in str(outcomes[1].error)


def test_files_deleted_while_a_build_runs(ws: Path) -> None:
    """A real race: delete issues at staggered moments while the CLI builds 40 of them."""
    for n in range(40):
        (ws / "issues" / f"2026-06-02-n{n:02d}.md").write_text(FRONT + f"# Story {n}\n\n" + "Words. " * 400,
                                                            encoding="utf-8")
    outcomes = set()
    for delay in (0.05, 0.3, 0.6, 1.0):
        proc = subprocess.Popen([sys.executable, "-m", "newsletter", "build"], cwd=ws, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        victims = sorted((ws / "issues").glob("*.md"))[-3:]
        for victim in victims:
            victim.unlink(missing_ok=True)
        out, err = proc.communicate(timeout=LIMIT_SECONDS)
        assert "Traceback" not in err, err[-2000:]
        assert proc.returncode in (0, 1), err
        for line in err.splitlines():
            if line.startswith("Error: "):
                assert "file not found" in line and any(v.name in line for v in victims), line
        outcomes.add(proc.returncode)
    assert os.listdir(ws / "out")


def test_a_sparse_800_megabyte_file_is_refused_without_reading_it(ws: Path) -> None:
    path = ws / "issues" / f"{SLUG}.md"
    with open(path, "wb") as f:
        f.truncate(800 * 1024 * 1024)  # takes no disk space, but reading it would take 800 MB of memory
    import resource

    def limit_memory() -> None:  # reading the file whole would need more than this
        resource.setrlimit(resource.RLIMIT_AS, (600 * 1024 * 1024, 600 * 1024 * 1024))

    proc = subprocess.run([sys.executable, "-m", "newsletter", "build", f"issues/{SLUG}.md"], cwd=ws,
                          capture_output=True, text=True, timeout=LIMIT_SECONDS, preexec_fn=limit_memory)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"Error: issues/{SLUG}.md: file is 800.0 MB; an issue file may be at most 1 MB" in proc.stderr


@pytest.mark.parametrize("kind, message", [("fifo", "is a named pipe (FIFO), not an issue file"),
                                           ("zero", "is a device, not an issue file")])
def test_a_pipe_or_a_device_named_as_an_issue_is_refused_without_reading_it(ws: Path, kind: str, message: str) -> None:
    path = ws / "issues" / f"{SLUG}.md"
    if kind == "fifo":
        os.mkfifo(path)  # reading it would wait forever for a writer
    else:
        path.symlink_to("/dev/zero")  # reading it would never end
    proc = subprocess.run([sys.executable, "-m", "newsletter", "build", f"issues/{SLUG}.md"], cwd=ws,
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"Error: issues/{SLUG}.md: {message} (name the Markdown file itself)" in proc.stderr


def test_read_issue_bytes_never_reads_past_the_limit(tmp_path: Path) -> None:
    from newsletter.content.source import MAX_ISSUE_BYTES, read_issue_bytes
    from newsletter.errors import ContentError

    path = tmp_path / "x.md"
    path.write_bytes(b"x" * MAX_ISSUE_BYTES)
    assert len(read_issue_bytes(path)) == MAX_ISSUE_BYTES
    path.write_bytes(b"x" * (MAX_ISSUE_BYTES + 1))
    with pytest.raises(ContentError, match="file is 1.0 MB; an issue file may be at most 1 MB"):
        read_issue_bytes(path)
