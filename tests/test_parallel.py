"""Parallel builds (newsletter/parallel.py): the same bytes as a serial build, errors that
still say where, outcomes in order, and a progress bar only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.build import build
from newsletter.workspace import open_workspace

ISSUE = """\
---
subject: "Dispatch number {n}"
date: 2026-07-{n:02d}
---
Good morning. Issue {n} has a short intro with *emphasis* and a [link](https://dispatch.example/i/{n}).

# The ferry timetable, part {n}

The lede of part {n}. The council met on the quay and agreed to {n} more sailings.

## The News

Sailings rise to {n} a day from next month.

## Know More

- The ferry was built in 19{n:02d}.
- It carries {n} cars.

# A second story for {n}

## The View From the Harbour

Harbour staff say {n} extra crossings are manageable.
"""


@pytest.fixture
def twin(tmp_path: Path, workspace: Path) -> tuple[Path, Path]:
    """Two identical workspaces with six issues each (the conftest one and a copy)."""
    for n in range(1, 7):
        (workspace / "issues" / f"2026-07-{n:02d}-ferry-{n}.md").write_text(ISSUE.format(n=n), encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(workspace, other)
    return workspace, other


def _without_stat(cache: bytes) -> object:
    data = json.loads(cache)
    for entry in data["issues"].values():
        entry.pop("stat")
    return data


def _tree(root: Path) -> dict[str, bytes]:
    out = root / "out"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_parallel_and_serial_builds_write_identical_bytes(twin: tuple[Path, Path]) -> None:
    root, _ = twin
    serial = build(open_workspace(root), jobs=1)
    serial_tree = _tree(root)
    shutil.rmtree(root / "out")
    parallel = build(open_workspace(root), jobs=2)
    parallel_tree = _tree(root)
    assert all(o.error is None for o in serial + parallel)
    # serial builds keep the full result in this process; parallel ones were built elsewhere
    assert all(o.result is not None for o in serial)
    assert all(o.result is None and o.summary is not None for o in parallel)
    assert len([k for k in serial_tree if k.endswith("/email.html")]) == 7
    assert serial_tree.keys() == parallel_tree.keys()
    assert [k for k in serial_tree if serial_tree[k] != parallel_tree[k] and not k.startswith(".cache")] == []
    # the caches agree too, apart from the files' modification times
    assert _without_stat(serial_tree[".cache.json"]) == _without_stat(parallel_tree[".cache.json"])
    assert [o.summary for o in serial] == [o.summary for o in parallel]


def test_parallel_outcomes_come_back_in_the_given_order(twin: tuple[Path, Path]) -> None:
    root, _ = twin
    ws = open_workspace(root)
    paths = list(reversed(ws.issue_files()))
    outcomes = build(ws, paths, jobs=2)
    assert [o.path for o in outcomes] == paths
    assert [o.summary.slug for o in outcomes] == [p.stem for p in paths]


@pytest.mark.parametrize("first", [False, True], ids=["a-middle-issue", "the-first-issue"])
def test_parallel_errors_name_the_file_and_line_and_others_still_build(twin: tuple[Path, Path], first: bool) -> None:
    # The first issue is also what the parent renders to warm the pipeline up before the
    # workers start (parallel.warm_up): its error must still come from its worker, in place.
    root, _ = twin
    paths = open_workspace(root).issue_files()
    bad = paths[0] if first else root / "issues" / "2026-07-03-ferry-3.md"
    position = paths.index(bad)
    bad.write_text(bad.read_text().replace("\ndate: ", "\ndate: soon\nwas: "), encoding="utf-8")
    parallel = build(open_workspace(root), jobs=2)
    assert not (root / "out" / bad.stem).exists()
    serial = build(open_workspace(root), jobs=1, force=True)
    for outcomes in (parallel, serial):
        failed = [o for o in outcomes if o.error is not None]
        assert [o.path.name for o in failed] == [bad.name]
        assert failed[0].error.file.endswith(bad.name) and failed[0].error.line == 3
        assert len([o for o in outcomes if o.summary is not None]) == 6
    assert type(parallel[position].error) is type(serial[position].error)
    assert parallel[position].error.problems == serial[position].error.problems


def _cli(root: Path) -> list[str]:
    return [sys.executable, "-m", "newsletter", "build", "-C", str(root)]


def test_no_progress_bar_when_stdout_is_piped(twin: tuple[Path, Path]) -> None:
    root, _ = twin
    run = subprocess.run(_cli(root) + ["-j", "2"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    report = [line for line in lines if line.endswith("min read")]
    assert len(report) == 7
    assert not any("Building" in line or "#" in line or "\r" in line for line in lines)
    assert "Building" not in run.stderr


def _run_in_pty(cmd: list[str]) -> tuple[int, str]:
    """Run ``cmd`` with stdout and stderr on a pseudo-terminal; returns (exit code, everything printed)."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=terminal, stderr=terminal, stdin=subprocess.DEVNULL, close_fds=True)
    os.close(terminal)
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_appears_on_a_terminal(twin: tuple[Path, Path]) -> None:
    root, _ = twin
    code, printed = _run_in_pty(_cli(root) + ["-j", "2"])
    assert code == 0, printed
    assert "Building" in printed
    assert "7/7" in printed
    assert printed.count("min read") == 7


def test_no_progress_bar_for_one_issue_or_when_nothing_needs_building(twin: tuple[Path, Path]) -> None:
    root, _ = twin
    code, printed = _run_in_pty(_cli(root))
    assert code == 0 and "Building" in printed
    code, printed = _run_in_pty(_cli(root))  # everything is cached now
    assert code == 0 and "Building" not in printed and printed.count("min read") == 7
    code, printed = _run_in_pty(_cli(root) + ["--force", str(root / "issues" / "2026-07-01-ferry-1.md")])
    assert code == 0 and "Building" not in printed and printed.count("min read") == 1


def test_jobs_must_be_positive(twin: tuple[Path, Path]) -> None:
    root, _ = twin
    run = subprocess.run(_cli(root) + ["-j", "0"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "-j" in run.stderr and "Traceback" not in run.stderr


def test_parallel_build_from_a_threaded_process_uses_fresh_workers(twin: tuple[Path, Path]) -> None:
    """With other threads running (the preview server), forking isn't safe: workers are spawned
    instead, and the output is the same."""
    import threading

    from newsletter import parallel

    root, other = twin
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        assert parallel._pool_context().get_start_method() == "spawn"
        spawned = build(open_workspace(root), jobs=2)
    finally:
        stop.set()
        thread.join()
    forked = build(open_workspace(other), jobs=2)
    assert all(o.error is None and o.result is None for o in spawned)
    for o in spawned + forked:
        assert o.summary is not None
    assert [o.summary.html_bytes for o in spawned] == [o.summary.html_bytes for o in forked]
    def html(r: Path) -> list[tuple[str, bytes]]:
        return sorted((p.relative_to(r).as_posix(), p.read_bytes()) for p in (r / "out").glob("*/email.html"))

    assert len(html(root)) == 7
    assert html(root) == html(other)


def test_ctrl_c_stops_a_parallel_build_without_worker_tracebacks(tmp_path: Path) -> None:
    import signal
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.generate import make_workspace

    root = make_workspace(tmp_path / "many", 400, words=300, stories=1)
    proc = subprocess.Popen(_cli(root) + ["-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not list((root / "out").glob("*/email.html")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the workers are building
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Aborted" in err
    assert err.count("Traceback") == 0, err
    assert len(list((root / "out").glob("*/email.html"))) < 400


def test_workers_get_a_few_issues_at_a_time_and_every_issue_once() -> None:
    from newsletter.parallel import CHUNK, chunks

    paths = [Path(f"issues/{i:04d}.md") for i in range(1000)]
    runs = chunks(paths, 2)
    assert [p for run in runs for p in run] == paths
    assert {len(run) for run in runs} == {CHUNK}
    few = chunks(paths[:10], 2)  # a small batch still spreads over both workers
    assert [len(run) for run in few] == [1] * 10
    assert chunks([], 2) == []


# --- the workers end with the parent ----------------------------------------------------

def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found |= {int(c) for c in f.read().split()}
    except OSError:
        pass
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _parallel_build(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, set[int]]:
    """A two-worker build of 150 issues (a few seconds of work), once both workers build."""
    import time

    from benchmarks.generate import make_workspace

    workspace = make_workspace(tmp_path / "ws", 150)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "newsletter", "build", "-j2", "--force"], cwd=workspace, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    if len(workers) < 2:
        proc.kill()
        proc.wait()
        pytest.fail("the workers never started")
    time.sleep(0.3)
    return proc, workspace, workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_workers_end_with_a_parent_that_is_terminated_or_killed(tmp_path: Path, sig: str) -> None:
    import signal
    import time

    proc, workspace, workers = _parallel_build(tmp_path)
    try:
        proc.send_signal(getattr(signal, sig))
        # The workers held the pipes open: communicate() ended only when they did.
        _, stderr = proc.communicate(timeout=30)
        assert b"Traceback" not in stderr
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers)
        # A worker stopped half way removed what it had staged and put back what it had renamed.
        assert not [p for p in (workspace / "out").rglob("*") if p.name.endswith(".tmp")]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_sigterm_stops_a_serial_build_between_whole_issues(tmp_path: Path) -> None:
    """-j1: the default action of SIGTERM ended the process wherever it was, a commit half done
    (some of an issue's files new, some old) and its temporary files left behind."""
    import signal
    import time

    from benchmarks.generate import make_workspace

    workspace = make_workspace(tmp_path / "ws", 120, words=400, stories=1)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "newsletter", "build", "-j1"], cwd=workspace, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(list((workspace / "out").glob("*/email.eml"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert b"Traceback" not in stderr, stderr
        assert proc.returncode != 0 and b"Aborted" in stderr
        assert not [p for p in (workspace / "out").rglob("*") if p.name.endswith(".tmp")]
        folders = [d for d in (workspace / "out").iterdir() if d.is_dir() and d.name != "archive"]
        written = [sorted(p.name for p in folder.iterdir()) for folder in folders]
        # Every issue whole: all three files, or none (the folder of the issue being staged
        # when the signal came may stay, empty).
        assert all(names in ([], ["email.eml", "email.html", "email.txt"]) for names in written), written
        assert 3 <= sum(bool(names) for names in written) < 120
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_alone_fails_its_issues_not_the_build_report(tmp_path: Path) -> None:
    """The out-of-memory killer (or kill PID) takes one worker: its issues and those not yet
    built fail with a message saying so, instead of a BrokenProcessPool traceback."""
    import signal

    proc, _, workers = _parallel_build(tmp_path)
    try:
        os.kill(min(workers), signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        assert b"Traceback" not in err, err
        assert proc.returncode == 1
        assert b"ended before it was done" in err
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
