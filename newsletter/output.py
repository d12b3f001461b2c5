"""Writing outputs atomically: a temporary file in the same folder, fsync, then rename.

A reader (or a crash) sees either the complete previous file or the complete new one.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Sequence

from newsletter.errors import OutputError, Problem, display_path


def write_atomic(path: Path, data: bytes | str) -> None:
    write_all_atomic([(path, data)])


def write_all_atomic(outputs: Sequence[tuple[Path, bytes | str]]) -> None:
    """Write several files as one unit: every temporary file is written and synced before
    any is renamed into place, so a full disk or a bad folder leaves all the old files as
    they were (the renames themselves, in one folder, don't fail for lack of space)."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in outputs:
            staged.append((_stage(path, data), path))
        while staged:
            tmp, path = staged[0]
            try:
                os.replace(tmp, path)
            except OSError as e:
                raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e, path)}")) from None
            staged.pop(0)
    finally:
        for tmp, _ in staged:  # whatever was not renamed into place
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _stage(path: Path, data: bytes | str) -> str:
    """``data`` written and synced to a temporary file next to ``path``; returns its name."""
    if isinstance(data, str):
        data = data.encode("utf-8")
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
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e, path)}")) from None
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
