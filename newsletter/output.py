"""Writing outputs atomically: temporary files in the same folders, synced, then renamed.

A reader (or a crash, or a power cut) sees either the complete previous file or the complete
new one. Writing is two steps, so that many files can share one sync:
``stage`` writes each file's data to a temporary file next to it; ``commit`` makes every
staged file durable, then renames each into place. ``write_all_atomic`` does both.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from newsletter.errors import OutputError, Problem, display_path
from newsletter.textbytes import utf8

#: A temporary file and the output it becomes.
Staged = list[tuple[str, Path]]

#: From this many files on, one syncfs() is cheaper than an fsync() each (measured on ext4:
#: three files 2.1 ms with fsync, 1.1 ms with syncfs; one file 0.9 ms and 2.1 ms).
SYNCFS_FROM = 3


def write_atomic(path: Path, data: bytes | str) -> None:
    write_all_atomic([(path, data)])


def write_all_atomic(outputs: Sequence[tuple[Path, bytes | str]]) -> None:
    """Write several files as one unit: every temporary file is written and synced before
    any is renamed into place, so a full disk or a bad folder leaves all the old files as
    they were (the renames themselves, in one folder, don't fail for lack of space)."""
    commit(stage(outputs))


def stage(outputs: Sequence[tuple[Path, bytes | str]], into: Staged | None = None) -> Staged:
    """Each output's data in a temporary file next to it (not yet synced or renamed), added
    to ``into`` as it is made (so a caller that discards ``into`` on a signal loses none).
    Raises OutputError, leaving none of these behind, when one can't be written."""
    staged: Staged = [] if into is None else into
    first = len(staged)
    try:
        for path, data in outputs:
            staged.append((_stage(path, data), path))
    except BaseException:
        discard(staged[first:])
        del staged[first:]
        raise
    return staged


def commit(staged: Staged) -> None:
    """Make every staged file durable, then rename each into place: all of them or none.

    Before any rename, every target is checked to be replaceable (a folder in the way is
    known up front). While renaming, each old file is kept as a hard-linked backup beside
    it; when a rename fails anyway, the files already renamed are put back from their
    backups (or removed, when they are new) and OutputError names the output. The backups
    go once every file is in place. On an error the staged files are removed."""
    try:
        _sync(staged)
        for _, path in staged:
            error = blocked(path)
            if error is not None:
                raise error
        done: list[tuple[Path, str | None]] = []  # renamed so far, and the old file's backup
        try:
            for tmp, path in staged:
                done.append((path, _keep_old(path)))
                os.replace(tmp, path)
        except BaseException as e:  # an OSError, or a signal's exception half way: put everything back
            _roll_back(done)
            if isinstance(e, OSError):
                raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e, path)}")) from None
            raise
        staged.clear()
        for _, backup in done:
            if backup is not None:
                _unlink(backup)
    finally:
        discard(staged)


def blocked(path: Path) -> OutputError | None:
    """Why a rename can't replace ``path``, when that is known before trying: a folder in its place."""
    try:
        st = os.lstat(path)
    except OSError:  # none yet (the usual case for a new issue), or a parent that isn't a folder: staging said so
        return None
    if stat.S_ISDIR(st.st_mode):
        return OutputError(Problem(str(path), 0, "cannot write output: a folder is in the way (move it away)"))
    return None


def _keep_old(path: Path) -> str | None:
    """A backup of ``path`` beside it (a hard link: nothing is copied, and ``path`` never goes
    missing), or None when there is no old file to keep."""
    for attempt in range(100):
        # Named like a temporary file: one left by a SIGKILL is as harmless, and as recognisable.
        backup = os.path.join(path.parent, f".{path.name}.old{os.getpid()}_{attempt}.tmp")
        try:
            os.link(path, backup, follow_symlinks=False)
            return backup
        except FileNotFoundError:
            return None
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: a copy does as well
            try:
                shutil.copy2(path, backup, follow_symlinks=False)
                return backup
            except FileNotFoundError:
                return None
    raise OSError(errno.EEXIST, f"no free name for a backup of {path.name}")


def _roll_back(done: list[tuple[Path, str | None]]) -> None:
    """Put back the old files of a commit that failed half way, newest first. A file that
    can't be put back is still whole: the new version."""
    for path, backup in reversed(done):
        try:
            if backup is None:
                os.unlink(path)
            else:
                os.replace(backup, path)
        except OSError:
            pass
        if backup is not None:
            _unlink(backup)


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def discard(staged: Staged) -> None:
    """Remove staged files that were not renamed into place."""
    for tmp, _ in staged:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    staged.clear()


def _sync(staged: Staged) -> None:
    """Everything staged on disk: one syncfs() per file system for many files (Linux), else an
    fsync() per file."""
    syncfs = _syncfs_function() if len(staged) >= SYNCFS_FROM else None
    if syncfs is not None:
        done: set[int] = set()
        for tmp, path in staged:
            try:
                device = os.stat(tmp).st_dev
                if device not in done:
                    fd = os.open(os.path.dirname(tmp), os.O_RDONLY)
                    try:
                        syncfs(fd)
                    finally:
                        os.close(fd)
                    done.add(device)
            except OSError as e:
                raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e, path)}")) from None
        return
    for tmp, path in staged:
        try:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e, path)}")) from None


@lru_cache(maxsize=1)
def _syncfs_function() -> Any:
    """A callable syncfs(fd) that raises OSError, or None where the C library has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.syncfs
    except (OSError, AttributeError):
        return None

    def syncfs(fd: int) -> None:
        if call(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))

    return syncfs


def _stage(path: Path, data: bytes | str) -> str:
    """``data`` written to a temporary file next to ``path``; returns its name."""
    if isinstance(data, str):
        data = utf8(data)
    try:
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except FileNotFoundError:  # the first write into this folder
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e, path)}")) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException as e:  # an OSError, or a signal's exception (SIGTERM, Ctrl-C) half way
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e, path)}")) from None
        raise
    return tmp


def _reason(e: OSError, path: Path) -> str:
    if e.errno in (errno.EEXIST, errno.ENOTDIR):
        for folder in (path.parent, *path.parent.parents):
            if folder.exists() and not folder.is_dir():
                return f"{display_path(folder)} is a file, not a folder (move it away)"
    if e.errno == errno.EISDIR:
        return "a folder is in the way (move it away)"
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (is out/ read-only?)"
    return e.strerror or str(e)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
