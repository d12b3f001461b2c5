"""Building many issues: skip what the cache says is current, build the rest on every core.

``run_batch`` is what ``newsletter.build.build`` calls. It
1. works out each issue's cache key (newsletter/cache.py) and takes the cached report of
   every issue whose outputs are current (unless ``force``);
2. builds the others with ``newsletter.build.build_issue``, the same per-issue function
   either way: in this process for one issue or ``jobs=1``, otherwise in a pool of worker
   processes (one per core by default) that write their own outputs and send back only
   a small IssueSummary, so the parent's memory doesn't grow with the archive;
3. removes out/<slug>/ folders no issue produces any more (on a full build, those of
   issues whose file is gone);
4. saves the cache.
Outcomes come back in the order the issues were given, whatever order they finished in.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Protocol

from newsletter.cache import BuildCache, IssueSummary, issue_key, workspace_fingerprint
from newsletter.errors import NewsletterError
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
) -> list[Any]:
    """Build ``paths``; returns one newsletter.build.IssueOutcome per path, in order."""
    from newsletter.build import IssueOutcome
    from newsletter.render.jinja import search_path

    cache = BuildCache(ws).load()
    fingerprint = workspace_fingerprint(ws, search_path(ws.templates_dir), {"emit_mjml": emit_mjml})
    outcomes: list[IssueOutcome | None] = [None] * len(paths)
    todo: list[tuple[int, Path, str, str]] = []  # (position, path, entry name, key)
    for i, path in enumerate(paths):
        name = cache.name_for(path)
        try:
            source = path.read_bytes()
        except OSError:
            # Let the pipeline report it the way it reports every unreadable issue.
            todo.append((i, path, name, ""))
            continue
        key = issue_key(fingerprint, source)
        summary = None if force else cache.lookup(name, key)
        if summary is not None:
            outcomes[i] = IssueOutcome(path, summary=summary, cached=True)
        else:
            todo.append((i, path, name, key))

    jobs = default_jobs() if jobs is None or jobs < 1 else jobs
    replaced: set[str] = set()
    if progress is not None and todo:
        progress.start(len(todo))
    try:
        for (i, path, name, key), outcome in zip(todo, _build(ws, todo, emit_mjml, jobs, progress)):
            outcomes[i] = outcome
            if outcome.summary is not None and key:
                old_slug = cache.slug_of(name)
                if old_slug and old_slug != outcome.summary.slug:
                    replaced.add(old_slug)  # the issue's slug changed: its old folder is stale
                cache.record(name, key, outcome.summary)
    finally:
        if progress is not None and todo:
            progress.finish()

    _remove_stale(ws, cache, {cache.name_for(p) for p in paths}, outcomes, replaced, full=full)
    cache.save()
    return [o for o in outcomes if o is not None]


def _build(ws: Workspace, todo: list[tuple[int, Path, str, str]], emit_mjml: bool, jobs: int,
           progress: Progress | None) -> list[Any]:
    if jobs == 1 or len(todo) <= 1:
        return _build_serial(ws, [t[1] for t in todo], emit_mjml, progress)
    return _build_parallel(ws, [t[1] for t in todo], emit_mjml, min(jobs, len(todo)), progress)


def _build_serial(ws: Workspace, paths: list[Path], emit_mjml: bool, progress: Progress | None) -> list[Any]:
    from newsletter.build import IssueOutcome, build_issue

    outcomes = []
    for path in paths:
        try:
            result, written = build_issue(ws, path, emit_mjml=emit_mjml)
            outcomes.append(IssueOutcome(path, result, summary=IssueSummary.from_result(result, written)))
        except NewsletterError as e:
            outcomes.append(IssueOutcome(path, error=e))
        if progress is not None:
            progress.advance()
    return outcomes


# --- worker processes -------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _worker_init(ws: Workspace, emit_mjml: bool) -> None:
    _WORKER["ws"] = ws
    _WORKER["emit_mjml"] = emit_mjml


def _worker_build(path: Path) -> tuple[str, Any, Any]:
    """One issue in a worker: ("ok", summary, None) or ("error", error class, problems)."""
    from newsletter.build import build_issue

    try:
        result, written = build_issue(_WORKER["ws"], path, emit_mjml=_WORKER["emit_mjml"])
    except NewsletterError as e:
        return ("error", type(e), list(e.problems))
    return ("ok", IssueSummary.from_result(result, written), None)


def _pool_context() -> Any:
    """fork when it is safe (no other threads): workers start with the pipeline already imported."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def warm_up(ws: Workspace) -> None:
    """Import and set up the pipeline once in the parent, so forked workers inherit it."""
    import mjml  # noqa: F401

    from newsletter.render.inline import prepare_inliner
    from newsletter.render.jinja import get_environment
    from newsletter.render.mjml import INLINE_CSS_TEMPLATE, MAIN_TEMPLATE, TEXT_TEMPLATE

    prepare_inliner()
    env = get_environment(ws.templates_dir)
    for name in (MAIN_TEMPLATE, INLINE_CSS_TEMPLATE, TEXT_TEMPLATE):
        try:
            env.get_template(name)
        except Exception:  # noqa: BLE001 - a broken template is reported per issue by the build
            pass


def _build_parallel(ws: Workspace, paths: list[Path], emit_mjml: bool, jobs: int,
                    progress: Progress | None) -> list[Any]:
    from newsletter.build import IssueOutcome

    ctx = _pool_context()
    if ctx.get_start_method() == "fork":
        warm_up(ws)
    outcomes: list[Any] = [None] * len(paths)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                             initargs=(ws, emit_mjml)) as pool:
        futures = {pool.submit(_worker_build, path): i for i, path in enumerate(paths)}
        try:
            for future in as_completed(futures):
                i = futures[future]
                status, value, problems = future.result()
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
    return outcomes


# --- deleted issues ---------------------------------------------------------------------

def _remove_stale(ws: Workspace, cache: BuildCache, current: set[str], outcomes: list[Any],
                  replaced: set[str], *, full: bool) -> None:
    """Remove out/<slug>/ folders no issue produces any more, unless some issue still uses the slug.

    ``replaced`` holds slugs that an issue just stopped producing (its subject or date changed).
    On a full build, issues whose file is gone are forgotten and their folders removed too.
    """
    stale = set(replaced)
    if full:
        for name in [n for n in cache.entries if n not in current]:
            stale.add(cache.slug_of(name))
            cache.forget(name)
    in_use = {cache.slug_of(name) for name in cache.entries}
    in_use |= {o.summary.slug for o in outcomes if o is not None and o.summary is not None}
    out_root = ws.out_dir.resolve()
    for slug in sorted(stale - in_use):
        if not slug:
            continue
        folder = ws.out_for(slug).resolve()
        if folder.parent == out_root and folder.is_dir():
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
