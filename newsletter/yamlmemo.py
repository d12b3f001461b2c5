"""YAML already read, remembered across processes, so that a build need not import PyYAML.

Importing PyYAML costs a fresh process 11-15 ms, about a twentieth of a one-issue build;
newsletter.yaml and an issue's front matter seldom change between builds. What a document
read as (its data, and what the caller found in its node tree: each key's line) is kept in
one JSON file in the user cache folder (newsletter/usercache.py), keyed by the document's
text, what it is (``kind``) and the installed PyYAML, and the next process reads it back.

Only what JSON gives back exactly is kept: mappings with text keys, lists, text, whole and
finite numbers, true, false and null. A document with anything else (a date, a number as a
key) or with a problem is simply read by PyYAML every time. A missing, damaged or unwritable
file only means reading the YAML as usual; the result is the same either way.
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

FORMAT = 1
#: Documents kept: the settings and the front matter of the issues built most recently.
MAX_ENTRIES = 256


def exact(value: Any) -> bool:
    """True when JSON gives ``value`` back as it is (walked without recursion)."""
    stack = [value]
    while stack:
        v = stack.pop()
        kind = type(v)
        if v is None or kind is str or kind is bool or kind is int:
            continue
        if kind is float:
            if not math.isfinite(v):
                return False
        elif kind is list:
            stack.extend(v)
        elif kind is dict:
            if any(type(k) is not str for k in v):
                return False
            stack.extend(v.values())
        else:
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
        tag = hashlib.sha256(f"{FORMAT} {_pyyaml_stamp()}".encode()).hexdigest()[:16]
        self.path = base / f"yaml-{tag}.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entries = {str(k): v for k, v in data.items() if type(v) is str}
        except (OSError, ValueError, TypeError, AttributeError, RecursionError, MemoryError):
            return  # a damaged memo only means reading the YAML
        self.entries.update(entries)

    @staticmethod
    def key(kind: str, text: str) -> str:
        return hashlib.sha256(f"{kind}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()

    def recall(self, kind: str, text: str) -> tuple[Any, Any] | None:
        """(what the caller found in the node tree, the data) for a document read before, or None."""
        if not self.loaded:
            self._load()
        entry = self.entries.get(self.key(kind, text))
        if entry is None:
            return None
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
        except (ValueError, RecursionError):
            return
        with self._lock:
            self.entries[self.key(kind, text)] = entry
            while len(self.entries) > MAX_ENTRIES:
                del self.entries[next(iter(self.entries))]  # the oldest first
            self.dirty = True

    def save(self) -> None:
        """Write the memo if this process added to it (atomically; errors are ignored)."""
        if not self.dirty or self.path is None:
            return
        with self._lock:
            self.dirty = False
            text = json.dumps(self.entries, separators=(",", ":"))
        tmp = ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path)
        except OSError:
            if tmp:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def _pyyaml_stamp() -> str:
    """The installed PyYAML, by its files' times (an upgrade changes them), without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("yaml")
    origin = spec.origin if spec is not None else None
    try:
        return f"{origin} {os.stat(origin).st_mtime_ns}" if origin else "none"
    except OSError:
        return "none"


MEMO = YamlMemo()
