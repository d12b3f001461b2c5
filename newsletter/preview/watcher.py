"""Watching the workspace with watchfiles and feeding each batch of changes to the state.

Every folder is watched without recursion: the root (for newsletter.yaml, and for issues/
or templates/ appearing), issues/, and templates/ with each folder inside it. Never out/,
so our own writes don't trigger builds, and never the rest of a big repository.

A watch only sees what happens after it starts, so each time one starts, the files are
compared with a snapshot taken before (the first build, or the previous folder set) and
whatever changed in between is rebuilt.
"""

from __future__ import annotations

import threading
from pathlib import Path

import watchfiles

from newsletter.preview.plan import Kind, plan_rebuild
from newsletter.preview.state import PreviewState
from newsletter.settings import CONFIG_NAME

_KINDS = {watchfiles.Change.added: Kind.ADDED, watchfiles.Change.modified: Kind.MODIFIED,
          watchfiles.Change.deleted: Kind.DELETED}
#: Milliseconds without a new event before a batch is handed over: short, so a save shows fast.
STEP_MS = 20

Snapshot = dict[Path, int]


def watched_folders(root: Path) -> tuple[Path, ...]:
    folders = [root]
    if (root / "issues").is_dir():
        folders.append(root / "issues")
    templates = root / "templates"
    if templates.is_dir():
        folders.append(templates)
        folders.extend(sorted(p for p in templates.rglob("*") if p.is_dir()))
    return tuple(folders)


def snapshot(root: Path) -> Snapshot:
    """Modification times of every file a build reads."""
    files = [root / CONFIG_NAME, *(root / "issues").glob("*.md")]
    if (root / "templates").is_dir():
        files.extend(p for p in (root / "templates").rglob("*") if p.is_file())
    out: Snapshot = {}
    for f in files:
        try:
            out[f] = f.stat().st_mtime_ns
        except OSError:
            try:  # a link whose file is gone is still an issue (its build reports it)
                out[f] = f.lstat().st_mtime_ns
            except OSError:
                pass
    return out


def differences(before: Snapshot, after: Snapshot) -> list[tuple[Kind, Path]]:
    changes = [(Kind.DELETED, p) for p in before if p not in after]
    changes += [(Kind.ADDED, p) for p in after if p not in before]
    changes += [(Kind.MODIFIED, p) for p, t in after.items() if p in before and before[p] != t]
    return changes


def watch_workspace(state: PreviewState, stop: threading.Event, baseline: Snapshot | None = None) -> None:
    """Run until ``stop`` is set; rebuild what each batch of changes affects."""
    root = state.root
    before = snapshot(root) if baseline is None else baseline
    while not stop.is_set():
        folders = watched_folders(root)
        try:
            batches = watchfiles.watch(
                *folders, stop_event=stop, step=STEP_MS, debounce=400, rust_timeout=500,
                yield_on_timeout=True, raise_interrupt=False, recursive=False,
                watch_filter=lambda _c, p: _relevant(Path(p), root),
            )
            first = True
            for changes in batches:
                found = [(_KINDS[c], Path(p)) for c, p in changes]
                if first:  # the watch is live now: add what changed while it was starting
                    found += differences(before, snapshot(root))
                    first = False
                if found:
                    state.apply(plan_rebuild(found, root))
                if watched_folders(root) != folders:
                    before = snapshot(root)
                    break  # a watched folder appeared or went away: watch the new set
        except Exception as e:  # noqa: BLE001 - a watcher hiccup must not end the preview
            state.log(f"Warning: file watcher restarted after {type(e).__name__}: {e}")
            before = snapshot(root)
            stop.wait(0.5)


def _relevant(path: Path, root: Path) -> bool:
    """Only the paths that can change a build; the root's other files and out/ are ignored."""
    if path.parent == root:
        return path.name in (CONFIG_NAME, "issues", "templates")
    return root / "issues" in path.parents or root / "templates" in path.parents
