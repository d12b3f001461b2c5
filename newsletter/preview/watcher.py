"""Watching the workspace with watchfiles and feeding each batch of changes to the state.

Every folder is watched without recursion: the root (for newsletter.yaml, and for issues/
or templates/ appearing), issues/, and templates/ with each folder inside it. Never out/,
so our own writes don't trigger builds, and never the rest of a big repository.
"""

from __future__ import annotations

import threading
from pathlib import Path

import watchfiles

from newsletter.preview.plan import Kind, plan_rebuild
from newsletter.preview.state import PreviewState

_KINDS = {watchfiles.Change.added: Kind.ADDED, watchfiles.Change.modified: Kind.MODIFIED,
          watchfiles.Change.deleted: Kind.DELETED}
#: Milliseconds without a new event before a batch is handed over: short, so a save shows fast.
STEP_MS = 20


def watched_folders(root: Path) -> tuple[Path, ...]:
    folders = [root]
    if (root / "issues").is_dir():
        folders.append(root / "issues")
    templates = root / "templates"
    if templates.is_dir():
        folders.append(templates)
        folders.extend(sorted(p for p in templates.rglob("*") if p.is_dir()))
    return tuple(folders)


def watch_workspace(state: PreviewState, stop: threading.Event) -> None:
    """Run until ``stop`` is set; rebuild what each batch of changes affects."""
    root = state.root
    while not stop.is_set():
        folders = watched_folders(root)
        try:
            batches = watchfiles.watch(
                *folders, stop_event=stop, step=STEP_MS, debounce=400, rust_timeout=500,
                yield_on_timeout=True, raise_interrupt=False, recursive=False,
                watch_filter=lambda _c, p: _relevant(Path(p), root),
            )
            for changes in batches:
                if changes:
                    state.apply(plan_rebuild(((_KINDS[c], Path(p)) for c, p in changes), root))
                if watched_folders(root) != folders:
                    break  # a watched folder appeared or went away: watch the new set
        except Exception as e:  # noqa: BLE001 - a watcher hiccup must not end the preview
            state.log(f"Warning: file watcher restarted after {type(e).__name__}: {e}")
            stop.wait(0.5)


def _relevant(path: Path, root: Path) -> bool:
    """Only the paths that can change a build; the root's other files and out/ are ignored."""
    if path.parent == root:
        return path.name in ("newsletter.yaml", "issues", "templates")
    return root / "issues" in path.parents or root / "templates" in path.parents
