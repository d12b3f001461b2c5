"""YAML already read, remembered across processes, so that a build need not import PyYAML.

Importing PyYAML costs a fresh process 11-15 ms, about a twentieth of a one-issue build;
newsletter.yaml and an issue's front matter seldom change between builds. What a document
read as (its data, and what the caller found in its node tree: each key's line) is kept in
one JSON file in the user cache folder (newsletter/usercache.py), keyed by the document's
text and what it is (``kind``); the file's name changes with the installed PyYAML and with
the code that reads (this package's version and reading modules). The next process reads it
back.

Only what JSON gives back exactly is kept: a tree (no value reached twice, as YAML's aliases
make) of mappings with text keys, lists, text without UTF-16 surrogates (JSON would join a
pair of them into one character), whole and finite numbers, true, false and null, at most
MAX_ENTRY_CHARS of it. A document with anything else (a date, a number as a key) or with a
problem is simply read by PyYAML every time. A missing, damaged or unwritable file only
means reading the YAML as usual; the result is the same either way.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

FORMAT = 2
#: Documents kept: the settings and the front matter of the issues built most recently...
MAX_ENTRIES = 128
#: ...at most this many characters of JSON each (a front matter is typically under 2,000)...
MAX_ENTRY_CHARS = 16_000
#: ...and this many in all, so that reading the file stays well under a millisecond or two.
MAX_CHARS = 400_000


def exact(value: Any) -> bool:
    """True when JSON gives ``value`` back as it is: walked without recursion, each list and
    mapping at most once (YAML's aliases can make one value appear a billion times, or in itself)."""
    stack = [value]
    seen: set[int] = set()
    while stack:
        v = stack.pop()
        kind = type(v)
        if v is None or kind is bool or kind is int:
            continue
        if kind is str:
            if not _text_exact(v):
                return False
        elif kind is float:
            if not math.isfinite(v):
                return False
        elif kind is list or kind is dict:
            if id(v) in seen:
                return False
            seen.add(id(v))
            if kind is dict:
                if any(type(k) is not str or not _text_exact(k) for k in v):
                    return False
                stack.extend(v.values())
            else:
                stack.extend(v)
        else:
            return False
    return True


def _text_exact(text: str) -> bool:
    """No UTF-16 surrogate in it (they don't encode as UTF-8; JSON would join a pair)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class YamlMemo:
    """The memo file of the user cache folder, read on first use; ``enabled=False``: none at all."""

    def __init__(self, enabled: bool = True) -> None:
        self.path: Path | None = None
        #: key -> JSON text of [found, data]: each recall builds its own copy.
        self.entries: dict[str, str] = {}
        self.loaded = not enabled
        self.dirty = False
        self._saving = False  # save() is registered to run at exit
        self._lock = threading.Lock()  # the preview reads issues in more than one thread

    def _load(self) -> None:
        self.loaded = True
        from newsletter.usercache import user_cache_dir

        base = user_cache_dir()
        if base is None:
            return
        tag = hashlib.sha256(f"{FORMAT} {_code_stamp()}".encode()).hexdigest()[:16]
        self.path = base / f"yaml-{tag}.json"
        self.entries.update(self._read_file())

    def _read_file(self) -> dict[str, str]:
        """The entries the file holds now; none when it is missing or damaged."""
        if self.path is None:
            return {}
        try:
            if self.path.stat().st_size > 2 * MAX_CHARS:  # not one this code wrote
                return {}
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): v for k, v in data.items() if type(v) is str}
        except (OSError, ValueError, TypeError, AttributeError, RecursionError, MemoryError):
            return {}  # a damaged memo only means reading the YAML

    @staticmethod
    def key(kind: str, text: str) -> str:
        return hashlib.sha256(f"{kind}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()

    def recall(self, kind: str, text: str) -> tuple[Any, Any] | None:
        """(what the caller found in the node tree, the data) for a document read before, or None."""
        if not self.loaded:
            self._load()
        key = self.key(kind, text)
        entry = self.entries.get(key)
        if entry is None:
            return None
        with self._lock:  # the most recently used last: the settings, read by every build, stay
            self.entries[key] = self.entries.pop(key, entry)
        try:
            value = json.loads(entry)
        except (ValueError, RecursionError):
            return None
        if type(value) is not list or len(value) != 2 or not exact(value):  # damaged: read the YAML
            return None
        return value[0], value[1]

    def remember(self, kind: str, text: str, found: Any, data: Any) -> None:
        """Keep a document that read without a problem, when JSON can give it back exactly."""
        if not self.loaded:
            self._load()
        if self.path is None or not (exact(found) and exact(data)):
            return
        if not self._saving:
            import atexit

            atexit.register(self.save)
            self._saving = True
        try:
            entry = json.dumps([found, data], separators=(",", ":"), allow_nan=False)
        except (ValueError, RecursionError, MemoryError):
            return
        if len(entry) > MAX_ENTRY_CHARS:
            return
        with self._lock:
            self.entries[self.key(kind, text)] = entry
            _trim(self.entries)
            self.dirty = True

    def save(self) -> None:
        """Write the memo if this process added to it, with what other processes saved since
        this one read it (a build's workers each save theirs); atomically, errors ignored."""
        if not self.dirty or self.path is None:
            return
        with self._lock:
            self.dirty = False
            mine = dict(self.entries)
        tmp, lock = "", -1
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = _lock_file(self.path)  # read, merge and replace as one, across processes
            merged = {k: v for k, v in self._read_file().items() if k not in mine}
            merged.update(mine)  # this process's last: its own are the most recent
            _trim(merged)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(merged, separators=(",", ":")))
            os.replace(tmp, self.path)
            tmp = ""
        except OSError:
            pass
        finally:
            if tmp:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            if lock >= 0:
                os.close(lock)  # and with it the lock


def _lock_file(path: Path) -> int:
    """An open descriptor holding an exclusive lock beside ``path`` (where the platform has
    flock; elsewhere just the descriptor: a lost entry only means reading that YAML again)."""
    fd = os.open(f"{path}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
    except ImportError:
        pass
    except OSError:
        os.close(fd)
        raise
    return fd


def _trim(entries: dict[str, str]) -> None:
    """Drop the least recently used entries (the first) beyond the limits."""
    total = sum(len(e) for e in entries.values())
    while len(entries) > MAX_ENTRIES or total > MAX_CHARS:
        total -= len(entries.pop(next(iter(entries))))


def _code_stamp() -> str:
    """The installed PyYAML and the code that reads YAML here, by their files' times and sizes (an
    upgrade or an edit changes them), without importing PyYAML."""
    import importlib.util

    from newsletter import __version__

    spec = importlib.util.find_spec("yaml")
    here = Path(__file__).resolve().parent
    files = [spec.origin if spec is not None and spec.origin else ""]
    files += [str(here / name) for name in ("yamlmemo.py", "yamlsafe.py", "settings.py", "content/frontmatter.py")]
    stamp = [__version__]
    for file in files:
        try:
            info = os.stat(file)
            stamp.append(f"{file} {info.st_mtime_ns} {info.st_size}")
        except OSError:
            stamp.append(f"{file} -")
    return "\n".join(stamp)


MEMO = YamlMemo()
