"""Inline text in its common, simple forms, read without markdown-it's inline parser.

Most of an issue's paragraphs are prose with a few ``[links](https://...)`` and ``*words*``
in emphasis. markdown-it reads inline text one rule at a time per special character (about
a third of an issue's parse); for text made only of the forms below the result is known in
one pass, and :func:`simple_inlines` returns the model inlines that markdown-it's parse
followed by ``BlockReader._convert`` gives. Anything else returns None, and markdown-it
reads the text as always:

- plain text without ``\\``, backticks, ``<``, ``{``, ``}``, ``%%``, ``![`` or an entity
  (``&amp;``, ``&#38;``), and with no space or tab next to a line break (a soft break
  then reads as one space);
- ``[label](url)``: a one-line label of plain text, a plain ``http(s)`` URL with nothing
  to normalise (``urls.PLAIN_URL``) that ``url_problem`` accepts, no title;
- ``*text*``, ``**text**``, ``_text_``, ``__text__`` around plain text that starts and
  ends with a letter or digit, opened after a space, a line break, ``(`` or ``"`` (or at the
  start) and closed before a space, a line break, ASCII punctuation that ends a phrase, or the
  end: delimiters that can only open or only close, so CommonMark's pairing is unambiguous.

tests/test_simple_inline.py compares the two readings on generated text.
"""

from __future__ import annotations

import re

from newsletter.content import model as m
from newsletter.content.urls import PLAIN_URL, url_problem

#: What makes text need markdown-it: escapes, code, autolinks and HTML, attributes,
#: placeholders, images (each found with ``in``, at C speed), entities, and white space
#: around a line break.
_NEEDS_PARSER = ("\\", "`", "<", "{", "}", "%%", "![")
_ENTITY = re.compile(r"&(?:#|[A-Za-z][A-Za-z0-9]*;)")
_SPACED_BREAK = re.compile(r"[ \t]\n|\n[ \t]")

#: One piece of simple inline text, at a position: a text run, a link, or an emphasis pair.
_PIECE = re.compile(
    r"(?P<text>[^*_\[\]]+)"
    r"|\[(?P<label>[^\[\]*_\n]+)\]\((?P<url>https?://[^\s()<>\[\]\\]+)\)"
    r"|(?P<delim>\*\*|__|\*|_)(?P<inner>[A-Za-z0-9](?:[^*_\[\]\n]*[^*_\[\]\s])?)(?P=delim)"
)
_OPEN_AFTER = frozenset(' \n("')
_CLOSE_BEFORE = frozenset(" \n.,;:!?)\"'")
_PHRASE_END = frozenset(".,;:!?)\"'")


def simple_inlines(text: str) -> tuple[m.Inline, ...] | None:
    """The model inlines of ``text`` when it is simple (see the module's docstring), else None."""
    for needs in _NEEDS_PARSER:
        if needs in text:
            return None
    if ("&" in text and _ENTITY.search(text)) or ("\n" in text and _SPACED_BREAK.search(text)):
        return None
    out: list[m.Inline] = []
    pending = ""
    pos, end = 0, len(text)
    while pos < end:
        piece = _PIECE.match(text, pos)
        if piece is None:
            return None
        kind = piece.lastgroup
        if kind == "text":
            pending += piece.group("text")
        elif kind == "url":
            label, url = piece.group("label"), piece.group("url")
            if not label.strip() or not PLAIN_URL.match(url) or url_problem(url):
                return None
            if pending:
                out.append(m.Text(pending.replace("\n", " ")))
                pending = ""
            out.append(m.Link(url, (m.Text(label),), ""))
        else:  # an emphasis pair
            before = text[pos - 1] if pos else " "
            after = text[piece.end()] if piece.end() < end else " "
            last = piece.group("inner")[-1]
            closes = after in _CLOSE_BEFORE if last.isascii() and last.isalnum() else (
                last in _PHRASE_END and after in " \n")
            if before not in _OPEN_AFTER or not closes:
                return None
            if pending:
                out.append(m.Text(pending.replace("\n", " ")))
                pending = ""
            inner = (m.Text(piece.group("inner")),)
            out.append(m.Strong(inner) if len(piece.group("delim")) == 2 else m.Emphasis(inner))
        pos = piece.end()
    if pending:
        out.append(m.Text(pending.replace("\n", " ")))
    return tuple(out)
