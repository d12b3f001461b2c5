"""`newsletter preview` under load, as a real process on 127.0.0.1: rounds of 200 concurrent
requests while the issue is saved 50 times in quick succession (every fifth save with broken
YAML). The server keeps answering every request, never shows a traceback, settles on the
last saved content, and its memory (RSS) stays flat from one round to the next."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import MINIMAL_SETTINGS, free_port

pytestmark = pytest.mark.slow
SLUG = "2026-06-02-load"
REQUESTS = 200
SAVES = 50
ROUNDS = 4
#: Allowed RSS growth between the end of the first round and the end of the last.
RSS_MARGIN_BYTES = 24 * 1024 * 1024


def issue_text(n: int, broken: bool) -> str:
    subject = f'"Save {n}' if broken else f'"Save {n}"'  # an unclosed quote: invalid YAML
    return (f"---\nsubject: {subject}\ndate: 2026-06-02\n---\nIntro {n}.\n\n# Story of save {n}\n\n"
            + f"Body text for save number {n}. " * 30 + f"\n\nMARKER-{n}-END\n")


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


PATHS = [
    "/", f"/issue/{SLUG}", f"/api/issue/{SLUG}", f"/email/{SLUG}/view.html",
    f"/email/{SLUG}/view.html?views=mobile,dark", f"/email/{SLUG}/text.html", f"/email/{SLUG}/source.html",
    f"/email/{SLUG}/email.html", "/static/preview.js", "/static/preview.css", "/nope", "/issue/nope",
    "/email/../../etc/passwd", "/%2e%2e/newsletter.yaml",
]


def load_round(port: int, issue: Path, round_no: int) -> list[str]:
    """200 concurrent requests while 50 saves land; returns what went wrong."""
    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        futures = [(p, pool.submit(get, port, p)) for p in (PATHS * (REQUESTS // len(PATHS) + 1))[:REQUESTS]]
        for n in range(SAVES):
            last = n == SAVES - 1
            issue.write_text(issue_text(round_no * 100 + n, broken=(n % 5 == 4 and not last)), encoding="utf-8")
            time.sleep(0.02)
        for path, future in futures:
            try:
                status, body = future.result(timeout=120)
            except Exception as e:  # noqa: BLE001 - a refused or dropped request is the failure
                problems.append(f"{path}: {type(e).__name__}: {e}")
                continue
            if status not in (200, 400, 404):
                problems.append(f"{path}: HTTP {status}")
            if b"Traceback" in body or b'File "/' in body:
                problems.append(f"{path}: traceback in the response")
    return problems


def wait_for_final(port: int, round_no: int) -> dict[str, object]:
    """The page settles on the last save's content (the watcher debounces, so allow time)."""
    want = f"Save {round_no * 100 + SAVES - 1}"
    deadline = time.monotonic() + 60
    summary: dict[str, object] = {}
    while time.monotonic() < deadline:
        status, body = get(port, f"/api/issue/{SLUG}")
        summary = json.loads(body)
        if status == 200 and summary.get("subject") == want and not summary.get("errors"):
            return summary
        time.sleep(0.2)
    raise AssertionError(f"never settled on {want!r}: {summary}")


def test_preview_under_load(tmp_path: Path) -> None:
    (tmp_path / "issues").mkdir()
    (tmp_path / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    issue = tmp_path / "issues" / f"{SLUG}.md"
    issue.write_text(issue_text(0, broken=False), encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "newsletter", "preview", "--port", str(port), "--no-open"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, "/")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "preview did not start"
            time.sleep(0.2)

        rss: list[int] = []
        for round_no in range(ROUNDS):
            problems = load_round(port, issue, round_no)
            assert problems == [], problems[:20]
            wait_for_final(port, round_no)
            status, body = get(port, f"/email/{SLUG}/view.html")
            final = round_no * 100 + SAVES - 1
            assert status == 200 and f"MARKER-{final}-END".encode() in body
            assert f"MARKER-{final - 1}-END".encode() not in body
            rss.append(rss_bytes(proc.pid))
        # Round 1 warms caches up; after that, memory must not keep growing with the load.
        assert rss[-1] - rss[0] < RSS_MARGIN_BYTES, [r // 1024 for r in rss]
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "Traceback" not in err, err[-3000:]
    print(f"preview RSS after each round (KB): {[r // 1024 for r in rss]}", file=sys.stderr)
