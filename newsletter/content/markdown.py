"""Markdown body -> content model blocks.

markdown-it-py parses CommonMark with raw HTML turned off (so any HTML in an issue
is text), plus three extensions: ``::: name`` containers, ``{credit="..."}`` attributes
after images, and inline rules that keep ``*|TAG|*`` merge tags and ``%%name%%``
placeholders away from emphasis parsing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any, Sequence

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim, unescapeAll
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore, normalize
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin

from newsletter.content import model as m
from newsletter.content.simple_inline import simple_inlines
from newsletter.content.urls import PLAIN_URL, url_problem
from newsletter.deliver.esp import has_tag
from newsletter.errors import Problem

#: Deeper inline nesting is refused: every later stage walks the tree recursively.
MAX_INLINE_DEPTH = 20

#: A Mailchimp tag written in content (*|FNAME|*): kept byte-exact, through the tag vault.
MERGE_TAG = re.compile(r"\*\|[A-Za-z0-9_:]+\|\*")
_PLACEHOLDER = re.compile(r"%%([a-z][a-z0-9_]*)(?:\|([^%\n]{0,80}))?%%")


def _merge_tag_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("*|", state.pos):
        return False
    match = MERGE_TAG.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("merge_tag", "", 0)
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _placeholder_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("%%", state.pos):
        return False
    match = _PLACEHOLDER.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("placeholder", "", 0)
        token.content = match.group(1)
        token.meta = {"fallback": match.group(2) or ""}
    state.pos = match.end()
    return True


class ParseMemo:
    """One issue file's last parse, kept for its next one (the preview parses a file again on
    every save, and most of it hasn't changed).

    - ``inlines``: a paragraph's model inlines by its text, for paragraphs that converted
      without a problem or an image. Model inlines carry no line numbers, so a paragraph that
      moved keeps its result: it skips markdown-it's inline parse and our conversion.
    - ``stories``: a whole story (newsletter.content.parse.story_starts) by its text, first
      line and number, when it read without a problem: it skips markdown-it altogether.

    Reference definitions (``[x]: url``) make an inline's meaning depend on the rest of the
    file: a parse that has them neither uses nor keeps inlines (and isn't cut into stories).
    """

    def __init__(self, previous: tuple[dict[str, Any], dict[Any, Any]] | None = None) -> None:
        self.previous_inlines, self.previous_stories = previous or ({}, {})
        self.inlines: dict[str, tuple[m.Inline, ...]] = {}
        self.stories: dict[Any, Any] = {}
        self.enabled = True


_MEMOS: "OrderedDict[str, tuple[dict[str, Any], dict[Any, Any]]]" = OrderedDict()
_MEMO_FILES = 32
_MEMO_LOCK = threading.Lock()


def parse_memo(file: str) -> ParseMemo:
    """A memo for parsing ``file`` again, seeded with what its last parse kept."""
    with _MEMO_LOCK:
        return ParseMemo(_MEMOS.get(file))


def keep_parse_memo(file: str, memo: ParseMemo, size: int) -> None:
    """Remember this parse for the file's next one (the last 32 files; ``size`` characters of
    Markdown at most 1,000,000 each, so that the memo stays small)."""
    with _MEMO_LOCK:
        _MEMOS[file] = (memo.inlines if memo.enabled else {}, memo.stories) if size <= 1_000_000 else ({}, {})
        _MEMOS.move_to_end(file)
        while len(_MEMOS) > _MEMO_FILES:
            _MEMOS.popitem(last=False)


#: Read simple inline text without markdown-it's inline parser (newsletter/content/simple_inline.py).
SIMPLE_INLINES = True


def _inline_rule(state: StateCore) -> None:
    """markdown-it's core 'inline' rule, skipping paragraphs the memo (``env["parse_memo"]``) has
    and text that simple_inlines reads on its own. Either way the token's model inlines go in
    ``token.meta["inlines"]`` (BlockReader.inlines takes them from there)."""
    memo: ParseMemo | None = state.env.get("parse_memo")
    references = bool(state.env.get("references"))
    if memo is not None and references:
        memo.enabled = False
    simple = SIMPLE_INLINES and not references
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "inline":
            continue
        if memo is not None and memo.enabled and i and tokens[i - 1].type == "paragraph_open":
            found = memo.previous_inlines.get(token.content)
            if found is not None:
                token.meta["inlines"] = found
                token.children = []
                continue
        if simple:
            found = simple_inlines(token.content)
            if found is not None:
                token.meta["inlines"] = found
                token.children = []
                continue
        if token.children is None:
            token.children = []
        state.md.inline.parse(token.content, state.md, state.env, token.children)


def _normalize_rule(state: StateCore) -> None:
    """markdown-it's core 'normalize' rule (CR and CRLF to LF, NUL to U+FFFD), skipped when
    there is nothing to change: its regex otherwise replaces every line ending with itself."""
    if "\r" in state.src or "\0" in state.src:
        normalize(state)


def make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.block.ruler.before("table", "plain_paragraph", _plain_paragraph)
    md.use(container_plugin, name="block", validate=lambda params, *a: bool(params.strip()))
    md.use(attrs_plugin)
    md.inline.ruler.before("emphasis", "merge_tag", _merge_tag_rule)
    md.inline.ruler.before("emphasis", "placeholder", _placeholder_rule)
    md.core.ruler.at("inline", _inline_rule)
    md.core.ruler.at("normalize", _normalize_rule)
    # We validate every URL ourselves and report forbidden ones as errors, instead of
    # markdown-it's silent fallback to text; tags must not be percent-encoded.
    default_normalize = md.normalizeLink
    md.validateLink = lambda url: True  # type: ignore[method-assign]

    def normalize(url: str) -> str:
        if has_tag(url):
            return url.strip()
        # Most links are plain ASCII URLs that markdown-it's normalisation (parse, punycode,
        # percent-encode, format) gives back unchanged; skip that work for them.
        return url if PLAIN_URL.match(url) else default_normalize(url)

    md.normalizeLink = normalize  # type: ignore[method-assign]
    md.helpers = _FastHelpers(md.helpers)  # type: ignore[assignment]
    return md


def _plain_paragraph(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's paragraph rule for the common case, without first trying every other block
    rule on the line and every terminator on each line after it (a tenth of the parse or more).

    It takes a top-level run of lines, up to a blank line or the end, each starting at the left
    margin with a letter. No block can start on such a line (each starts with a marker, a digit
    or indentation), so none can interrupt the run, and the paragraph rule would take exactly
    these lines: the tokens are made as it makes them. Anything else goes to the usual rules."""
    # The top level (not state.parentType, which markdown-it's lheading rule leaves set to
    # "paragraph" after a paragraph it doesn't take).
    if silent or state.level:
        return False
    src, begins, shifts, ends, indent = state.src, state.bMarks, state.tShift, state.eMarks, state.blkIndent
    line = start
    while line < end:
        first = begins[line] + shifts[line]
        if first >= ends[line]:  # a blank line ends the paragraph
            break
        if shifts[line] or state.sCount[line] != indent or not src[first].isalpha():
            return False
        line += 1
    content = mdTrim(state.getLines(start, line, indent, False))
    state.line = line
    token = state.push("paragraph_open", "p", 1)
    token.map = [start, line]
    token = state.push("inline", "", 0)
    token.content = content
    token.map = [start, line]
    token.children = []
    state.push("paragraph_close", "p", -1)
    return True


#: The characters of a link destination that need no per-character attention: not a space,
#: control character, DEL, backslash or parenthesis.
_PLAIN_DESTINATION = re.compile(r"[^\x00-\x20\x7f\\()]+")


class _FastHelpers:
    """markdown-it's link helpers, with ``parseLinkDestination`` answering the common case at C speed.

    markdown-it walks a destination one character at a time in Python (about 1 ms for an issue's
    links). A destination not in ``<...>`` that runs up to a space, control character, ``)`` or the
    end without meeting a backslash or ``(`` is exactly what that walk returns; anything else
    goes to markdown-it's own function.
    """

    def __init__(self, helpers: Any) -> None:
        self._helpers = helpers
        self.parseLinkLabel = helpers.parseLinkLabel
        self.parseLinkTitle = helpers.parseLinkTitle
        self._slow = helpers.parseLinkDestination

    def __getattr__(self, name: str) -> Any:
        return getattr(self._helpers, name)

    def parseLinkDestination(self, string: str, pos: int, maximum: int) -> Any:
        match = _PLAIN_DESTINATION.match(string, pos, maximum)
        if match is None or string.startswith("<", pos):
            return self._slow(string, pos, maximum)
        end = match.end()
        if end < maximum and string[end] in "\\(":
            return self._slow(string, pos, maximum)
        result = self._slow(string, pos, pos)  # markdown-it's result type, not yet ok
        result.str = unescapeAll(string[pos:end])
        result.pos = end
        result.ok = True
        return result




_MD: MarkdownIt | None = None


def markdown() -> MarkdownIt:
    global _MD
    if _MD is None:
        _MD = make_markdown()
    return _MD


class BlockReader:
    """Turns a token stream into model blocks, recording problems with source lines."""

    def __init__(self, file: str, lines: Sequence[str], line_offset: int, problems: list[Problem],
                 memo: ParseMemo | None = None) -> None:
        self.file = file
        self.lines = lines  # the body's lines, 0-based as markdown-it maps them
        self.offset = line_offset  # file line of body line 0
        self.problems = problems
        self.memo = memo
        #: The '::: name' block being read, and its line: a headline or another block inside
        #: it is most often a block left open above.
        self.block: tuple[str, int] | None = None

    # -- lines --------------------------------------------------------------

    def line_of(self, token: Token) -> int:
        return self.offset + (token.map[0] if token.map else 0)

    def find_line(self, token: Token | None, needle: str, default: int) -> int:
        """The file line, within the token's block, that contains ``needle``."""
        if token is not None and token.map and needle:
            for i in range(token.map[0], min(token.map[1], len(self.lines))):
                if needle in self.lines[i]:
                    return self.offset + i
        return default

    def problem(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, line, message, hint))

    # -- inline ---------------------------------------------------------------

    def inlines(self, inline: Token, figures: list[m.Figure] | None = None) -> tuple[m.Inline, ...]:
        """Inline children -> model inlines. Images are taken out into ``figures``."""
        found = inline.meta.get("inlines") if inline.meta else None
        if found is not None:  # the memo's, from the file's last parse (see ParseMemo)
            if self.memo is not None:
                self.memo.inlines[inline.content] = found
            return found  # type: ignore[no-any-return]
        problems_before = len(self.problems)
        result = self._convert(inline, figures)
        if (self.memo is not None and self.memo.enabled and figures is not None and not figures
                and len(self.problems) == problems_before):
            self.memo.inlines[inline.content] = result
        return result

    def _convert(self, inline: Token, figures: list[m.Figure] | None) -> tuple[m.Inline, ...]:
        line = self.line_of(inline)
        stack: list[tuple[str, list[m.Inline], Token | None]] = [("root", [], None)]
        too_deep = 0  # open tokens ignored past MAX_INLINE_DEPTH (still waiting for their close)
        pending = 0  # images inside the open emphasis or link, placed after it
        for tok in inline.children or []:
            t = tok.type
            top = stack[-1][1]
            if t in ("em_open", "strong_open", "link_open") and (too_deep or len(stack) > MAX_INLINE_DEPTH):
                if not too_deep:
                    self.problem(line, f"emphasis or links are nested more than {MAX_INLINE_DEPTH} levels deep",
                                 "simplify the run of '*', '_' or '[' characters")
                too_deep += 1
                continue
            if t in ("em_close", "strong_close", "link_close") and too_deep:
                too_deep -= 1
                continue
            if t == "text":
                if tok.content:
                    top.append(m.Text(tok.content))
            elif t == "softbreak":
                top.append(m.Text(" "))
            elif t == "hardbreak":
                top.append(m.Break())
            elif t == "code_inline":
                top.append(m.Code(tok.content))
            elif t == "merge_tag":
                top.append(m.MergeTag(tok.content))
            elif t == "placeholder":
                top.append(m.Placeholder(tok.content, tok.meta.get("fallback", "")))
            elif t in ("em_open", "strong_open", "link_open"):
                stack.append((t, [], tok))
            elif t in ("em_close", "strong_close", "link_close"):
                if len(stack) == 1:
                    continue
                kind, children, open_tok = stack.pop()
                parent = stack[-1][1]
                if kind == "em_open":
                    parent.append(m.Emphasis(tuple(children)))
                elif kind == "strong_open":
                    parent.append(m.Strong(tuple(children)))
                else:
                    assert open_tok is not None
                    parent.extend(self.link(open_tok, children, inline, line))
                if len(stack) == 1 and pending:  # the images that were inside it
                    parent.extend([_FIGURE] * pending)
                    pending = 0
            elif t == "image":
                figure = self.figure(tok, inline, line)
                if figure is not None:
                    if figures is not None:
                        figures.append(figure)
                        if len(stack) == 1:
                            top.append(_FIGURE)  # where it was: the paragraph is cut there
                        else:  # inside emphasis or a link: after it, the text around it kept whole
                            pending += 1
                    elif figure.alt:
                        top.append(m.Text(figure.alt))
            elif tok.content:
                top.append(m.Text(tok.content))
        # Unclosed containers (shouldn't happen with markdown-it) fold into their parent.
        while len(stack) > 1:
            _, children, _ = stack.pop()
            stack[-1][1].extend(children)
        stack[0][1].extend([_FIGURE] * pending)
        return tuple(_merge_text(stack[0][1]))

    def link(self, tok: Token, children: list[m.Inline], inline: Token, line: int) -> list[m.Inline]:
        """A link node, or (for a refused URL, reported as a problem) just its text."""
        href = str(tok.attrs.get("href", ""))
        title = str(tok.attrs.get("title", "") or "")
        # The URL as written may differ from the decoded one ('&#106;avascript:'): then the
        # link's text finds its line, before the paragraph's first line does.
        at = (self.find_line(inline, href[:40], 0) or self.find_line(inline, "[" + plain_text(tuple(children))[:30], 0)
              or line)
        why = url_problem(href)
        if why:
            self.problem(at, why)
            return children
        if not _has_text(children):
            self.problem(at, f"link to {href[:60]} has no text", "write [what the link is](URL)")
            return [m.Link(href, (m.Text(href),), title)]
        track = "no-track" not in str(tok.attrs.get("class", "")).split()
        return [m.Link(href, tuple(children), title, track)]

    def figure(self, tok: Token, inline: Token, line: int) -> m.Figure | None:
        src = str(tok.attrs.get("src", ""))
        line = self.find_line(inline, src[:40] or "![", line)
        alt = _alt_text(tok)
        classes = str(tok.attrs.get("class", "")).split()
        decorative = "decorative" in classes
        why = url_problem(src, image=True)
        if why:
            self.problem(line, why)
            return None
        if not alt and not decorative:
            self.problem(line, "image has no alt text",
                         "write ![what the image shows](URL); mark decoration with {.decorative}")
        known = {"src", "alt", "title", "credit", "class", "link"}
        for key in tok.attrs:
            if key not in known:
                self.problem(line, f"unknown image attribute '{key}'",
                             "images take {credit=\"...\"}, {link=\"https://...\"} and {.decorative}")
        link = str(tok.attrs.get("link", ""))
        if link and url_problem(link):
            self.problem(line, url_problem(link) or "")
            link = ""
        elif link and not has_tag(link):  # as Markdown writes a link's URL: spaces, accents, an IDN host
            link = markdown().normalizeLink(link)
        return m.Figure(
            src=src, alt=alt, line=line,
            caption=with_fallbacks(" ".join(str(tok.attrs.get("title", "") or "").split())),
            credit=with_fallbacks(" ".join(str(tok.attrs.get("credit", "")).split())),
            decorative=decorative, link=link,
        )

    # -- blocks ---------------------------------------------------------------

    def blocks(self, tokens: Sequence[Token], start: int, end: int) -> list[m.Block]:
        """Blocks from tokens[start:end] (a balanced run)."""
        out: list[m.Block] = []
        i = start
        while i < end:
            tok = tokens[i]
            t = tok.type
            if t == "paragraph_open":
                inline = tokens[i + 1]
                figures: list[m.Figure] = []
                inlines = self.inlines(inline, figures)
                if not figures:
                    if _has_text(inlines):
                        out.append(m.Paragraph(inlines, self.line_of(tok)))
                else:  # text and images in the order written: an image on the line before its text comes first
                    runs = _cut_at_figures(inlines)
                    for n, run in enumerate(runs):
                        if _has_text(run):
                            out.append(m.Paragraph(run, self.line_of(tok)))
                        if n < len(figures):
                            out.append(figures[n])
                i += 3
            elif t == "heading_open":
                inline = tokens[i + 1]
                if tok.tag == "h1" and self.block is not None:
                    name, line = self.block
                    self.problem(self.line_of(tok), f"the story headline '# {inline.content[:40]}' is inside the "
                                 f"'::: {name}' block that starts on line {line}",
                                 "end that block with a ':::' line before the story")
                out.append(m.Subhead(self.inlines(inline), self.line_of(tok)))
                i += 3
            elif t in ("bullet_list_open", "ordered_list_open"):
                close = _close(tokens, i)
                items: list[tuple[m.Block, ...]] = []
                j = i + 1
                while j < close:
                    if tokens[j].type == "list_item_open":
                        item_close = _close(tokens, j)
                        items.append(tuple(self.blocks(tokens, j + 1, item_close)))
                        j = item_close + 1
                    else:
                        j += 1
                start_no = int(tok.attrs.get("start", 1)) if t == "ordered_list_open" else 1  # '0.' starts at 0
                out.append(m.ListBlock(t == "ordered_list_open", tuple(items), self.line_of(tok), start_no))
                i = close + 1
            elif t == "blockquote_open":
                close = _close(tokens, i)
                out.append(m.Quote(tuple(self.blocks(tokens, i + 1, close)), self.line_of(tok)))
                i = close + 1
            elif t == "hr":
                out.append(m.Rule(self.line_of(tok)))
                i += 1
            elif t in ("fence", "code_block"):
                parts: list[m.Inline] = []
                for n, text_line in enumerate(tok.content.rstrip("\n").split("\n")):
                    if n:
                        parts.append(m.Break())
                    parts.append(m.Code(text_line))
                out.append(m.Paragraph(tuple(parts), self.line_of(tok)))
                i += 1
            elif t == "container_block_open":
                # Nested containers are flattened into their content.
                close = _close(tokens, i)
                if self.block is not None:
                    name, line = self.block
                    self.problem(self.line_of(tok), f"a '::: {tok.info.strip().split(' ')[0]}' block can't be inside "
                                 f"the '::: {name}' block that starts on line {line}",
                                 "end that block with a ':::' line first")
                elif tok.level == 0:  # the body's own blocks are read by story: this is the front matter's intro
                    self.problem(self.line_of(tok), "a '::: block' can't be in the front matter's 'intro:'",
                                 "write the intro in the body, above the first '# ' headline, where blocks may go")
                else:
                    self.problem(self.line_of(tok), "a '::: block' can't be nested inside a list or a quote",
                                 "start the block after it, at the start of a line")
                out.extend(self.blocks(tokens, i + 1, close))
                i = close + 1
            elif t.endswith("_open"):
                close = _close(tokens, i)
                out.extend(self.blocks(tokens, i + 1, close))
                i = close + 1
            else:
                i += 1
        return out


def _close(tokens: Sequence[Token], i: int) -> int:
    """Index of the token closing tokens[i] (nesting-aware)."""
    level = tokens[i].level
    close_type = tokens[i].type[: -len("_open")] + "_close"
    j = i + 1
    while j < len(tokens):
        if tokens[j].type == close_type and tokens[j].level == level:
            return j
        j += 1
    return len(tokens)


def _alt_text(tok: Token) -> str:
    """An image's alt text as read: ``![The *Osprey* at dawn](...)`` is "The Osprey at dawn"."""
    if tok.children is None:
        return tok.content.strip()
    parts = []
    for child in tok.children:
        if child.type in ("text", "code_inline", "merge_tag"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "placeholder":
            parts.append(child.meta.get("fallback", "") if child.meta else "")
        elif child.type == "image":  # an image in alt text (Markdown allows it): its own alt
            parts.append(_alt_text(child))
    return " ".join("".join(parts).split())


class _FigureMark(m.Text):
    """Where an image was taken out of a paragraph's inlines (``blocks`` cuts the paragraph there)."""


_FIGURE = _FigureMark("")


def _cut_at_figures(inlines: tuple[m.Inline, ...]) -> list[tuple[m.Inline, ...]]:
    """The runs of inlines between the images' places, each without the spaces or line breaks
    that joined it to an image."""
    runs: list[list[m.Inline]] = [[]]
    for node in inlines:
        if node is _FIGURE:
            runs.append([])
        else:
            runs[-1].append(node)
    out = []
    for run in runs:
        while run and (isinstance(run[0], m.Break) or (type(run[0]) is m.Text and not run[0].text.strip())):
            run.pop(0)
        while run and (isinstance(run[-1], m.Break) or (type(run[-1]) is m.Text and not run[-1].text.strip())):
            run.pop()
        if run and type(run[0]) is m.Text:
            run[0] = m.Text(run[0].text.lstrip())
        if run and type(run[-1]) is m.Text:
            run[-1] = m.Text(run[-1].text.rstrip())
        out.append(tuple(run))
    return out


def _merge_text(items: list[m.Inline]) -> list[m.Inline]:
    out: list[m.Inline] = []
    for item in items:
        if type(item) is m.Text and out and type(out[-1]) is m.Text:
            out[-1] = m.Text(out[-1].text + item.text)
        else:
            out.append(item)
    return out


def _has_text(inlines: Sequence[m.Inline]) -> bool:
    return any(not (isinstance(i, m.Text) and not i.text.strip()) for i in inlines)


def with_fallbacks(text: str) -> str:
    """A plain field (an image's alt text, caption or credit, a block's label, the preheader)
    with each ``%%name|fallback%%`` as its fallback: such fields are attributes or plain text,
    where no service fills a field in, as headlines are (``plain_text``)."""
    return _PLACEHOLDER.sub(lambda found: found.group(2) or "", text) if "%%" in text else text


def plain_text(inlines: Sequence[m.Inline]) -> str:
    """The inlines' text, without markup (for headlines, preheaders, word counts)."""
    parts: list[str] = []
    for node in inlines:
        if isinstance(node, (m.Text, m.Code)):
            parts.append(node.text)
        elif isinstance(node, m.Break):
            parts.append(" ")
        elif isinstance(node, m.MergeTag):
            parts.append(node.raw)
        elif isinstance(node, m.Placeholder):
            parts.append(node.fallback)
        elif isinstance(node, (m.Emphasis, m.Strong, m.Link)):
            parts.append(plain_text(node.children))
    return "".join(parts)
