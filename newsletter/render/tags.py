"""Keeping email-service tags byte-exact through Jinja, MRML and premailer.

Tags never enter the HTML pipeline as themselves: the renderer writes an opaque
ASCII token for each (``NLMT0003T``), which no escaper, parser or inliner alters,
and the last step swaps every token back for its tag.
"""

from __future__ import annotations

import re


class TagVault:
    def __init__(self, avoid: str = "") -> None:
        # Pick a token prefix that the issue's own text doesn't contain, so content
        # can't forge a token, in any letter case (a theme may upper-case content).
        prefix = "NLMT"
        n = 0
        avoid = avoid.upper()
        while prefix in avoid:
            n += 1
            prefix = f"NLM{chr(ord('A') + n % 26)}{n}"
        self.prefix = prefix
        self._tags: list[str] = []
        self._index: dict[str, int] = {}

    def token(self, tag: str) -> str:
        """The placeholder to write in place of ``tag``."""
        if tag not in self._index:
            self._index[tag] = len(self._tags)
            self._tags.append(tag)
        return f"{self.prefix}{self._index[tag]:04d}T"

    def restore(self, html: str) -> str:
        """Every token back to its tag, byte-exact."""
        if not self._tags:
            return html
        pattern = re.compile(re.escape(self.prefix) + r"(\d{4})T")
        return pattern.sub(lambda m: self._tags[int(m.group(1))] if int(m.group(1)) < len(self._tags) else m.group(0), html)

    def __len__(self) -> int:
        return len(self._tags)
