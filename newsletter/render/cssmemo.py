"""premailer's parsed CSS, remembered across processes.

cssutils is slow to parse: in a fresh process, parsing the theme's email.css and the few
dozen distinct ``style`` attributes MRML writes is about half of the first render. Both
results depend only on the text parsed and on the versions of premailer and cssutils, so
they are kept in one JSON file in the user cache folder (newsletter/usercache.py) and read
back by the next process. Anything wrong with the file (missing, damaged, unwritable) just
means parsing as usual; the output is the same either way.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1
MAX_PAIRS = 20000
MAX_RULES = 64


class CssMemo:
    def __init__(self) -> None:
        self.path: Path | None = None
        self.pairs: dict[str, tuple[tuple[str, str], ...]] = {}
        self.rules: dict[str, list[tuple[Any, str, str]]] = {}
        self.dirty = False

    def load(self, versions: str) -> None:
        """Read the memo file for these library versions (once per process)."""
        from newsletter.usercache import user_cache_dir

        base = user_cache_dir()
        if base is None or self.path is not None:
            return
        tag = hashlib.sha256(f"{FORMAT} {versions}".encode()).hexdigest()[:16]
        self.path = base / f"premailer-{tag}.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            pairs = {str(k): tuple((str(a), str(b)) for a, b in v) for k, v in data["pairs"].items()}
            rules = {str(k): [(tuple(int(n) for n in spec), str(sel), str(bulk)) for spec, sel, bulk in v]
                     for k, v in data["rules"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError, MemoryError):
            return  # a damaged memo is only a slower build
        self.pairs.update(pairs)
        self.rules.update(rules)

    @staticmethod
    def rules_key(parts: tuple[Any, ...]) -> str:
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def remember_pairs(self, text: str, pairs: tuple[tuple[str, str], ...]) -> None:
        if self.path is not None and len(self.pairs) < MAX_PAIRS:
            self.pairs[text] = pairs
            self.dirty = True

    def remember_rules(self, key: str, rules: list[Any]) -> None:
        if self.path is not None and len(self.rules) < MAX_RULES:
            self.rules[key] = [(tuple(spec), sel, bulk) for spec, sel, bulk in rules]
            self.dirty = True

    def save(self) -> None:
        """Write the memo if this process learned something (atomically; errors are ignored)."""
        if not self.dirty or self.path is None:
            return
        data = {"pairs": {k: [list(p) for p in v] for k, v in self.pairs.items()},
                "rules": {k: [[list(spec), sel, bulk] for spec, sel, bulk in v] for k, v in self.rules.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, separators=(",", ":"))
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            try:
                os.unlink(tmp)
            except (OSError, UnboundLocalError):
                pass


MEMO = CssMemo()
