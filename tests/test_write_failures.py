"""A full disk, a read-only out/, or an output path that is a file: the real CLI in a
subprocess gives one clear error line and exit 1, no traceback, and leaves every output
of the previous build byte-for-byte as it was, with no temporary files behind.

The tests run as root, for whom chmod stops nothing, so the failures are simulated: a
small wrapper replaces os.fsync (and the syncfs() call that syncs many files at once),
os.open or os.replace in the build process with one that raises the OSError the kernel
would (ENOSPC, EROFS, EIO) for paths under out/.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINIMAL_SETTINGS

pytestmark = pytest.mark.slow
SLUGS = ("2026-06-01-first", "2026-06-02-second", "2026-06-03-third")

#: Runs `newsletter build` with one os function failing the way a sick disk makes it fail.
WRAPPER = r"""
import errno, os, sys
mode = sys.argv[1]
real = {"fsync": os.fsync, "open": os.open, "replace": os.replace}
calls = {"replace": 0}

def under_out(path):
    return os.sep + "out" + os.sep in os.path.abspath(os.fspath(path)) + os.sep

def fsync(fd):
    if mode == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real["fsync"](fd)

def open_(path, flags, *args, **kw):
    if mode == "erofs" and under_out(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
    return real["open"](path, flags, *args, **kw)

def replace(src, dst, *args, **kw):
    calls["replace"] += 1
    if mode == "eio-replace" and under_out(dst) and calls["replace"] % 2 == 0:
        raise OSError(errno.EIO, os.strerror(errno.EIO), dst)
    return real["replace"](src, dst, *args, **kw)

os.fsync, os.open, os.replace = fsync, open_, replace

import newsletter.output as output  # many files are synced with one syncfs() call, not os.fsync
real_syncfs = output._syncfs_function()

def syncfs_function():
    def syncfs(fd):
        if mode == "enospc":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_syncfs(fd)
    return syncfs if real_syncfs is not None else None

output._syncfs_function = syncfs_function
from newsletter.cli import main
sys.argv = ["newsletter", "build", *sys.argv[2:]]
main()
"""


def make_ws(root: Path, version: str) -> None:
    (root / "issues").mkdir(parents=True, exist_ok=True)
    (root / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    for slug in SLUGS:
        (root / "issues" / f"{slug}.md").write_text(
            f"---\nsubject: {slug} {version}\ndate: {slug[:10]}\n---\n# Story {version}\n\nText {version}.\n",
            encoding="utf-8")


def build(root: Path, mode: str = "none", *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WRAPPER, mode, *args], cwd=root, capture_output=True, text=True,
                          timeout=120)


def outputs(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root / "out")): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (root / "out").rglob("*") if p.is_file()}


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A workspace built once (version A), then edited to version B."""
    make_ws(tmp_path, "A")
    proc = build(tmp_path)
    assert proc.returncode == 0, proc.stderr
    before = outputs(tmp_path)
    assert any(k.endswith("email.html") for k in before)
    make_ws(tmp_path, "B")
    return tmp_path, before


def assert_clean_failure(proc: subprocess.CompletedProcess[str], reason: str) -> None:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert errors, proc.stderr
    for line in errors:
        assert reason in line, line
        assert line.count("Error:") == 1


@pytest.mark.parametrize("mode, reason", [
    ("enospc", "no space left on the device"),
    ("erofs", "permission denied (is out/ read-only?)"),
])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_disk_failure_keeps_previous_outputs(built: tuple[Path, dict[str, str]], mode: str, reason: str,
                                             jobs: str) -> None:
    root, before = built
    proc = build(root, mode, "--jobs", jobs)
    assert_clean_failure(proc, reason)
    assert outputs(root) == before  # every old file, byte for byte; no temporary file left
    # Once the disk is well again, the build completes with the new version.
    assert build(root).returncode == 0
    after = outputs(root)
    assert after.keys() == before.keys() and after != before


def test_rename_failure_leaves_complete_files(built: tuple[Path, dict[str, str]]) -> None:
    """A rename that fails half-way through an issue's files: each file is still whole
    (old or new), no temporary file remains, and the error names the file."""
    root, before = built
    proc = build(root, "eio-replace", "--jobs", "1")
    assert_clean_failure(proc, "cannot write output")
    after = outputs(root)
    assert after.keys() == before.keys()
    make_ws(root, "B")
    assert build(root, "none", "--force").returncode == 0
    new = outputs(root)
    for name, digest in after.items():
        if name.startswith("archive/"):
            # The archive lists the issues that did build: a third, equally complete version.
            assert (root / "out" / name).read_bytes().rstrip().endswith((b"</html>", b"</feed>", b"</rss>")), name
        else:
            assert digest in (before[name], new[name]), name


def test_out_is_a_file(tmp_path: Path) -> None:
    make_ws(tmp_path, "A")
    (tmp_path / "out").write_text("not a folder\n", encoding="utf-8")
    proc = build(tmp_path)
    assert_clean_failure(proc, "out is a file, not a folder (move it away)")
    assert (tmp_path / "out").read_text(encoding="utf-8") == "not a folder\n"


def test_output_name_taken_by_a_folder(built: tuple[Path, dict[str, str]]) -> None:
    root, before = built
    html = root / "out" / SLUGS[0] / "email.html"
    html.unlink()
    html.mkdir()
    proc = build(root, "none", "--force")
    assert_clean_failure(proc, "a folder is in the way")
    assert proc.stderr.count("Error: ") == 1
    still = outputs(root)
    mine = {n: d for n, d in still.items() if n.startswith(SLUGS[0] + "/")}
    # That other files are all or nothing: still the previous version.
    assert mine and all(before[n] == d for n, d in mine.items())
    # The other issues built.
    assert any(d != before[n] for n, d in still.items() if n.startswith(SLUGS[1] + "/"))
