"""Save-to-frame latency of `newsletter preview`, measured in headless Chromium.

Starts `newsletter preview` as a subprocess on a free loopback port over a copy of this
repository's workspace (or generated issues), opens the issue's page, then saves the issue
file N times with a new marker sentence. The page records, on the first animation frame
(the moment before a paint) at which the frame's document holds the marker, the wall-clock
time; the latency is that moment minus the moment just before the file was written (same
machine, same clock). The server's own log gives the whole rebuild's time.

    python3 benchmarks/preview_latency.py [--runs 20] [--issue NAME] [--mobile]

Prints one line per run and a summary (median, 90th percentile, worst).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("NEWSLETTER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

# Installed before each save: checks on every animation frame (just before the browser
# paints) whether the frame's document holds the marker, and remembers the first time it does.
WATCH_FRAME = """(marker) => {
  window.__seen = null;
  const frame = document.getElementById('frame');
  const check = () => {
    const doc = frame.contentDocument;
    if (doc && doc.body && doc.body.textContent.includes(marker)) { window.__seen = Date.now(); return; }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("preview exited early")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("preview did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--issue", default="", help="issue file name in issues/ (default: the largest)")
    ap.add_argument("--mobile", action="store_true", help="measure with the 375 px frame")
    opts = ap.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
        shutil.copytree(REPO / "issues", root / "issues")
        issues = sorted((root / "issues").glob("*.md"), key=lambda p: p.stat().st_size)
        issue = root / "issues" / opts.issue if opts.issue else issues[-1]
        original = issue.read_text(encoding="utf-8")
        port = free_port()
        log = root.parent / "preview.log"
        log_file = log.open("w", encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "newsletter", "preview", "--port", str(port)],
                                cwd=root, stdout=subprocess.DEVNULL, stderr=log_file)
        try:
            wait_until_serving(port, proc)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                    f"http://127.0.0.1:{port}/") else r.abort())
                page.goto(f"http://127.0.0.1:{port}/issue/{issue.stem}" + ("#w=375" if opts.mobile else ""))
                page.wait_for_function("() => document.getElementById('frame').dataset.loaded !== undefined")
                times = []
                for run in range(opts.runs):
                    marker = f"Latency marker {run} {time.time_ns()}."
                    page.evaluate(WATCH_FRAME, marker)
                    time.sleep(0.3)  # let the previous save settle
                    started = time.time() * 1000
                    issue.write_text(original.rstrip("\n") + f"\n\n{marker}\n", encoding="utf-8")
                    page.wait_for_function("() => window.__seen !== null", timeout=10000)
                    ms = page.evaluate("window.__seen") - started
                    times.append(ms)
                    print(f"run {run + 1:2d}: {ms:6.0f} ms")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log_file.close()
        # The server's own "Built <file> in N ms" lines: the rebuild's share of each save.
        built = [int(m) for m in re.findall(rf"Built {re.escape(issue.name)} in (\d+) ms", log.read_text())]
        builds = sorted(built[1:])  # the first is the startup build
    times.sort()
    p90 = times[max(0, round(0.9 * len(times)) - 1)]
    print(f"\n{issue.name} ({issue.stat().st_size if issue.exists() else len(original)} bytes), "
          f"{'375' if opts.mobile else '1024'} px frame, {len(times)} saves")
    print(f"save to frame: median {statistics.median(times):.0f} ms, p90 {p90:.0f} ms, worst {times[-1]:.0f} ms")
    if builds:
        print(f"the server's whole rebuild (HTML pass, full pass, writing out/): median "
              f"{statistics.median(builds):.0f} ms, worst {builds[-1]:.0f} ms")
    print(f"load average during the run: {os.getloadavg()[0]:.1f}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")


if __name__ == "__main__":
    main()
