"""Instructions per issue, counted by valgrind (callgrind): a figure the machine's load doesn't move.

    python3 benchmarks/instructions.py                  # this checkout
    python3 benchmarks/instructions.py --ref ee5dfa2    # and a commit, side by side
    python3 benchmarks/instructions.py --issues 20

On a shared virtual machine, wall and CPU times of the same build swing by half from one
minute to the next; the number of instructions executed doesn't (repeated runs agree to
0.1 %). Each measurement runs two processes under callgrind that build generated ~2,000-word
issues the way a build worker does (``build_issues`` with the web archive page, after two
warm-up issues): one with ``--issues`` issues, one with none, after a discarded run that fills
a private user cache. The difference, divided by the number of issues, is one issue's cost.
``PYTHONHASHSEED`` is fixed so that both see the same dictionaries.

Caveat: valgrind's virtual CPU has no SHA extensions, so OpenSSL's SHA-256 (the cache's
digests, the .eml's boundary) counts more instructions here than it costs on the real CPU.
Needs ``valgrind`` on PATH (Debian: apt-get install valgrind); prints a note without it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Run in the measured process: build ``n`` generated issues after two warm-up ones.
_WORKER = """
import sys, tempfile
from pathlib import Path
root, n = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, root)
from benchmarks.generate import make_workspace
from newsletter.build import build_issues
from newsletter.render.inline import prepare_inliner
from newsletter.workspace import open_workspace
ws = open_workspace(make_workspace(Path(tempfile.mkdtemp()) / "ws", n + 2))
prepare_inliner()
files = ws.issue_files()
build_issues(ws, files[:2], archive=True)
build_issues(ws, files[2:], archive=True)
"""


def instructions(root: Path, issues: int, cache: Path) -> int:
    """Instructions executed by the worker script for ``issues`` issues, under callgrind, with
    ``cache`` as the user cache (compiled templates, premailer's memo)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "NEWSLETTER_CACHE_DIR": str(cache)}
        proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                               sys.executable, "-c", _WORKER, str(root), str(issues)],
                              capture_output=True, text=True, env=env, cwd=tmp)
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if proc.returncode != 0 or not found:
            raise SystemExit(f"callgrind run failed:\n{proc.stderr[-2000:]}")
        return int(found.group(1))


def per_issue(root: Path, issues: int) -> float:
    """One issue's instructions: a run with ``issues`` issues minus a run with none. Both use a
    private user cache that a first, discarded run has filled, so that neither pays for what
    the other saved there (compiled templates, parsed CSS)."""
    with tempfile.TemporaryDirectory() as cache:
        instructions(root, issues, Path(cache))
        none = instructions(root, 0, Path(cache))
        return (instructions(root, issues, Path(cache)) - none) / issues


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--issues", type=int, default=10, help="issues to measure (default 10)")
    ap.add_argument("--ref", help="also measure this git commit (checked out in a temporary worktree)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: no instruction counts (apt-get install valgrind)")
        return
    roots = [("this checkout", REPO)]
    worktree = None
    if args.ref:
        worktree = Path(tempfile.mkdtemp()) / "ref"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), args.ref],
                       check=True, capture_output=True)
        roots.insert(0, (args.ref, worktree))
    try:
        for name, root in roots:
            print(f"{name}: {per_issue(root, args.issues) / 1e6:.1f} million instructions per issue "
                  f"({args.issues} generated ~2,000-word issues)")
    finally:
        if worktree is not None:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)],
                           capture_output=True)


if __name__ == "__main__":
    main()
