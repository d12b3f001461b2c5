"""Building many issues: skip what the cache says is current, build the rest on every core.

``run_batch`` is what ``newsletter.build.build`` calls. It
1. works out each issue's cache key (newsletter/cache.py) and takes the cached report of
   every issue whose outputs are current (unless ``force``);
2. builds the others with ``newsletter.build.build_issues``, the same function either
   way: in this process for one issue or ``jobs=1``, otherwise in a pool of worker
   processes (one per core by default) that take a few issues at a time, write their own
   outputs and send back only a small IssueSummary per issue, so the parent's memory
   doesn't grow with the archive;
3. removes out/<slug>/ folders no issue produces any more (on a full build, those of
   issues whose file is gone);
4. saves the cache.
Outcomes come back in the order the issues were given, whatever order they finished in.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Protocol

from newsletter.cache import SHARED_CACHE_NAME, BuildCache, IssueSummary, issue_key, workspace_fingerprint

ARCHIVE_DIR = "archive"  # newsletter.deliver.archive.ARCHIVE_DIR, without importing the pipeline
from newsletter.errors import ContentError, NewsletterError, Problem, display_path
from newsletter.workspace import Workspace


class Progress(Protocol):
    """Told how many issues will be built, then once per issue finished."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...

    def finish(self) -> None: ...


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run_batch(
    ws: Workspace,
    paths: list[Path],
    *,
    full: bool,
    emit_mjml: bool = False,
    force: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    archive: bool = False,
    errors: list[NewsletterError] | None = None,
) -> list[Any]:
    """Build ``paths``; returns one newsletter.build.IssueOutcome per path, in order.

    With ``archive``, each issue's web page (out/archive/<slug>/index.html) is built and
    cached with it; write the index afterwards with ``update_archive_index``.

    A cache that can't be saved (out/.cache.json is a folder) costs only the next build's
    time: its error goes to ``errors`` when given (raised otherwise), after every outcome."""
    from newsletter.build import IssueOutcome
    from newsletter.content.source import read_issue_bytes
    from newsletter.render.theme import check_workspace_templates, search_path

    # Before the cache: its key can't tell a broken templates/ from none (both mean the theme).
    check_workspace_templates(ws.templates_dir)
    cache = BuildCache(ws).load()
    fingerprint = workspace_fingerprint(ws, search_path(ws.templates_dir), {"emit_mjml": emit_mjml})
    required = (f"{ARCHIVE_DIR}/{{slug}}/index.html",) if archive else ()
    outcomes: list[IssueOutcome | None] = [None] * len(paths)
    todo: list[tuple[int, Path, str, str]] = []  # (position, path, entry name, key)
    names = [cache.name_for(p) for p in paths]
    _refuse_shared_folders(ws, paths, names)
    for i, path in enumerate(paths):
        name = names[i]
        try:
            source = read_issue_bytes(path)  # checks the type and size before reading
        except NewsletterError:
            # Let the pipeline report it the way it reports every unreadable issue.
            todo.append((i, path, name, ""))
            continue
        key = issue_key(fingerprint, source)
        summary = None if force else cache.lookup(name, key, required)
        if summary is not None:
            outcomes[i] = IssueOutcome(path, summary=summary, cached=True)
        else:
            todo.append((i, path, name, key))

    jobs = default_jobs() if jobs is None or jobs < 1 else jobs
    replaced: set[str] = set()
    if progress is not None and todo:
        progress.start(len(todo))
    try:
        task = Task(ws, emit_mjml, archive)
        built = list(zip(todo, _build(task, [t[1] for t in todo], jobs, progress)))
    finally:
        if progress is not None and todo:
            progress.finish()
    # An issue failed: the archive's index stays as it was (newsletter/commands/build.py), and
    # so must every page it links to. Folders of deleted or renamed issues go on the next
    # build that writes the index: their cache entries are kept until then.
    frozen = archive and any(outcome.error is not None for _, outcome in built)
    for (i, path, name, key), outcome in built:
        outcomes[i] = outcome
        if outcome.summary is not None and key:
            old_slug = cache.slug_of(name)
            if old_slug and old_slug != outcome.summary.slug:
                if frozen:
                    continue  # the old entry (old slug) stays: the issue builds again next time
                replaced.add(old_slug)  # the issue's slug changed: its old folder is stale
            cache.record(name, key, outcome.summary)

    _remove_stale(ws, cache, set(names), outcomes, replaced, full=full and not frozen)
    try:
        cache.save()
    except NewsletterError as e:
        if errors is None:
            raise
        errors.append(e)
    return [o for o in outcomes if o is not None]


def _refuse_shared_folders(ws: Workspace, paths: list[Path], names: list[str]) -> None:
    """Two different files with the same name (issues/a.md, drafts/a.md) would both build into
    out/a/, the second overwriting the first: an error before anything is built."""
    first: dict[str, tuple[str, Path]] = {}
    for path, name in zip(paths, names):
        seen = first.setdefault(path.stem, (name, path))
        if seen[0] != name:
            raise ContentError(Problem(str(path), 0, f"has the same file name as {display_path(seen[1])}: both would "
                                       f"build into {display_path(ws.out_for(path.stem))}/", "rename one of them"))


@dataclass(frozen=True)
class Task:
    """What every issue of one batch gets done to it (sent once to each worker)."""

    ws: Workspace
    emit_mjml: bool
    archive: bool

    def run(self, paths: list[Path]) -> list[tuple[Any, IssueSummary | None, NewsletterError | None]]:
        """Build these issues (and their archive pages) and write them together; returns
        (BuildResult, summary, None) or (None, None, error) per issue, in order."""
        from newsletter.build import build_issues

        return [(result, None if result is None else IssueSummary.from_result(result, written, self.ws.out_dir),
                 error)
                for result, written, error in build_issues(self.ws, paths, emit_mjml=self.emit_mjml,
                                                           archive=self.archive)]


def _build(task: Task, paths: list[Path], jobs: int, progress: Progress | None) -> list[Any]:
    # SIGTERM stops a build as Ctrl-C does: by default it ended this process at once, in the
    # middle of a commit (some outputs new, some old) and with parallel workers left running.
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        if jobs == 1 or len(paths) <= 1:
            return _build_serial(task, paths, progress)
        return _build_parallel(task, paths, min(jobs, len(paths)), progress)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _build_serial(task: Task, paths: list[Path], progress: Progress | None) -> list[Any]:
    from newsletter.build import IssueOutcome

    outcomes = []
    for path in paths:  # one at a time: each issue is on disk before the next starts
        [(result, summary, error)] = task.run([path])
        outcomes.append(IssueOutcome(path, result, summary=summary, error=error))
        if progress is not None:
            progress.advance()
    return outcomes


# --- worker processes -------------------------------------------------------------------

_WORKER: dict[str, Task] = {}


def _worker_init(task: Task, parent: int) -> None:
    # Ctrl-C reaches every process of the terminal's group: let the parent alone handle it
    # (it cancels what hasn't started and waits for the rest), so no worker prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)  # not the parent's handler, inherited by fork
    # A parent killed outright (SIGKILL, or a crash) can't wait for its workers: each must end
    # with it, not live on under PID 1 holding the caller's stdout and stderr open.
    _end_with_parent(parent)
    # Parsing an issue allocates some 100,000 short-lived objects (markdown-it tokens, the
    # content model); at the default threshold of 700 the collector runs after every few
    # hundred. Collecting young objects less often took 4-7 % off a build's CPU time.
    gc.set_threshold(10_000, 20, 20)
    _WORKER["task"] = task


class _Stop(BaseException):
    """SIGTERM in a worker (its parent is gone, or someone asked): leave what it was writing
    as it was (the staged files removed, a half-done commit put back), then exit."""


def _worker_sigterm(_signum: int, _frame: Any) -> None:
    if _BUSY:
        raise _Stop()
    os._exit(1)  # between tasks: nothing to clean up


_BUSY: list[bool] = []  # non-empty while the worker builds


def _worker_build(paths: list[Path]) -> list[tuple[str, Any, Any]]:
    """Some issues in a worker: per issue ("ok", summary, None) or ("error", error class, problems)."""
    _BUSY.append(True)
    try:
        done = [("ok", summary, None) if error is None else ("error", type(error), list(error.problems))
                for _, summary, error in _WORKER["task"].run(paths)]
    except _Stop:
        os._exit(1)
    finally:
        _BUSY.clear()
    _save_memos()
    return done


def _save_memos() -> None:
    """Save what this worker learned for the next process (premailer's parsed CSS, the YAML it
    read): a pool's worker ends without running exit handlers. It runs once per share of the
    issues (a build gives each worker about one)."""
    for name in ("newsletter.yamlmemo", "newsletter.render.cssmemo"):
        module = sys.modules.get(name)
        if module is not None:
            module.MEMO.save()


def _end_with_parent(parent: int) -> None:
    """Have the kernel send this process SIGTERM when its parent ends (Linux's
    PR_SET_PDEATHSIG); elsewhere a thread checks every second whether the parent is gone."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM) == 0:
                if os.getppid() != parent:  # it ended before the request was made
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)  # as on Linux: what it was writing is put back first

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Terminated(KeyboardInterrupt):
    """SIGTERM to a parallel build: stopped as Ctrl-C stops it (nothing more is started, the
    workers finish the issues they have and exit with the pool)."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Terminated()


#: Issues per task sent to a worker at most: their files share one sync (newsletter.build.build_issues).
CHUNK = 8


def chunks(paths: list[Path], jobs: int) -> list[list[Path]]:
    """``paths`` in consecutive runs of at most CHUNK, small enough that every worker gets
    several (the last one to finish decides when the build does)."""
    size = max(1, min(CHUNK, len(paths) // (jobs * 4)))
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def _pool_context() -> Any:
    """fork when it is safe (no other threads): workers start with the pipeline already imported."""
    import multiprocessing  # here, not at the top: a one-issue build never starts a pool

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def warm_up(ws: Workspace, path: Path) -> None:
    """Set up the whole pipeline once in the parent, so forked workers inherit it: ``path``
    is rendered in memory (its outputs are not written, and any error is left for its
    worker to report), which imports every stage and fills what each keeps for the next
    issue (the Markdown parser, compiled templates, the caniemail data, the CSS memo).
    The archive index, written by this process afterwards, needs most of it too."""
    from newsletter.build import render_issue
    from newsletter.render.inline import prepare_inliner

    prepare_inliner()
    try:
        render_issue(ws, path)
    except Exception:  # noqa: BLE001 - whatever is wrong with it is reported by its worker
        pass
    # What the workers inherit is never garbage: keep the collector from walking it in every
    # worker (and from touching, and so copying, the pages it shares with this process).
    gc.collect()
    gc.freeze()


def _build_parallel(task: Task, paths: list[Path], jobs: int, progress: Progress | None) -> list[Any]:
    from newsletter.build import IssueOutcome
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from concurrent.futures.process import BrokenProcessPool

    ctx = _pool_context()
    outcomes: list[Any] = [None] * len(paths)
    try:
        if ctx.get_start_method() == "fork":
            warm_up(task.ws, paths[0])
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                                 initargs=(task, os.getpid())) as pool:
            futures = {}
            start = 0
            for chunk in chunks(paths, jobs):
                futures[pool.submit(_worker_build, chunk)] = (start, len(chunk))
                start += len(chunk)
            try:
                for future in as_completed(futures):
                    first, count = futures[future]
                    try:
                        done = future.result()
                    except BrokenProcessPool:  # a worker killed on its own (out of memory, kill PID)
                        done = [("error", NewsletterError, [Problem(
                            str(paths[i]), 0, "the process building it ended before it was done (killed, or "
                            "out of memory?): its last good output is kept", "build again")])
                            for i in range(first, first + count)]
                    for i, (status, value, problems) in enumerate(done, start=first):
                        if status == "ok":
                            outcomes[i] = IssueOutcome(paths[i], summary=value)
                        else:
                            outcomes[i] = IssueOutcome(paths[i], error=value(problems))
                        if progress is not None:
                            progress.advance()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        gc.unfreeze()  # warm_up's freeze was for the workers; this process may go on (the preview, tests)
    return outcomes


# --- the archive index ------------------------------------------------------------------

def update_archive_index(ws: Workspace, outcomes: list[Any], *, force: bool = False) -> tuple[Path, int]:
    """Write out/archive/index.html and feed.xml for the issues that built, unless they are
    current (same issues, settings and templates, files untouched). Returns (index, count)."""
    import hashlib
    import json

    from newsletter.cache import _encode
    from newsletter.render.theme import search_path

    issues = [o.summary.issue for o in outcomes if o.summary is not None and o.summary.issue is not None]
    index = ws.out_dir / ARCHIVE_DIR / "index.html"
    h = hashlib.sha256(workspace_fingerprint(ws, search_path(ws.templates_dir), {"archive": True}).encode())
    h.update(json.dumps([_encode(i) for i in issues], sort_keys=True).encode())
    key = h.hexdigest()
    cache = BuildCache(ws, SHARED_CACHE_NAME).load()
    if force or not cache.shared_current(ARCHIVE_DIR, key):
        from newsletter.deliver.archive import write_index

        written = write_index(ws, issues)
        index = written[0]
        cache.record_shared(ARCHIVE_DIR, key, written)
        cache.save()
    return index, len(issues)


# --- deleted issues ---------------------------------------------------------------------

def _remove_stale(ws: Workspace, cache: BuildCache, current: set[str], outcomes: list[Any],
                  replaced: set[str], *, full: bool) -> None:
    """Remove out/<slug>/ folders no issue produces any more, unless some issue still uses the slug.

    ``replaced`` holds slugs that an issue just stopped producing (its subject or date changed).
    On a full build, issues whose file is gone are forgotten and their folders removed too; an
    issue built by name from outside issues/ keeps its output while its file is there.
    """
    stale = set(replaced)
    if full:
        for name in [n for n in cache.entries if n not in current]:
            path = Path(name) if os.path.isabs(name) else ws.root / name
            if path.is_file():  # an issue built by name from elsewhere (drafts/x.md): still there
                continue
            stale.add(cache.slug_of(name))
            cache.forget(name)
    in_use = {cache.slug_of(name) for name in cache.entries}
    in_use |= {o.summary.slug for o in outcomes if o is not None and o.summary is not None}
    out_root = ws.out_dir.resolve()
    for slug in sorted(stale - in_use):
        if not slug:
            continue
        for folder in (ws.out_for(slug).resolve(), (ws.out_dir / ARCHIVE_DIR / slug).resolve()):
            if folder.parent in (out_root, out_root / ARCHIVE_DIR) and folder.is_dir() and slug != ARCHIVE_DIR:
                shutil.rmtree(folder, ignore_errors=True)


class TerminalProgress:
    """A click progress bar on stdout, shown only when stdout is a terminal and there is
    more than one issue to build; otherwise it prints nothing at all."""

    def __init__(self, label: str = "Building") -> None:
        self.label = label
        self._bar: Any = None

    def start(self, total: int) -> None:
        import click

        if total < 2 or not click.get_text_stream("stdout").isatty():
            return
        self._bar = click.progressbar(length=total, label=self.label, show_pos=True, show_eta=True,
                                      width=30)
        self._bar.__enter__()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
