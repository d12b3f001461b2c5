"""What every rule sees: the built issue, the parsed HTML, and where to point a finding."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator
from urllib.parse import unquote

from lxml import etree
from lxml.etree import _Element as Element  # an element of the parsed HTML

from newsletter.checks import Finding
from newsletter.content import model as m
from newsletter.render.theme import theme_files

if TYPE_CHECKING:
    from newsletter.build import BuildResult
    from newsletter.render.context import Links
    from newsletter.settings import Settings

#: An element's text with its descendants' (lxml.html's text_content()).
text_of = etree.XPath("string()", smart_strings=False)

#: Jinja expressions, statements and comments (what is not literal text in a template).
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


@lru_cache(maxsize=64)
def _read_lines(path: str, mtime: float) -> tuple[str, ...]:
    return tuple(Path(path).read_text(encoding="utf-8", errors="replace").split("\n"))


def file_lines(path: Path) -> tuple[str, ...]:
    try:
        return _read_lines(str(path), path.stat().st_mtime)
    except OSError:
        return ()


def template_file(search_dirs: list[Path], name: str) -> Path | None:
    for d in search_dirs:
        if (d / name).is_file():
            return d / name
    return None


class CheckContext:
    def __init__(self, result: BuildResult, settings: Settings, search_dirs: list[Path],
                 html_file: Path | None = None) -> None:
        self.result = result
        self.settings = settings
        self.search_dirs = search_dirs
        self.issue = result.issue
        self.html = result.html
        self.text = result.text
        self.html_file = str(html_file) if html_file else f"out/{result.issue.slug}/email.html"
        #: The issue file's lines, as the findings count them.
        self.source_lines = result.issue.source.split("\n")

    @cached_property
    def doc(self) -> Element:
        """The built HTML as plain lxml elements: lxml.html's element classes would be chosen
        by a Python lookup for every node object lxml makes (text_content() is ``text_of``)."""
        from newsletter.textbytes import utf8

        # From UTF-8 bytes (encoded once for the file anyway): twice as fast as from the str
        # (newsletter/render/inline.py says why).
        doc = etree.fromstring(utf8(self.html), etree.HTMLParser(encoding="utf-8"))
        if doc is None:
            raise ValueError("the HTML is empty")
        # lxml makes a Python object for a node each time one is reached, unless one is still
        # alive. Every rule walks the tree; holding every node's object for the context's life
        # makes each once.
        self._nodes = list(doc.iter())
        return doc

    @cached_property
    def links(self) -> Links:
        from newsletter.render.context import issue_links

        return issue_links(self.issue, self.settings)

    @cached_property
    def body(self) -> Element:
        found = self.doc.find("body")
        return found if found is not None else self.doc

    # ---- where a finding points ------------------------------------------------

    def issue_line(self, snippet: str) -> int:
        """The first line of the issue file containing ``snippet`` (0 when none does): in the
        body first, where content is, then in the front matter (a preheader may name the
        same URL as a link below it). HTML comments are skipped (no reader sees them), and a
        URL matches only whole: 'http://a/report' is not found in 'http://a/report-2024'."""
        if not snippet:
            return 0
        lines = self._search_lines
        body = self._body_start
        has = _finder(snippet)
        order: list[int] = list(range(body, len(lines))) + list(range(body))
        for n in order:
            if has(lines[n]):
                return n + 1
        return 0

    @cached_property
    def _search_lines(self) -> list[str]:
        """The issue file's lines with its HTML comments removed, each line keeping its number."""
        from newsletter.content.source import strip_comments

        lines = strip_comments(self.issue.source)[0].split("\n")
        return lines if len(lines) == len(self.source_lines) else self.source_lines

    @cached_property
    def _body_start(self) -> int:
        """The index of the body's first line (after the front matter's closing '---')."""
        from newsletter.content.source import front_matter_end

        lines = self.source_lines
        end = front_matter_end(lines) if lines and lines[0].strip() == "---" else 0
        return end + 1 if end else 0

    def written_url(self, url: str) -> str:
        """A URL of the built HTML as the issue or the settings have it: before UTM tagging
        (the build kept what each tagged URL was)."""
        source = self.result.web_source
        if source is not None:
            return source.untagged.get(url, url)
        return strip_utm(url)

    def shown_url(self, url: str, limit: int = 80) -> str:
        """A URL of the HTML for a message: as written in the issue (untagged; 'gdańsk' rather
        than 'gda%C5%84sk' when the issue spells it so), shortened with '...' when long."""
        written = self.written_url(url)
        spelled = unquote(written)
        if spelled != written and spelled in self.issue.source:
            written = spelled
        return written if len(written) <= limit else written[:limit - 3] + "..."

    def url_line(self, url: str) -> int:
        """The line of the first link or image of the content whose URL is ``url`` (as written)."""
        return self._content_urls.get(url, 0)

    @cached_property
    def _content_urls(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for url, _, line in [*_content_links(self.issue), *_content_images(self.issue)]:
            out.setdefault(url, line)
        return out

    def element_line(self, el: Element | None) -> int:
        """The issue line of a link or image the content wrote (0 for the theme's, or any other
        element): the model keeps each block's line, so two links alike point at their own."""
        if el is None or el.tag not in ("a", "img"):
            return 0
        return self._element_lines.get(el, 0)

    @cached_property
    def _element_lines(self) -> dict[Element, int]:
        """Each link and image of the HTML matched, in document order, with the content's
        next link of the same URL and words, or image of the same source. A link whose words
        the HTML has differently (a merge tag filled in) is matched by URL alone, after the
        others: a theme link to the same URL (the masthead's sign-up) must not take its line."""
        out: dict[Element, int] = {}
        links = _Queues(_content_links(self.issue))
        anchors = [(a, self.written_url((a.get("href") or "").strip())) for a in self.body.iter("a")]
        for by_words in (True, False):
            for a, url in anchors:
                if a not in out:
                    line = links.take(url, " ".join(text_of(a).split()) if by_words else None)
                    if line:
                        out[a] = self._refine(line, url)
        images = _Queues(_content_images(self.issue))
        for img in self.body.iter("img"):
            src = (img.get("src") or "").strip()
            line = images.take(src, "")
            if line:
                out[img] = self._refine(line, src)
        return out

    def _refine(self, line: int, url: str) -> int:
        """The line of the block starting at ``line`` that has ``url`` (a paragraph may run
        over several lines), else ``line``."""
        lines = self._search_lines
        shapes = {url, unquote(url)}
        for n in range(line - 1, len(lines)):
            if n > line - 1 and not lines[n].strip():
                break
            if any(shape in lines[n] for shape in shapes):
                return n + 1
        return line

    def settings_line(self, snippet: str) -> int:
        """The line of newsletter.yaml with ``snippet`` outside comments (a commented-out
        default is no setting): a line that starts with it first (a key's own line, 'esp:'),
        else the first that has it."""
        if not snippet or not self.settings.path:
            return 0
        lines = [yaml_uncommented(line) for line in file_lines(Path(self.settings.path))]
        for n, line in enumerate(lines, start=1):
            if line.lstrip(" -").startswith(snippet):
                return n
        for n, line in enumerate(lines, start=1):
            if snippet in line:
                return n
        return 0

    def template_line(self, snippet: str, pattern: str = "*.j2") -> tuple[str, int]:
        """The template file and line whose text, as written or with its Jinja removed,
        contains ``snippet``."""
        if not snippet:
            return "", 0
        return self.template_line_where(lambda raw: snippet in raw or snippet in JINJA.sub("", raw), pattern)

    def template_line_where(self, test: Callable[[str], object], pattern: str = "*.j2") -> tuple[str, int]:
        """The first template file and line (in search order) for which ``test(line)`` holds."""
        for path in theme_files(self.search_dirs, pattern):
            for n, raw in enumerate(file_lines(path), start=1):
                if test(raw):
                    return str(path), n
        return "", 0

    def html_line(self, el: Element | None = None, snippet: str = "") -> int:
        if el is not None and getattr(el, "sourceline", None):
            return int(el.sourceline)
        if snippet:
            at = self.html.find(snippet)
            if at >= 0:
                return self.html.count("\n", 0, at) + 1
        return 0

    def finding(self, rule: str, severity: str, message: str, hint: str = "", *, content: str = "",
                settings: str = "", template: str = "", el: Element | None = None,
                html: str = "", line: int = 0, templates: str = "*.j2") -> Finding:
        """A finding pointed at the first place that has the snippet: issue file (``content`` or an
        explicit ``line``), newsletter.yaml (``settings``), a template (``template``, searched in
        the files named like ``templates``), else the HTML."""
        if line:
            return Finding(rule, severity, message, self.issue.path, line, hint)
        # The model knows which line wrote a content link or image; text search is for the rest.
        n = (self.element_line(el) if content else 0) or self.issue_line(content)
        if n:
            return Finding(rule, severity, message, self.issue.path, n, hint)
        n = self.settings_line(settings)
        if n:
            return Finding(rule, severity, message, self.settings.path, n, hint)
        file, n = self.template_line(template, templates)
        if file:
            return Finding(rule, severity, message, file, n, hint)
        return Finding(rule, severity, message, self.html_file, self.html_line(el, html), hint)

    def issue_finding(self, rule: str, severity: str, message: str, hint: str = "", line: int = 0) -> Finding:
        return Finding(rule, severity, message, self.issue.path, line, hint)


def walk_inlines(issue: m.Issue, into_links: bool = True) -> Iterator[tuple[m.Inline, int]]:
    """Every inline node of the issue with the line of the block it is in (``into_links=False``:
    not the words of links)."""
    nesting = (m.Emphasis, m.Strong, m.Link) if into_links else (m.Emphasis, m.Strong)

    def inlines(nodes: tuple[m.Inline, ...], line: int) -> Iterator[tuple[m.Inline, int]]:
        for node in nodes:
            yield node, line
            if isinstance(node, nesting):
                yield from inlines(node.children, line)

    def blocks(bs: tuple[m.Block, ...]) -> Iterator[tuple[m.Inline, int]]:
        for b in bs:
            if isinstance(b, (m.Paragraph, m.Subhead)):
                yield from inlines(b.inlines, b.line)
            elif isinstance(b, m.Quote):
                yield from blocks(b.blocks)
            elif isinstance(b, m.ListBlock):
                for item in b.items:
                    yield from blocks(item)

    yield from blocks(issue.intro)
    for item in issue.items:
        for bs in ([s.blocks for s in item.sections] if isinstance(item, m.Story) else [item.blocks]):
            yield from blocks(bs)


def visible(el: Element) -> bool:
    """False when the element can't be seen: it or an ancestor has the hidden attribute, or a
    style that hides it (display:none, opacity:0, a zero height or width with overflow:hidden),
    or the nearest visibility is hidden, or (for text: not an image) the nearest font-size is 0.
    Those two are inherited and can be undone below: MJML sets font-size:0px on its column
    wrappers, and the text inside sets its own."""
    font_size_set = el.tag == "img"  # an image is seen whatever the font size
    visibility_set = False
    node: Element | None = el
    while node is not None:
        if node.get("hidden") is not None:
            return False
        style = node.get("style")
        if style:
            d = declarations(style)
            if d.get("display") == "none" or _zero(d.get("opacity", "")) or _clipped(d):
                return False
            if not visibility_set and "visibility" in d:
                if d["visibility"] in ("hidden", "collapse"):
                    return False
                visibility_set = True
            if not font_size_set and "font-size" in d:
                if _zero(d["font-size"]):
                    return False
                font_size_set = True
        node = node.getparent()
    return True


@lru_cache(maxsize=1024)
def declarations(style: str) -> dict[str, str]:
    """A style attribute's declarations, property -> value in lower case without '!important'
    (the last of a property wins, as in CSS). The same attributes recur: read each once."""
    out: dict[str, str] = {}
    for part in style.split(";"):
        name, colon, value = part.partition(":")
        if colon:
            out[name.strip().lower()] = _IMPORTANT.sub("", value).strip().lower()
    return out


_IMPORTANT = re.compile(r"\s*!\s*important\s*$", re.IGNORECASE)
#: A length or number that is zero: '0', '0px', '.0em', '0%'.
_ZERO = re.compile(r"[+-]?(?:0+\.?0*|\.0+)(?:[a-z]+|%)?")


def _zero(value: str) -> bool:
    return bool(value) and _ZERO.fullmatch(value) is not None


def _clipped(d: dict[str, str]) -> bool:
    """A box of no height or width that cuts off what overflows it (a hiding trick)."""
    if d.get("overflow", "").split(" ")[0] not in ("hidden", "clip"):
        return False
    return any(_zero(d.get(k, "")) for k in ("height", "max-height", "width", "max-width"))


class _Queues:
    """The content's links (or images) in document order, each handed out once."""

    def __init__(self, entries: list[tuple[str, str, int]]) -> None:
        self.lines = [line for _, _, line in entries]
        self.used: set[int] = set()
        self.by_key: dict[tuple[str, str], deque[int]] = defaultdict(deque)
        self.by_url: dict[str, deque[int]] = defaultdict(deque)
        for i, (url, text, _) in enumerate(entries):
            self.by_key[(url, text)].append(i)
            self.by_url[url].append(i)

    def take(self, url: str, text: str | None) -> int:
        """The line of the next one with this URL and these words (any words when None)."""
        return self._next(self.by_url.get(url) if text is None else self.by_key.get((url, text)))

    def _next(self, queue: deque[int] | None) -> int:
        while queue:
            i = queue.popleft()
            if i not in self.used:
                self.used.add(i)
                return self.lines[i]
        return 0


def _content_links(issue: m.Issue) -> list[tuple[str, str, int]]:
    """(URL, words, line) of every link the content wrote, a linked image's with no words."""
    from newsletter.content.markdown import plain_text

    found = [(node.url, " ".join(plain_text(node.children).split()), line)
             for node, line in walk_inlines(issue) if isinstance(node, m.Link)]
    found += [(b.link, "", b.line) for b in m.walk_blocks(issue) if isinstance(b, m.Figure) and b.link]
    return found


def _content_images(issue: m.Issue) -> list[tuple[str, str, int]]:
    return [(b.src, "", b.line) for b in m.walk_blocks(issue) if isinstance(b, m.Figure)]


#: A snippet that is a URL ('https://...', 'mailto:...'): found only whole.
_URLISH = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:\S+\Z")


def _finder(snippet: str) -> Callable[[str], bool]:
    """A test for a line holding ``snippet``; a URL must not go on past it ('.../report' is
    not in '.../report-2024'), but it may end a Markdown link, an autolink or a sentence."""
    if not _URLISH.match(snippet):
        return lambda line: snippet in line
    whole = re.compile(re.escape(snippet) + r"(?!(?![.,;:!?](?:\s|$))[^\s<>()\[\]\"'`{}|\\^])")
    return lambda line: snippet in line and whole.search(line) is not None


_UTM_PARAM = re.compile(r"^utm_[a-z]+=", re.IGNORECASE)


def strip_utm(url: str) -> str:
    """``url`` without its utm_* query parameters (wherever they are in the query)."""
    if "utm_" not in url:
        return url
    base, question, rest = url.partition("?")
    query, hash_, fragment = rest.partition("#")
    kept = [p for p in query.split("&") if p and not _UTM_PARAM.match(p)]
    return base + (question + "&".join(kept) if kept else "") + hash_ + fragment


def yaml_uncommented(line: str) -> str:
    """A YAML line without its comment: a '#' at the start or after a space, outside quotes
    (the '#' of a quoted colour, "#F7F3DC", is the value's)."""
    quote, escaped = "", False
    for i, ch in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'" and (i == 0 or line[i - 1] in " \t:[{,-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line
