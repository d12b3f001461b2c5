"""Watching the workspace with watchfiles and feeding each batch of changes to the state.

Every folder is watched without recursion: the root (for newsletter.yaml, and for issues/
or templates/ appearing), issues/, and templates/ with each folder inside it. Never out/,
so our own writes don't trigger builds, and never the rest of a big repository. An issue
that is a link to a file elsewhere (``issues/x.md -> ../drafts/x.md``) is rebuilt when that
file changes: saving through the link writes the file in its own folder, where a watch on
issues/ sees nothing, so the folder of each link's file is watched too, for that file only.

A watch only sees what happens after it starts, so each time one starts, the files are
compared with a snapshot taken before (the first build, or the previous folder set) and
whatever changed in between is rebuilt.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import watchfiles

from newsletter.preview.plan import Kind, plan_rebuild
from newsletter.preview.state import PreviewState
from newsletter.settings import CONFIG_NAME
from newsletter.workspace import issue_files_in

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
    for target in sorted({t.parent for t in link_targets(root)}):
        # A folder that can't be listed can't be watched either, and would fail the whole watch.
        if target not in folders and target.is_dir() and os.access(target, os.R_OK | os.X_OK):
            folders.append(target)
    return tuple(folders)


def link_targets(root: Path) -> dict[Path, list[Path]]:
    """The files that links in issues/ point to, each with the links to it (a link to a link
    counts as a link to the last file; a target that is gone is still listed: it may come back)."""
    out: dict[Path, list[Path]] = {}
    outputs = (root / "out").resolve()
    for link in issue_files_in(root / "issues"):
        if link.is_symlink():
            # Not strict: a missing target resolves as far as it can. Event paths name watched
            # folders as given, so one inside the (resolved) workspace is keyed the same way.
            try:
                target = link.resolve()
            except (OSError, RuntimeError):  # a loop of links (its build says so): no file to watch
                continue
            if outputs in target.parents:  # our own writes there would rebuild it without end
                continue
            out.setdefault(target, []).append(link)
    return out


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
        try:
            folders = watched_folders(root)
            targets = link_targets(root)
            batches = watchfiles.watch(
                *folders, stop_event=stop, step=STEP_MS, debounce=400, rust_timeout=500,
                yield_on_timeout=True, raise_interrupt=False, recursive=False,
                watch_filter=lambda _c, p: Path(p) in targets or _relevant(Path(p), root),
            )
            first = True
            for changes in batches:
                found = through_links([(_KINDS[c], Path(p)) for c, p in changes], targets)
                if first:  # the watch is live now: add what changed while it was starting
                    found += differences(before, snapshot(root))
                    first = False
                if found:
                    state.apply(plan_rebuild(found, root))
                if watched_folders(root) != folders or link_targets(root) != targets:
                    before = _unseen_links_dropped(snapshot(root), root, folders)
                    break  # a watched folder or a link's file changed: watch the new set
        except Exception as e:  # noqa: BLE001 - a watcher hiccup must not end the preview
            state.log(f"Warning: file watcher restarted after {type(e).__name__}: {e}")
            before = snapshot(root)
            stop.wait(0.5)


def _unseen_links_dropped(now: Snapshot, root: Path, folders: tuple[Path, ...]) -> Snapshot:
    """``now`` without the links whose files are in folders that weren't watched: whatever
    happened there went unseen (a folder of drafts put back with ``git checkout`` or ``mv``),
    so the next watch's first comparison finds those links added and builds them again."""
    for target, links in link_targets(root).items():
        if target.parent not in folders:
            for link in links:
                now.pop(link, None)
    return now


def through_links(changes: list[tuple[Kind, Path]], targets: dict[Path, list[Path]]) -> list[tuple[Kind, Path]]:
    """Each change, and for a link's file a change to each link to it: whatever happened to the
    file (saved, replaced, deleted), the link's issue is built again (and reports a file that
    is gone). The file's own change is kept: it may be an issue too."""
    out: list[tuple[Kind, Path]] = []
    for kind, path in changes:
        out.append((kind, path))
        out += [(Kind.MODIFIED, link) for link in targets.get(path, ())]
    return out


def _relevant(path: Path, root: Path) -> bool:
    """Only the paths that can change a build; the root's other files and out/ are ignored."""
    if path.parent == root:
        return path.name in (CONFIG_NAME, "issues", "templates")
    return root / "issues" in path.parents or root / "templates" in path.parents
