"""SIGKILL `newsletter build` at 50 seeded random moments while it rewrites 30 issues.

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
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def cli(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "newsletter", "build"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


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


def wait_for_first_write(proc: subprocess.Popen[bytes], out: Path, timeout: float = 120) -> float:
    """Seconds until the build renames its first output into place (os.replace gives a new inode)."""
    start = time.monotonic()
    before = inodes(out)
    while proc.poll() is None and time.monotonic() - start < timeout:
        if inodes(out) != before:
            break
        time.sleep(0.002)
    return time.monotonic() - start


def full_build(root: Path) -> tuple[float, float]:
    """Build to the end; returns (seconds until the first output was replaced, seconds in all)."""
    start = time.monotonic()
    proc = cli(root)
    first = wait_for_first_write(proc, root / "out")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    return first, time.monotonic() - start


def test_sigkill_at_random_moments_leaves_old_or_new_files(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "issues").mkdir(parents=True)
    (root / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    out = root / "out"
    write_issues(root, "A")
    full_build(root)
    version_a, temps = snapshot(out)
    write_issues(root, "B")
    first_write, duration = full_build(root)
    window = max(duration - first_write, 0.05)  # the stretch in which outputs are replaced
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
        write_issues(root, target)
        proc = cli(root)
        if n % 5 == 0:
            time.sleep(rng.uniform(0.0, duration))  # any moment: start-up, parsing, rendering
        else:
            # A moment inside the writing: after the first output is replaced.
            wait_for_first_write(proc, out)
            time.sleep(rng.uniform(0.0, window))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            finished_before_kill += 1
        proc.wait(timeout=30)
        time.sleep(0.05)  # let the killed group's last writes (if any) land before looking
        hashes, temps = snapshot(out)
        wanted = version_a if target == "A" else version_b
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
    full_build(root)
    hashes, temps = snapshot(out)
    assert hashes == version_b
    # Leftover temporary files are never outputs: the preview and archive serve fixed names.
    assert all(TEMP_NAME.match(Path(t).name) for t in temps)
