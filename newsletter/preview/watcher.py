"""Watching the workspace with watchfiles and feeding each batch of changes to the state.

Every folder is watched without recursion: the root (for newsletter.yaml, and for issues/
or templates/ appearing), issues/, and templates/ with each folder inside it. Never out/,
so our own writes don't trigger builds, and never the rest of a big repository. An issue
that is a link to a file elsewhere (``issues/x.md -> ../drafts/x.md``) is rebuilt when that
file changes: saving through the link writes the file in its own folder, where a watch on
issues/ sees nothing, so the folder of each link's file is watched too, for that file only.

A watch only sees what happens after it starts and in the folders it watches, so the files
are also compared with how the last build saw them, when a watch starts and with each batch
of changes: whatever changed unseen in between is rebuilt too.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import watchfiles

from newsletter.preview.plan import Kind, plan_rebuild
from newsletter.preview.state import PreviewState
from newsletter.settings import CONFIG_NAME
from newsletter.workspace import is_issue_name, is_issue_path

_KINDS = {watchfiles.Change.added: Kind.ADDED, watchfiles.Change.modified: Kind.MODIFIED,
          watchfiles.Change.deleted: Kind.DELETED}
#: Milliseconds without a new event before a batch is handed over: short, so a save shows fast.
STEP_MS = 20

#: Each file's (modification time, inode, size). The time alone misses a link whose file went
#: (the link's own time can be the file's: timestamps move in clock ticks), and a file
#: replaced by another.
Snapshot = dict[Path, tuple[int, int, int]]


def watched_folders(root: Path, targets: dict[Path, list[Path]] | None = None) -> tuple[Path, ...]:
    """The folders to watch; ``targets``: link_targets(root), when the caller has it already."""
    folders = [root]
    if (root / "issues").is_dir():
        folders.append(root / "issues")
    templates = root / "templates"
    if templates.is_dir():
        folders.append(templates)
        folders.extend(sorted(p for p in templates.rglob("*") if p.is_dir()))
    for target in sorted({t.parent for t in (link_targets(root) if targets is None else targets)}):
        # A folder that can't be listed can't be watched either, nor one whose name isn't
        # UTF-8 (watchfiles refuses it): either would fail the whole watch.
        if (target not in folders and target.is_dir() and os.access(target, os.R_OK | os.X_OK)
                and _utf8(str(target))):
            folders.append(target)
    return tuple(folders)


def link_targets(root: Path) -> dict[Path, list[Path]]:
    """The files that links in issues/ point to, each with the links to it (a link to a link
    counts as a link to the last file; a target that is gone is still listed: it may come back)."""
    out: dict[Path, list[Path]] = {}
    outputs = (root / "out").resolve()
    try:  # listed without a stat per file: this runs after every batch, and most issues are files
        links = sorted(Path(e.path) for e in os.scandir(root / "issues") if e.is_symlink() and is_issue_name(e.name))
    except OSError:
        return out
    for link in links:
        if is_issue_path(link):
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
    """What every file a build reads looks like now."""
    files = [root / CONFIG_NAME, *(root / "issues").glob("*.md")]
    if (root / "templates").is_dir():
        files.extend(p for p in (root / "templates").rglob("*") if p.is_file())
    out: Snapshot = {}
    for f in files:
        try:
            st = f.stat()
        except OSError:
            try:  # a link whose file is gone is still an issue (its build reports it)
                st = f.lstat()
            except OSError:
                continue
        out[f] = (st.st_mtime_ns, st.st_ino, st.st_size)
    return out


def differences(before: Snapshot, after: Snapshot) -> list[tuple[Kind, Path]]:
    changes = [(Kind.DELETED, p) for p in before if p not in after]
    changes += [(Kind.ADDED, p) for p in after if p not in before]
    changes += [(Kind.MODIFIED, p) for p, t in after.items() if p in before and before[p] != t]
    return changes


def watch_workspace(state: PreviewState, stop: threading.Event, baseline: Snapshot | None = None) -> None:
    """Run until ``stop`` is set; rebuild what each batch of changes affects."""
    root = state.root
    # The files as the builds so far saw them. Each new watch compares the files with it
    # first, so whatever changed while no watch (or the previous set of folders) could see it
    # is rebuilt: a folder put back with its files, a link pointed elsewhere.
    seen = snapshot(root) if baseline is None else baseline
    while not stop.is_set():
        try:
            targets = link_targets(root)
            folders = watched_folders(root, targets)
            watching, own = _identity(folders), set(folders)
            # No watch_filter: watchfiles would drop a batch of only other files' changes
            # without yielding, and a file written more often than every rust_timeout (an
            # editor's swap file, a log) would then keep the checks below from ever running.
            batches = watchfiles.watch(
                *folders, stop_event=stop, step=STEP_MS, debounce=400, rust_timeout=500,
                yield_on_timeout=True, raise_interrupt=False, recursive=False, watch_filter=None,
            )
            first = True
            for changes in batches:
                paths = [(_KINDS[c], p) for c, p in ((c, Path(p)) for c, p in changes)
                         if p in targets or p in own or _relevant(p, root)]
                found = through_links([(k, p) for k, p in paths if p not in own], targets)
                if first or found:
                    # Whatever else changed since the last build, seen or not (the first batch:
                    # while the watch started; a folder moved back with files edited elsewhere).
                    # Taken before building: a change made during the build is seen next time.
                    now = snapshot(root)
                    found += differences(seen, now)
                    seen, first = now, False
                if found:
                    state.apply(plan_rebuild(found, root))
                # A watched folder went (its watch with it: one made again under the same name,
                # even with the same inode, is not watched), a link moved, or a folder appeared
                # or was replaced: watch the new set.
                if any(p in own for _, p in paths):
                    break
                now_targets = link_targets(root)
                if now_targets != targets or _identity(watched_folders(root, now_targets)) != watching:
                    break
        except Exception as e:  # noqa: BLE001 - a watcher hiccup must not end the preview
            state.log(f"Warning: file watcher restarted after {type(e).__name__}: {e}")
            stop.wait(0.5)


def _identity(folders: tuple[Path, ...]) -> tuple[tuple[Path, int, int], ...]:
    """Each folder with its device and inode: a folder deleted and made again under the same
    name (rm -r and a restore, a checkout, mv) is a new folder, and the old watch sees nothing
    in it."""
    out = []
    for folder in folders:
        try:
            st = folder.stat()
            out.append((folder, st.st_dev, st.st_ino))
        except OSError:
            out.append((folder, -1, -1))
    return tuple(out)


def through_links(changes: list[tuple[Kind, Path]], targets: dict[Path, list[Path]]) -> list[tuple[Kind, Path]]:
    """Each change, and for a link's file a change to each link to it: whatever happened to the
    file (saved, replaced, deleted), the link's issue is built again (and reports a file that
    is gone). The file's own change is kept: it may be an issue too."""
    out: list[tuple[Kind, Path]] = []
    for kind, path in changes:
        out.append((kind, path))
        out += [(Kind.MODIFIED, link) for link in targets.get(path, ())]
    return out


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _relevant(path: Path, root: Path) -> bool:
    """Only the paths that can change a build; the root's other files and out/ are ignored."""
    if path.parent == root:
        return path.name in (CONFIG_NAME, "issues", "templates")
    return root / "issues" in path.parents or root / "templates" in path.parents
