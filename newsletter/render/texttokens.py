"""The issue's running text as tokens through MRML and premailer, put back after them.

Neither MRML nor premailer reads the words of a paragraph: they lay out and style the
elements around them. So the renderer writes each run of text as an opaque token
(``nlTx12x``), and the step after premailer swaps every token for the text, escaped as
premailer's serialiser (lxml) writes text. Two renders of an issue whose text alone
differs (an editor typing in the preview) then hand MRML and premailer the same document,
and each keeps its last few results (``_mrml`` in newsletter/render/mjml.py,
``inline_css`` in newsletter/render/inline.py).

The bytes are the same as with the text in place (tests/test_text_tokens.py). Only text
that lxml writes back exactly as it was given is a token: printable, not blank. Only the
default theme's MJML templates get tokens: a workspace's own MJML template may change a
paragraph's text (a filter such as ``upper``, ``truncate`` or ``wordcount``), so it gets the
text itself (``theme_mjml_only`` in newsletter/render/theme.py). Text in the settings that
looks like a token makes one appear twice or out of range: ``restore`` raises TokensLost and
the issue is rendered again with its text in place.
"""

from __future__ import annotations

import re
from html import escape


class TokensLost(Exception):
    """A token didn't come through the pipeline exactly once."""


def as_serialized(text: str) -> str:
    """Text escaped the way premailer (lxml) writes text content: '&', '<' and '>' only."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TextTokens:
    def __init__(self, avoid: str = "") -> None:
        # A prefix the issue's own text doesn't contain, so content can't forge a token.
        prefix, n = "nlTx", 0
        while prefix in avoid:
            n += 1
            prefix = f"nlT{chr(ord('a') + n % 26)}{n}"
        self.prefix = prefix
        self._pattern = re.compile(re.escape(prefix) + r"(\d+)x")
        self._texts: list[str] = []

    def html(self, text: str) -> str:
        """What the renderer writes for ``text``: a token, or the text escaped when lxml
        might write it back otherwise (a control character, a no-break space, blank text)."""
        if not text.isprintable() or not text.strip():
            return escape(text, quote=True)
        self._texts.append(text)
        return f"{self.prefix}{len(self._texts) - 1}x"

    def restore(self, html: str) -> str:
        """Every token back to its text as lxml writes it; TokensLost unless each token is
        there exactly once."""
        if not self._texts:
            return html
        seen = bytearray(len(self._texts))
        texts = self._texts

        def text(found: re.Match[str]) -> str:
            n = int(found.group(1))
            if n >= len(texts) or seen[n]:
                raise TokensLost(found.group(0))
            seen[n] = 1
            return as_serialized(texts[n])

        out = self._pattern.sub(text, html)
        if not all(seen):
            raise TokensLost(f"{seen.count(0)} of {len(texts)} texts")
        return out

    def restore_source(self, mjml: str) -> str:
        """The tokens in the MJML the templates wrote back to the text as Jinja escaped it
        (``build --emit-mjml`` and the quality gate see the MJML the theme made)."""
        if not self._texts:
            return mjml
        texts = self._texts
        return self._pattern.sub(lambda found: escape(texts[int(found.group(1))], quote=True)
                                 if int(found.group(1)) < len(texts) else found.group(0), mjml)

    def __len__(self) -> int:
        return len(self._texts)
