"""What the preview server knows: the last good build of every issue, the current errors,
and an epoch counter that goes up whenever anything a page shows has changed.

Builds run in-process with the calls `newsletter build` makes (render_issue, then the
.eml, the quality gate and the files written by add_extras). A failed build never replaces
a good one: the page keeps showing the last good email and an overlay with the error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from newsletter.build import BuildResult, add_extras, render_issue
from newsletter.content.model import Issue
from newsletter.errors import NewsletterError, Problem
from newsletter.preview.plan import Plan
from newsletter.settings import CONFIG_NAME, Settings, load_settings
from newsletter.workspace import Workspace, is_issue_path, issue_files_in


@dataclass
class Entry:
    """One issue as the preview knows it."""

    path: Path
    #: The last build that succeeded (None until one does).
    result: BuildResult | None = None
    #: What is wrong with the file now (empty when the last build succeeded).
    problems: list[Problem] = field(default_factory=list)
    #: The epoch at which this entry last changed: pages reload their frame when it moves.
    version: int = 0

    @property
    def slug(self) -> str:
        return self.path.stem


Log = Callable[[str], None]


class PreviewState:
    def __init__(self, root: Path, log: Log | None = None) -> None:
        self.root = root
        self.log: Log = log or (lambda _msg: None)
        self.settings: Settings | None = None
        self.settings_problems: list[Problem] = []
        #: Unknown keys and the like: shown on every page, not only in the terminal.
        self.settings_warnings: list[str] = []
        self.entries: dict[str, Entry] = {}
        # Starts at the clock (ms), so a page left open across a restart of the server
        # never mistakes a new build for the one it shows.
        self.epoch = time.time_ns() // 1_000_000
        self.closed = False
        self._cond = threading.Condition()
        # One build at a time: the watcher thread and startup never overlap.
        self._build_lock = threading.Lock()

    # ---- reading (any thread) ------------------------------------------------

    def entry(self, slug: str) -> Entry | None:
        with self._cond:
            return self.entries.get(slug)

    def snapshot(self) -> list[Entry]:
        with self._cond:
            return list(self.entries.values())

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the epoch passes ``seen`` (or ``timeout`` seconds, or close); return it."""
        with self._cond:
            self._cond.wait_for(lambda: self.epoch > seen or self.closed, timeout)
            return self.epoch

    def close(self) -> None:
        """Wake every waiting long-poll so the server can stop at once."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    # ---- building (watcher thread) -------------------------------------------

    def build_everything(self) -> None:
        self.apply(Plan(reload_settings=True, rebuild_all=True))

    def apply(self, plan: Plan) -> None:
        """Carry out a rebuild plan; never raises for anything content can cause."""
        if plan.empty:
            return
        with self._build_lock:
            if plan.reload_settings or self.settings is None:
                self._load_settings()
            paths = set(plan.issues)
            if plan.rebuild_all:
                paths |= set(issue_files_in(self.root / "issues"))
            with self._cond:
                for path in plan.removed:
                    self.entries.pop(path.stem, None)
            built = False
            for path in sorted(paths):
                if is_issue_path(path):  # as `build` lists them: a link whose file is gone is an error
                    self._build(path)  # moves the epoch itself
                    built = True
                else:
                    with self._cond:
                        self.entries.pop(path.stem, None)
            if not built:
                self._bump()  # removals and settings errors must reach the pages too

    def _load_settings(self) -> None:
        try:
            settings = load_settings(self.root / CONFIG_NAME)
        except NewsletterError as e:
            self.settings_problems = e.problems
            # A misspelt key often explains the error ('postal_adress' and 'postal_address is missing').
            self.settings_warnings = list(e.warnings)
            for warning in e.warnings:
                self.log(f"Warning: {warning}")
            self._report(e.problems)
            return
        # Keep the last good settings when the file is broken; replace them once it is fixed.
        self.settings = settings
        self.settings_problems = []
        self.settings_warnings = list(settings.warnings)
        for warning in settings.warnings:
            self.log(f"Warning: {warning}")

    def _build(self, path: Path) -> None:
        """Build one issue in two passes, so the frame doesn't wait for the .eml and the checks.

        The first pass stops after the HTML and text parts (``extras=False``) and is shown at
        once; the second adds what `newsletter build` adds to them (the .eml and the findings,
        without rendering again), replaces the first without reloading the frame, and is written.
        """
        started = time.perf_counter()
        if self.settings is None:
            # Nothing is wrong with the file that we know of: the settings error is the state's,
            # shown on every page and printed once by _load_settings, not once per issue.
            self._record(path, None, [])
            return
        ws = Workspace(self.root, self.settings)
        lean, problems = _render(ws, path, extras=False)
        if lean is not None:
            previous = self.entry(path.stem)
            if previous is not None and previous.result is not None:
                lean.findings = previous.result.findings  # until the full pass has new ones
        self._record(path, lean, problems)
        if lean is None:
            self._report(problems)
            return
        full, problems = _complete(ws, lean)
        self._record(path, full if not problems else None, problems, reload_frame=bool(problems))
        if problems:
            self._report(problems)
        else:
            ms = (time.perf_counter() - started) * 1000
            self.log(f"Built {path.name} in {ms:.0f} ms")

    def _record(self, path: Path, result: BuildResult | None, problems: list[Problem], *,
                reload_frame: bool = True) -> None:
        """Store a build (or its problems) and wake the pages; ``reload_frame`` moves the version."""
        with self._cond:
            entry = self.entries.get(path.stem) or Entry(path)
            entry.path = path
            if result is not None:
                entry.result = result
            entry.problems = problems
            self.epoch += 1
            if reload_frame:
                entry.version = self.epoch
            self.entries[path.stem] = entry
            self._cond.notify_all()

    def _bump(self) -> None:
        with self._cond:
            self.epoch += 1
            self._cond.notify_all()

    def _report(self, problems: list[Problem]) -> None:
        for p in problems:
            self.log(f"Error: {p}")


def _complete(ws: Workspace, lean: BuildResult) -> tuple[BuildResult | None, list[Problem]]:
    """The first pass's result with the .eml and the findings (a copy: the first is being
    served), and its files written."""
    try:
        return add_extras(ws, replace(lean, findings=[], eml=None), write=True), []
    except NewsletterError as e:
        return None, e.problems
    except Exception as e:  # noqa: BLE001
        return None, [Problem(str(lean.issue.path), 0, f"internal error: {type(e).__name__}: {e}")]


def _render(ws: Workspace, path: Path, *, extras: bool, issue: Issue | None = None,
            ) -> tuple[BuildResult | None, list[Problem]]:
    """render_issue, with every failure turned into problems (a bug must not take the server down)."""
    try:
        # The text as tokens: an edit of words alone reuses MRML's and premailer's work.
        return render_issue(ws, path, issue=issue, extras=extras, text_tokens=True), []
    except NewsletterError as e:
        return None, e.problems
    except Exception as e:  # noqa: BLE001
        return None, [Problem(str(path), 0, f"internal error: {type(e).__name__}: {e}")]
