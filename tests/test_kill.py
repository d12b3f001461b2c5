"""SIGKILL `newsletter build` at 50 seeded random moments while it rewrites 30 issues.

Each build is the real CLI entry point (`newsletter build`, default jobs, in its own session)
forked from tests/kill_zygote.py, a process with the pipeline already imported: the rounds
don't wait ~1 s for Python to start, and the kills land in the build itself.

After every kill, each file in out/ must be byte-for-byte the complete previous version
or the complete new one (hashed against both, built beforehand), nothing may be missing,
and temporary files the writer left behind (``.<name>.XXXX.tmp``) must never carry an
output's name. After the last kill, a normal build succeeds and out/ holds the new
version exactly. The build's whole process group is killed, worker processes included.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import MINIMAL_SETTINGS

pytestmark = pytest.mark.slow
ISSUES = 30
KILLS = 50
SEED = 20260602
TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]+\.tmp$")
CACHE = re.compile(r"^\.cache[\w-]*\.json$")  # build caches: checked for completeness, not versions


def write_issues(root: Path, version: str) -> None:
    for n in range(ISSUES):
        text = (f"---\nsubject: Issue {n} version {version}\ndate: 2026-06-{n % 28 + 1:02d}\n---\n"
                f"Intro of version {version}.\n\n# Story {n} ({version})\n\n"
                + f"Paragraph {version}. " * (40 + n) + "\n\n## The News\n\n" + f"News {version}.\n")
        (root / "issues" / f"2026-06-{n % 28 + 1:02d}-issue-{n:02d}.md").write_text(text, encoding="utf-8")


def snapshot(out: Path) -> tuple[dict[str, str], list[str]]:
    """(relative path -> sha256) of the outputs, and the temporary files left lying around."""
    hashes: dict[str, str] = {}
    temps: list[str] = []
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        rel = str(path.relative_to(out))
        if TEMP_NAME.match(path.name):
            temps.append(rel)
        elif not CACHE.match(path.name):
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes, temps


class Zygote:
    """tests/kill_zygote.py: forks `newsletter build` runs from a process that has the pipeline
    imported already, so a round doesn't spend ~1 s starting Python before the build begins."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("kill_zygote.py"))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.buffer = b""
        self.runs = 0

    def line(self, timeout: float | None) -> str | None:
        """The next line from the zygote, or None if none came within ``timeout`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 4096)
            assert chunk, "the zygote died"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Build:
    """One `newsletter build` in ``root``, run by the zygote: the bits of Popen the test uses."""

    def __init__(self, zygote: Zygote, root: Path) -> None:
        assert zygote.proc.stdin is not None
        zygote.runs += 1
        self.zygote = zygote
        self.stderr = root.parent / f"build-{zygote.runs}.err"
        zygote.proc.stdin.write(f"{root}\t{self.stderr}\n".encode())
        zygote.proc.stdin.flush()
        pid = zygote.line(timeout=30)
        assert pid is not None, "the zygote didn't start a build"
        self.pid = int(pid)
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            code = self.zygote.line(timeout)
            if code is None:
                raise subprocess.TimeoutExpired(f"newsletter build (pid {self.pid})", timeout or 0)
            self.returncode = int(code)
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def communicate(self, timeout: float | None = None) -> tuple[None, bytes]:
        self.wait(timeout)
        return None, self.stderr.read_bytes()


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    z = Zygote()
    yield z
    z.close()


def test_zygote_runs_the_real_cli(zygote: Zygote, tmp_path: Path) -> None:
    """A zygote run is `newsletter build`: it builds, and fails like the CLI (one line, exit 1)."""
    root = tmp_path / "ws"
    (root / "issues").mkdir(parents=True)
    (root / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    write_issues(root, "A")
    (root / "issues" / "2026-06-03-broken.md").write_text("---\nsubject: [unclosed\n---\nText.\n", encoding="utf-8")
    build = Build(zygote, root)
    _, err = build.communicate(timeout=120)
    assert build.returncode == 1
    assert err.decode().startswith("Error: ") and "2026-06-03-broken.md" in err.decode()
    assert b"Traceback" not in err
    assert (root / "out" / "2026-06-02-issue-01" / "email.html").is_file()


def inodes(out: Path) -> dict[str, int]:
    found = {}
    for folder in out.iterdir() if out.is_dir() else []:
        if folder.is_dir():
            for name in ("email.html", "email.txt", "email.eml"):
                try:
                    found[f"{folder.name}/{name}"] = os.stat(folder / name).st_ino
                except OSError:
                    pass
    return found


def wait_for_first_write(proc: Build, out: Path, timeout: float = 120) -> float:
    """Seconds until the build renames its first output into place (os.replace gives a new inode)."""
    start = time.monotonic()
    before = inodes(out)
    while proc.poll() is None and time.monotonic() - start < timeout:
        if inodes(out) != before:
            break
        time.sleep(0.002)
    return time.monotonic() - start


def wait_for_replaced(proc: Build, out: Path, before: dict[str, int], count: int, timeout: float = 120) -> None:
    """Return once ``count`` outputs have a new inode since ``before`` (or the build ended)."""
    start = time.monotonic()
    while proc.poll() is None and time.monotonic() - start < timeout:
        now = inodes(out)
        if sum(1 for rel, ino in now.items() if before.get(rel) != ino) >= count:
            return
        time.sleep(0.001)


def full_build(zygote: Zygote, root: Path) -> tuple[float, float]:
    """Build to the end; returns (seconds until the first output was replaced, seconds in all)."""
    start = time.monotonic()
    proc = Build(zygote, root)
    first = wait_for_first_write(proc, root / "out")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    return first, time.monotonic() - start


def test_sigkill_at_random_moments_leaves_old_or_new_files(zygote: Zygote, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "issues").mkdir(parents=True)
    (root / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    out = root / "out"
    write_issues(root, "A")
    full_build(zygote, root)
    version_a, temps = snapshot(out)
    write_issues(root, "B")
    first_write, duration = full_build(zygote, root)
    version_b, more_temps = snapshot(out)
    assert temps == more_temps == []
    assert version_a.keys() == version_b.keys()
    changed = {p for p in version_a if version_a[p] != version_b[p]}
    assert len(changed) >= 3 * ISSUES  # every issue's email.html, email.txt, email.eml at least

    rng = random.Random(SEED)
    problems: list[str] = []
    finished_before_kill = 0
    mid_write = 0  # kills that left some outputs new and some old: the interesting ones
    for n in range(KILLS):
        target = "A" if n % 2 == 0 else "B"
        previous, _ = snapshot(out)
        before = inodes(out)
        write_issues(root, target)
        wanted = version_a if target == "A" else version_b
        # Outputs this round replaces: some issues may still be at the target version
        # (and cached) after an earlier kill, so a round can do less than the reference build.
        replaced = sum(1 for rel in before if previous.get(rel) != wanted.get(rel))
        proc = Build(zygote, root)
        if n % 5 == 0:
            time.sleep(rng.uniform(0.0, duration))  # any moment: start-up, parsing, rendering
        else:
            # A moment inside the writing, counted in outputs replaced rather than seconds (a
            # round's length varies with the cache and the machine): after a random number of
            # them, then up to a few milliseconds more to land inside a chunk's renames too.
            wait_for_replaced(proc, out, before, rng.randint(1, max(1, replaced - 1)))
            time.sleep(rng.uniform(0.0, 0.004))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            finished_before_kill += 1
        proc.wait(timeout=30)
        time.sleep(0.05)  # let the killed group's last writes (if any) land before looking
        hashes, temps = snapshot(out)
        to_change = {p for p in previous if previous[p] != wanted[p]}
        changed = {p for p in to_change if hashes.get(p) == wanted[p]}
        if 0 < len(changed) < len(to_change):
            mid_write += 1
        for rel, digest in hashes.items():
            if rel not in version_a:
                problems.append(f"kill {n}: unexpected file {rel}")
            elif digest not in (version_a[rel], version_b[rel]):
                problems.append(f"kill {n}: {rel} is neither the old nor the new version (torn write)")
        for rel in version_a.keys() - hashes.keys():
            problems.append(f"kill {n}: {rel} is missing")
        for rel in temps:
            if Path(rel).name in ("email.html", "email.txt", "email.eml", "index.html", "feed.xml"):
                problems.append(f"kill {n}: temporary file has an output's name: {rel}")
        for cache in out.glob(".cache*.json"):
            try:
                json.loads(cache.read_text(encoding="utf-8"))
            except ValueError:
                problems.append(f"kill {n}: {cache.name} is torn")
    assert problems == []
    # Most kills must land while the build runs, or the test shows nothing.
    assert finished_before_kill <= KILLS * 2 // 5, finished_before_kill
    assert mid_write >= 5, mid_write
    print(f"{KILLS} kills: {mid_write} mid-write, {finished_before_kill} after the build finished; "
          f"reference build {duration:.1f} s, writing from {first_write:.1f} s", file=sys.stderr)

    # The next build succeeds and brings every output to the new version, cache or not.
    write_issues(root, "B")
    full_build(zygote, root)
    hashes, temps = snapshot(out)
    assert hashes == version_b
    # Leftover temporary files are never outputs: the preview and archive serve fixed names.
    assert all(TEMP_NAME.match(Path(t).name) for t in temps)
