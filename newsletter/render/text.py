"""Content model blocks -> plain text for the text/plain part.

Rendered from the model, never scraped from the HTML. Paragraphs wrap at 76
columns and a URL is never split: links are written ``text <URL>``.
"""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache
from typing import Callable, Sequence

from newsletter.content import model as m
from newsletter.deliver.esp import ANY_TAG, KEEP_TOGETHER, keep_together

WIDTH = 76
#: Characters of scripts written without spaces between words (Chinese and Japanese, and
#: the full-width forms), each two columns wide on a terminal: a line may break between two
#: of them. (Korean puts spaces between its words: it wraps and counts as other text does.)
#: The patterns are compiled when a text first has such a character (``WIDE`` too, through
#: the module's __getattr__): their Unicode classes took 8 ms of every cold build.
_WIDE_CLASS = ("[\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
               "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")
#: Every wide character is at or above this one.
_FIRST_WIDE = "\u2e80"
#: The wide characters that are words in themselves: ideographs and kana (not punctuation,
#: the ideographic space or symbols).
_WORD_CLASS = "[\u3041-\u309f\u30a1-\u30fa\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d\U00020000-\U0003fffd]"
#: Wide punctuation that never starts a line (it stays with the character before it), and
#: opening brackets, which never end one (they go with the character after them).
_NO_LINE_START = frozenset("。、，．！？：；」』）】〕〉》・ー〜")
_NO_LINE_END = frozenset("「『（【〔〈《")


@lru_cache(maxsize=None)
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _wide() -> re.Pattern[str]:
    return _pattern(_WIDE_CLASS)


def __getattr__(name: str) -> re.Pattern[str]:
    if name == "WIDE":
        return _wide()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def has_wide(text: str) -> bool:
    """Whether ``text`` has a Chinese or Japanese (wide) character."""
    return not text.isascii() and max(text) >= _FIRST_WIDE and _wide().search(text) is not None


def words_in(text: str) -> int:
    """Words as a reader counts them: runs between spaces, and each Chinese or Japanese
    character (ideograph or kana; their punctuation isn't a word)."""
    if not has_wide(text):
        return len(text.split())
    return len(_pattern(_WORD_CLASS).findall(text)) + len(_wide().sub(" ", text).split())


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap text without breaking words or URLs; keeps hard breaks (newlines).

    A paragraph's wrapping is remembered (a pure function of the arguments): the preview's
    rebuild after an edit wraps the same paragraphs again but the one that changed. Only
    paragraph-sized texts, so that a long session of edits can't fill memory."""
    if len(text) > _REMEMBERED_TEXT:
        return _wrap(text, width, indent, first)
    return _wrap_remembered(text, width, indent, first)


#: Texts longer than this (characters) are wrapped afresh each time.
_REMEMBERED_TEXT = 4000


def _wrap(text: str, width: int, indent: str, first: str | None) -> str:
    out: list[str] = []
    lead = indent if first is None else first
    text = keep_together(text.replace(KEEP_TOGETHER, ""))  # a tag is never split across lines
    for n, chunk in enumerate(text.split("\n")):
        wrap_line = _wrap_wide if has_wide(chunk) else _wrap_words
        wrapped = wrap_line(chunk, width, lead if n == 0 else indent, indent)
        out.extend(wrapped or [(lead if n == 0 else indent).rstrip()])
    return "\n".join(out).replace(KEEP_TOGETHER, " ")


_wrap_remembered = lru_cache(maxsize=2048)(_wrap)


def _wrap_wide(line: str, width: int, first: str, indent: str) -> list[str]:
    """A line with wide (CJK) characters, filled greedily in terminal columns (two for each
    wide character): it may break at a space or between two wide characters, never before
    closing punctuation such as '。' nor after an opening bracket. Other words, URLs and tags
    stay whole; a no-break space doesn't break, and the line's indentation and its runs of
    spaces are kept where it doesn't break (a line of code)."""
    body = line.lstrip(" ")
    first += line[:len(line) - len(body)]
    lines: list[str] = []
    current, used, space = first, len(first), ""

    def started() -> bool:
        return len(current) > len(indent if lines else first)

    tokens = _pattern(_WIDE_CLASS + "|" + _WIDE_CLASS.replace("[", "[^ ", 1) + "+| +")
    for token in tokens.findall(body.rstrip(" ")):
        if token.startswith(" "):
            space = token
            continue
        size = 2 if _wide().fullmatch(token) else len(token)
        # A line of opening brackets alone ('「' right before a long URL) can't end there: the brackets
        # would have to move on with the word and leave the line empty. The word then overflows.
        opening_only = not space and not current[len(indent if lines else first):].strip(" " + "".join(_NO_LINE_END))
        if started() and used + len(space) + size > width and token not in _NO_LINE_START and not opening_only:
            carry = ""
            while current[-1:] in _NO_LINE_END and len(current) - 1 > len(indent if lines else first):
                carry, current = current[-1] + carry, current[:-1]
            lines.append(current)
            current, used, space = indent + carry, len(indent) + 2 * len(carry), ""
        if started():
            current, used = current + space, used + len(space)
        current, used, space = current + token, used + size, ""
    if started():
        lines.append(current)
    return lines


#: Whitespace other than the plain space: textwrap treats it specially (see _wrap_words).
_OTHER_SPACE = re.compile(r"[^\S ]")


def _wrap_words(line: str, width: int, first: str, indent: str) -> list[str]:
    """``textwrap.wrap(line, width, initial_indent=first, subsequent_indent=indent,
    break_long_words=False, break_on_hyphens=False)``, line for line (tested against it).

    Paragraph text is words between single spaces, for which textwrap's rules come down to a
    greedy fill (a word too long for any line stands alone). Anything else (runs of spaces,
    leading or trailing spaces, tabs or other whitespace) goes to textwrap itself."""
    if not line:
        return []
    if "  " in line or line[0] == " " or line[-1] == " " or _OTHER_SPACE.search(line):
        return textwrap.wrap(line, width=width, initial_indent=first, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False)
    lines: list[str] = []
    room, pos, end = width - len(first), 0, len(line)
    prefix = first
    while pos < end:
        # The most whole words that fit in ``room`` (a run ending before a space or at the end),
        # found by the regex engine; a word longer than the room stands alone.
        fit = _fill(room).match(line, pos) if room > 0 else None
        stop = fit.end() if fit else line.find(" ", pos)
        if stop < 0:
            stop = end
        lines.append(prefix + line[pos:stop])
        pos, prefix, room = stop + 1, indent, width - len(indent)
    return lines


_FILLS: dict[int, re.Pattern[str]] = {}


def _fill(room: int) -> re.Pattern[str]:
    """Up to ``room`` characters ending just before a space or at the end of the text."""
    found = _FILLS.get(room)
    if found is None:
        found = _FILLS[room] = re.compile(f".{{1,{room}}}(?= |$)")
    return found


#: What capitals would break in a subhead's text: a service's tag, a URL, an address.
_NOT_CAPITALISED = re.compile(ANY_TAG.pattern + r"|\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+|\bwww\.\S+|\S+@\S+\.\w+")


def capitals(text: str) -> str:
    """``text`` in capitals, but for the tags, URLs and addresses in it."""
    out, pos = [], 0
    for keep in _NOT_CAPITALISED.finditer(text):
        out += [text[pos:keep.start()].upper(), keep.group(0)]
        pos = keep.end()
    out.append(text[pos:].upper())
    return "".join(out)


class TextRenderer:
    def __init__(self, placeholder: Callable[[str, str], str], link_url: Callable[[str], str]) -> None:
        self.placeholder = placeholder
        self.link_url = link_url

    def inlines(self, nodes: Sequence[m.Inline], upper: bool = False) -> str:
        """The nodes as text; ``upper``: the words in capitals (a subhead), but never a merge
        tag, a placeholder or a URL, which capitals would break."""
        out: list[str] = []
        for node in nodes:
            if isinstance(node, (m.Text, m.Code)):
                out.append(capitals(node.text) if upper else node.text)
            elif isinstance(node, m.Break):
                out.append("\n")
            elif isinstance(node, m.MergeTag):
                out.append(node.raw)
            elif isinstance(node, m.Placeholder):
                out.append(self.placeholder(node.name, node.fallback))
            elif isinstance(node, (m.Emphasis, m.Strong)):
                out.append(self.inlines(node.children, upper))
            elif isinstance(node, m.Link):
                label = self.inlines(node.children)
                url = self.link_url(node.url)
                if label.strip() in (node.url, url) or (url.startswith("mailto:") and label.strip() == url[7:]):
                    # The address alone: "desk@example.com <mailto:desk@example.com>" says it twice.
                    out.append(label.strip() if url.startswith("mailto:") else f"<{url}>")
                else:
                    out.append(f"{self.inlines(node.children, upper) if upper else label} <{url}>")
        return "".join(out)

    def block(self, block: m.Block, indent: str = "") -> str:
        if isinstance(block, m.Paragraph):
            return wrap(self.inlines(block.inlines), indent=indent)
        if isinstance(block, m.Subhead):
            return wrap(self.inlines(block.inlines, upper=True).strip(), indent=indent)
        if isinstance(block, m.ListBlock):
            items = []
            for n, item in enumerate(block.items, start=block.start):
                bullet = f"{n}. " if block.ordered else "- "
                body = self.blocks(item, indent + " " * len(bullet))
                body = body[len(indent) + len(bullet):] if body.startswith(indent + " " * len(bullet)) else body.lstrip()
                items.append(indent + bullet + body)
            return "\n".join(items)
        if isinstance(block, m.Quote):
            return self.blocks(block.blocks, indent + "> ")
        if isinstance(block, m.Rule):
            return indent + "-" * 20
        if isinstance(block, m.Figure):
            return self.figure(block, indent)
        raise TypeError(block)

    def blocks(self, blocks: Sequence[m.Block], indent: str = "") -> str:
        return f"\n{indent.rstrip()}\n".join(self.block(b, indent) for b in blocks)

    def figure(self, fig: m.Figure, indent: str = "") -> str:
        lines = []
        # A linked image's link, as the HTML has it (both parts carry the same links).
        link = f"<{self.link_url(fig.link)}>" if fig.link else ""
        if not fig.decorative and fig.alt:
            lines.append(wrap(f"[Image: {fig.alt}] {link}".rstrip(), indent=indent))
            link = ""
        if fig.caption:
            lines.append(wrap(fig.caption, indent=indent))
        if fig.credit:
            lines.append(wrap(f"Photo: {fig.credit}", indent=indent))
        if link:  # a decorative image's
            lines.append(wrap(link, indent=indent))
        return "\n".join(lines)
