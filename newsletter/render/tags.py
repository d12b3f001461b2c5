"""Keeping email-service tags byte-exact through Jinja, MRML and premailer.

Tags never enter the HTML pipeline as themselves: the renderer writes an opaque
ASCII token for each (``NLMT0003T``), which no escaper, parser or inliner alters,
and the last step swaps every token back for its tag.
"""

from __future__ import annotations

import re
from typing import Callable


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
        self._index: dict[tuple[str, str], int] = {}
        #: What some tokens stand for on a public web page instead (see ``restore_web``).
        self._web: dict[int, str] = {}

    def _add(self, tag: str, key: tuple[str, str]) -> int:
        if key not in self._index:
            self._index[key] = len(self._tags)
            self._tags.append(tag)
        return self._index[key]

    def token(self, tag: str, web: str | None = None) -> str:
        """The placeholder to write in place of ``tag``. ``web``: the HTML the token stands
        for on a web page (a placeholder's escaped fallback); by default the tag itself."""
        n = self._add(tag, (tag, "") if web is None else (tag, "web:" + web))
        if web is not None:
            self._web[n] = web
        return f"{self.prefix}{n:04d}T"

    def marker(self, name: str) -> str:
        """A token that restores to nothing in the email: it marks a place in the HTML that
        survives MJML and premailer (the theme brackets what a web page leaves out)."""
        return f"{self.prefix}{self._add('', (name, 'marker')):04d}T"

    def restore(self, html: str) -> str:
        """Every token back to its tag, byte-exact."""
        return self._restore(html, self._tags.__getitem__)

    def restore_web(self, html: str, tag_value: Callable[[str], str] = str) -> str:
        """Every token back to its web value: a placeholder's fallback, a marker to nothing,
        any other tag to ``tag_value(tag)`` (the web archive's web-safe form of it). Only the
        tokens change: content that merely looks like a tag stays as written."""
        return self._restore(html, lambda n: self._web[n] if n in self._web else
                             tag_value(self._tags[n]) if self._tags[n] else "")

    def _restore(self, html: str, value: Callable[[int], str]) -> str:
        if not self._tags:
            return html
        pattern = re.compile(re.escape(self.prefix) + r"(\d{4})T")
        return pattern.sub(lambda m: value(int(m.group(1))) if int(m.group(1)) < len(self._tags) else m.group(0), html)

    def tags(self) -> tuple[str, ...]:
        """Every tag, in token order."""
        return tuple(self._tags)

    def __len__(self) -> int:
        return len(self._tags)
