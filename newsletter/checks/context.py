"""What every rule sees: the built issue, the parsed HTML, and where to point a finding."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

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
        same URL as a link below it)."""
        if not snippet:
            return 0
        lines = self.source_lines
        body = self._body_start
        order: list[int] = list(range(body, len(lines))) + list(range(body))
        for n in order:
            if snippet in lines[n]:
                return n + 1
        return 0

    @cached_property
    def _body_start(self) -> int:
        """The index of the body's first line (after the front matter's closing '---')."""
        from newsletter.content.source import front_matter_end

        lines = self.source_lines
        end = front_matter_end(lines) if lines and lines[0].strip() == "---" else 0
        return end + 1 if end else 0

    def settings_line(self, snippet: str) -> int:
        if not snippet or not self.settings.path:
            return 0
        for n, line in enumerate(file_lines(Path(self.settings.path)), start=1):
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
                html: str = "", line: int = 0) -> Finding:
        """A finding pointed at the first place that has the snippet: issue file (``content`` or an
        explicit ``line``), newsletter.yaml (``settings``), a template (``template``), else the HTML."""
        if line:
            return Finding(rule, severity, message, self.issue.path, line, hint)
        n = self.issue_line(content)
        if n:
            return Finding(rule, severity, message, self.issue.path, n, hint)
        n = self.settings_line(settings)
        if n:
            return Finding(rule, severity, message, self.settings.path, n, hint)
        file, n = self.template_line(template)
        if file:
            return Finding(rule, severity, message, file, n, hint)
        return Finding(rule, severity, message, self.html_file, self.html_line(el, html), hint)

    def issue_finding(self, rule: str, severity: str, message: str, hint: str = "", line: int = 0) -> Finding:
        return Finding(rule, severity, message, self.issue.path, line, hint)


def walk_inlines(issue: m.Issue) -> Iterator[tuple[m.Inline, int]]:
    """Every inline node of the issue with the line of the block it is in."""

    def inlines(nodes: tuple[m.Inline, ...], line: int) -> Iterator[tuple[m.Inline, int]]:
        for node in nodes:
            yield node, line
            if isinstance(node, (m.Emphasis, m.Strong, m.Link)):
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
    """False when the element or an ancestor is hidden with display:none (the preheader)."""
    node: Element | None = el
    while node is not None:
        style = (node.get("style") or "").replace(" ", "").lower()
        if "display:none" in style or node.get("hidden") is not None:
            return False
        node = node.getparent()
    return True
