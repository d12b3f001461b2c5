"""A string's UTF-8 bytes, encoded once however many steps ask.

An issue's HTML (about 55 KB) was encoded five times: for the report's size, the size rule,
the file, the .eml's body and its boundary. The last few strings encoded are kept with their
bytes; a string is the same object, so the same text, as long as it is alive.
"""

from __future__ import annotations

import threading

_KEPT = 4
_recent: list[tuple[str, bytes]] = []
_lock = threading.Lock()


def utf8(text: str) -> bytes:
    """``text.encode("utf-8")``, reused for the last few strings asked about."""
    with _lock:
        for i, (known, data) in enumerate(_recent):
            if known is text:
                if i:
                    _recent.insert(0, _recent.pop(i))
                return data
    data = text.encode("utf-8")
    with _lock:
        _recent.insert(0, (text, data))
        del _recent[_KEPT:]
    return data
