"""How long the quality gate takes: the offline rules (what every build pays) and --spam.

Usage: python3 -m benchmarks.check_speed [WORKSPACE] [--runs N]
Prints, per issue, the HTML size and the median (wall and CPU) and fastest time of run_checks over N runs
(after one warm-up run that loads the caniemail snapshot and reads the templates), then the
wall time of one SpamAssassin scoring. Figures go in docs/check.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from newsletter.build import render_issue
from newsletter.checks import run_checks, spam
from newsletter.checks.context import CheckContext
from newsletter.render.jinja import search_path
from newsletter.workspace import open_workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace", nargs="?", default=".")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    ws = open_workspace(Path(args.workspace))
    dirs = search_path(ws.templates_dir)
    for path in ws.issue_files():
        result = render_issue(ws, path)
        start = time.perf_counter()
        run_checks(result, ws.settings, dirs)
        first = time.perf_counter() - start
        times, cpu = [], []
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            run_checks(result, ws.settings, dirs)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        print(f"{path.name}: {result.html_bytes / 1024:.1f} KB HTML; offline rules: first run "
              f"{first * 1000:.1f} ms, then median {statistics.median(times) * 1000:.1f} ms wall, "
              f"{statistics.median(cpu) * 1000:.1f} ms CPU, fastest {min(times) * 1000:.1f} ms ({args.runs} runs)")
        ctx = CheckContext(result, ws.settings, dirs)
        start = time.perf_counter()
        total, _, _ = spam.score(spam.message_bytes(ctx))
        print(f"  spamassassin -L -t: score {total:.1f} in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
