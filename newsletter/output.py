"""Writing outputs atomically: a temporary file in the same folder, fsync, then rename.

A reader (or a crash) sees either the complete previous file or the complete new one.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from newsletter.errors import OutputError, Problem


def write_atomic(path: Path, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e)}")) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(Problem(str(path), 0, f"cannot write output: {_reason(e)}")) from None


def _reason(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (is out/ read-only?)"
    return e.strerror or str(e)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
