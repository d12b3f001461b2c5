"""The plain-text part: present, clean, wrapped, and carrying every link, the unsubscribe URL
and the postal address (spam filters compare it with the HTML)."""

from __future__ import annotations

import bisect

import re
from functools import cached_property
from typing import Iterator

from newsletter.checks import Finding
from newsletter.checks.context import JINJA, CheckContext, file_lines
from newsletter.render.theme import theme_files
from newsletter.content.urls import page_url

SHOULD, MUST = 78, 998  # RFC 5322 line lengths
_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
#: (pattern, what it finds, strings of which every match contains at least one: when the text has
#: none of them the pattern can't match, and the scan of the whole text is skipped).
_MARKDOWN = [(re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"), "**bold** markers", ("**", "__")),
             # '[' is not allowed inside the brackets: '[' thousands of times before one ']' would
             # otherwise be scanned again from each of them.
             (re.compile(r"!?\[[^\[\]\n]*\]\([^)\n]*\)"), "a [text](url) link", ("](",)),
             (re.compile(r"^\s{0,3}#{1,6}\s", re.M), "a '#' heading", ("#",)),
             (re.compile(r"`[^`\n]+`"), "`code` backticks", ("`",)),
             (re.compile(r"^\s*:::", re.M), "a '::: block' fence", (":::",))]
_URLS = re.compile(r"<[a-z][a-z0-9+.-]*:[^>\s]*>", re.I)  # links written `text <URL>`
#: A headline's number, or a list's bullet, in front of a line of the text part.
_NUMBERED = re.compile(r"^(?:\d+\.|[-*])\s+")
_LONE_URL = re.compile(r"^\s*(?:[>\-*]\s*|\d+\.\s*)*<?[a-z][a-z0-9+.-]*:\S+>?\s*$", re.I)


def check(ctx: CheckContext) -> Iterator[Finding]:
    text = ctx.text
    file = ctx.html_file.replace("email.html", "email.txt")
    if not text.strip():
        yield Finding("plaintext", "error", "the plain-text part is empty", file, 0, "check email.txt.j2")
        return
    # What a reader sees: the service's tags filled in (a sample name, address and link), so
    # that our own tag forms (Mailchimp's "*|IF:FNAME|**|FNAME|*", Buttondown's long
    # "{% if ... %}") are neither Markdown residue nor over-long lines.
    raw, text = text, as_read(text, page_url(ctx.settings.web_url, ctx.issue.slug))
    lines = text.split("\n")
    outside_links = _URLS.sub("", text) if "<" in text else text
    literal = _Literal(ctx)  # text the editor wrote as text ('Press <Enter>', a code line '# install')
    if "<" in outside_links or "&" in outside_links:
        bad = next((hit for hit in _HTML.finditer(outside_links) if not literal.has(hit.group(0))), None)
        if bad:
            n = _line_of(text, bad.group(0))
            yield _at(ctx, file, n, lines[n - 1], f"HTML in the plain-text part: {bad.group(0)!r}",
                      "the text part is rendered from the content, not the HTML")
    residue = _markdown_residue(text, lines, literal)
    if residue is not None:  # one finding for Markdown residue is enough
        n, what = residue
        yield _at(ctx, file, n, lines[n - 1], f"Markdown residue in the plain-text part: {what}",
                  "render it as plain words")
    for n in too_long(lines):
        line = lines[n - 1]
        if len(line) > MUST:
            yield Finding("plaintext", "error", f"line is {len(line)} characters: mail servers break lines over "
                          f"{MUST}", file, n, "wrap it")
        else:
            yield _long_line(ctx, file, n, line)
    hrefs = []
    for a in ctx.body.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith("#") and href not in hrefs:
            hrefs.append(href)
    for href in hrefs:
        # A mailto: link may be written as its address alone ("desk@example.com").
        if href not in raw and not (href.startswith("mailto:") and href[7:].split("?")[0] in raw):
            written = ctx.written_url(href)
            yield ctx.finding("plaintext", "warning", f"the plain-text part lacks the link {ctx.shown_url(href)}",
                              "both parts should carry the same links (spam filters compare them)",
                              content=written, settings=written, template=href, html=href)
    unsub = ctx.links.unsubscribe
    if unsub and unsub not in raw:
        yield Finding("plaintext", "error", f"the plain-text part has no unsubscribe link ({unsub})", file, 0,
                      "email.txt.j2 should print links.unsubscribe")
    address = " ".join(ctx.settings.postal_address.split())
    if address and address not in " ".join(raw.split()):
        yield Finding("plaintext", "error", "the plain-text part has no postal address", file, 0,
                      "email.txt.j2 should print settings.postal_address")


def as_read(text: str, page: str) -> str:
    """``text`` as a reader gets it: each service tag filled in as a test send fills it (a link
    tag with ``page``, the issue's web page). Tags never span lines, so its lines are the text's."""
    from newsletter.deliver.esp import replace_tags, sample_value

    link = page or "https://example.com/"
    return replace_tags(text, lambda name, fallback, _raw: sample_value(name, fallback, email="reader@example.com",
                                                                          link=link))


def too_long(lines: list[str]) -> list[int]:
    """The 1-based numbers of the lines (of the text as read) over SHOULD characters, but for a
    lone URL, which can't be wrapped. The preview's text view marks the same lines."""
    return [n for n, line in enumerate(lines, start=1)
            if len(line) > SHOULD and (len(line) > MUST or not _LONE_URL.match(line))]


def _line_of(text: str, snippet: str) -> int:
    """The 1-based line of the first ``snippet`` outside ``<URL>`` links."""
    for n, line in enumerate(text.split("\n"), start=1):
        if snippet in _URLS.sub("", line):
            return n
    return 1


_LINE_BREAK = re.compile("\n")
_LINE_END = re.compile("[^\n]+")


def _upto_last_paren(line: re.Match[str]) -> str:
    return line.group(0)[:line.group(0).rfind(")") + 1]


def _markdown_residue(text: str, lines: list[str], literal: _Literal) -> tuple[int, str] | None:
    """The line and kind of the first Markdown mark left in the text part, not counting the
    marks the editor wrote as text."""
    # Where each line ends, per string searched: a line number per hit without rescanning.
    breaks: dict[bool, list[int]] = {}
    for pattern, what, needs in _MARKDOWN:
        if not any(s in text for s in needs):
            continue
        # A '[text](' can only end at a ')' later on its line: each line is cut after its last
        # one, or the search would scan to the line's end from every '[' ('[a](' thousands of
        # times over, one unbreakable line of the text part, took minutes).
        searched = _LINE_END.sub(_upto_last_paren, text) if what == "a [text](url) link" else text
        for hit in pattern.finditer(searched):
            mark = hit.group(0)
            ends = breaks.get(searched is text)
            if ends is None:
                ends = breaks[searched is text] = [found.start() for found in _LINE_BREAK.finditer(searched)]
            n = bisect.bisect_left(ends, hit.start() + len(mark) - len(mark.lstrip())) + 1  # '^\s' may start a line early
            # A heading's '# ' is in many a text: the whole line must be the editor's (a headline's
            # line has its number in front). Other marks are the editor's when they are in the text.
            if not literal.has(mark.strip()):
                return n, what
            line = _NUMBERED.sub("", lines[n - 1].strip())
            # A '#' the wrapping moved to a line start ('... channel' / '# 16 is ...') goes on
            # the editor's sentence from the line before: no heading.
            if what == "a '#' heading" and not (literal.has(line) or (n > 1 and literal.runs_on(lines[n - 2], line))):
                return n, what
    return None


class _Literal:
    """The issue's text as the editor wrote it to be read (text and code, headlines, titles,
    captions): a '<' or a '# ' found there is the editor's, not left over from rendering."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx

    @cached_property
    def text(self) -> str:
        from newsletter.checks.context import walk_inlines
        from newsletter.content import model as m

        issue = self.ctx.issue
        parts = [node.text for node, _ in walk_inlines(issue) if isinstance(node, (m.Text, m.Code))]
        for story in issue.stories:
            parts += [story.headline, *(s.title for s in story.sections)]
        parts += [b.caption for b in m.walk_blocks(issue) if isinstance(b, m.Figure)]
        return "\n".join(parts)

    def has(self, snippet: str) -> bool:
        # Remembered: an issue that repeats one mark thousands of times ('[a](' over and over)
        # would search the whole text for it each time.
        known = self._has.get(snippet)
        if known is None:
            known = self._has[snippet] = bool(snippet) and snippet in self.text
        return known

    @cached_property
    def _has(self) -> dict[str, bool]:
        return {}

    @cached_property
    def flow(self) -> str:
        """Each paragraph's and subhead's words as one line, without markup (as the text part
        has them, before it wraps them)."""
        from newsletter.content import model as m
        from newsletter.content.markdown import plain_text

        return "\n".join(" ".join(plain_text(b.inlines).split()) for b in m.walk_blocks(self.ctx.issue)
                         if isinstance(b, (m.Paragraph, m.Subhead)))

    def runs_on(self, before: str, line: str) -> bool:
        """True when ``line`` continues a sentence of the editor's from the end of ``before``
        (the text part wrapped it there)."""
        tail = before.split()[-3:]
        return bool(tail) and " ".join([*tail, *line.split()]) in self.flow


def _at(ctx: CheckContext, file: str, n: int, line: str, message: str, hint: str) -> Finding:
    """Point at the issue line when the offending text comes from content, else at email.txt."""
    words = line.strip()[:30]
    found = ctx.issue_line(words) if len(words) >= 8 else 0
    return Finding("plaintext", "warning", message, ctx.issue.path if found else file, found or n, hint)


def _long_line(ctx: CheckContext, file: str, n: int, line: str) -> Finding:
    """An over-long line, pointed at the issue text, the setting, or the text template it came from."""
    message = f"line {n} of the text part is {len(line)} characters (over {SHOULD}): {line.strip()[:40]}..."
    hint = "wrap at 72-76 columns; only a lone URL may be longer"
    words = line.strip()
    found = ctx.issue_line(words[:30]) if len(words) >= 30 else 0
    if found:
        return Finding("plaintext", "warning", message, ctx.issue.path, found, hint)
    for path in theme_files(ctx.search_dirs, "*.txt.j2"):
        for k, raw in enumerate(file_lines(path), start=1):
            literal = JINJA.split(raw.strip())[0]
            if len(literal) >= 4 and words.startswith(literal):
                return Finding("plaintext", "warning", message, str(path), k, hint)
    setting = ctx.settings_line(words[-25:])
    if setting:
        return Finding("plaintext", "warning", message, ctx.settings.path, setting, hint)
    return Finding("plaintext", "warning", message, file, n, hint)
