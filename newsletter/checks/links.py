"""Links and images: absolute https targets, no script or data URLs, alt text, descriptive and
consistent link text."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterator
from urllib.parse import urlsplit

from lxml.etree import _Element as Element

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext, text_of, visible, walk_inlines
from newsletter.content import model as m
from newsletter.deliver.esp import is_tag

GENERIC_TEXT = {"click here", "click", "here", "read more", "more", "learn more", "link", "this", "this link",
                "go", "continue", "details", "more info"}
_SOURCE_HTTP = re.compile(r"(!?)\[[^\]]*\]\(\s*<?(http://[^)\s>]+)|<(http://[^>\s]+)>", re.IGNORECASE)
#: A line opening or closing a fenced code block.
_SOURCE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


#: A Markdown link or autolink in a line: '[text](url)' (not an image's '![alt](src)') or
#: '<https://...>'. Reference links ('[1][2]' is as often a footnote) are left alone.
_MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\[\]]+\]\(|<[a-zA-Z][a-zA-Z0-9+.-]*:[^<>\s]+>")
#: A code span, where brackets are code: '`arr[0](x)`'.
_CODE_SPAN = re.compile(r"(`+)[^`].*?\1")


def check(ctx: CheckContext) -> Iterator[Finding]:
    yield from _links_in_headings(ctx)
    texts: dict[str, set[str]] = defaultdict(set)
    written: dict[str, str] = {}
    for a in ctx.body.iter("a"):
        href = (a.get("href") or "").strip()
        yield from _link_target(ctx, a, href)
        text = " ".join(text_of(a).split())
        alts = [img.get("alt", "").strip() for img in a.iter("img")]
        if not text and not any(alts):
            yield ctx.finding("links", "warning", f"link to {ctx.shown_url(href, 60)} has no text a screen reader "
                              "can read", "give the link words, or its image an alt text",
                              content=ctx.written_url(href), el=a)
        elif text.lower().strip(".!:→» ") in GENERIC_TEXT and visible(a):
            yield ctx.finding("links", "warning", f"link text '{text}' does not say where it goes",
                              "describe the destination: [the full report](...)", content=f"[{text}]", el=a)
        if text and href and not href.startswith("#"):
            texts[text.lower()].add(href)
            written.setdefault(text.lower(), text)  # as the issue has it, to find its line
    for key, hrefs in texts.items():
        if len(hrefs) > 1:
            text = written[key]
            yield ctx.finding("links", "warning", f"the link text '{text}' leads to {len(hrefs)} different URLs",
                              "use different words for different destinations", content=f"[{text}", html=text)
    decorative = {f.src for f in _figures(ctx.issue) if f.decorative}
    for img in ctx.body.iter("img"):
        yield from _image(ctx, img, decorative)
    yield from _bare_http(ctx)


#: An http address written as text (not as a link): Gmail, Apple Mail and Outlook make it one.
_BARE_HTTP = re.compile(r"(?<![\w/.+-])http://[^\s<>\"'()\[\]]+", re.IGNORECASE)


def _bare_http(ctx: CheckContext) -> Iterator[Finding]:
    """http:// addresses in the running text, outside links and code: a reader's client links
    them, insecurely (the link rule above sees only links)."""
    seen: set[str] = set()
    lines = ctx.source_lines
    for node, first in walk_inlines(ctx.issue, into_links=False):
        if not isinstance(node, m.Text) or "://" not in node.text:
            continue
        for mt in _BARE_HTTP.finditer(node.text):
            url = mt.group(0).rstrip(".,;:!?")
            if url in seen:
                continue
            seen.add(url)
            # The paragraph's line, or the line of it that has the address.
            line = next((n for n in range(first, len(lines) + 1) if url in lines[n - 1]), first)
            yield ctx.issue_finding("links", "warning", f"an http:// address in the text, which email clients "
                                    f"make a link: {url[:80]}", "link it with https: [what it is](https://...)",
                                    line=line)


def _link_target(ctx: CheckContext, a: Element, href: str) -> Iterator[Finding]:
    if not href:
        yield ctx.finding("links", "error", "a link has no href", "", el=a)
        return
    if href.startswith("#") or _plain_https(href) or is_tag(href):
        return
    scheme = _scheme(href)
    if scheme in ("https", "mailto", "tel"):
        return
    # Quoted and found as written: before UTM tagging, not percent-encoded.
    written = ctx.written_url(href)
    where: dict[str, Any] = dict(content=written, settings=written, template=href, el=a)
    if scheme is None:
        yield ctx.finding("links", "error", f"link is not a valid URL: {ctx.shown_url(href)}",
                          "check the address for a stray '[' or ']'", **where)
        return
    if scheme == "http":
        yield ctx.finding("links", "warning", f"link uses http, not https: {ctx.shown_url(href)}",
                          "use https:// (clients warn about insecure links)", **where)
    elif scheme in ("javascript", "data", "vbscript", "file"):
        yield ctx.finding("links", "error", f"'{scheme}:' link: {ctx.shown_url(href, 60)}", "email clients block "
                          "these; link to an https page", **where)
    else:
        yield ctx.finding("links", "error", f"link is not an absolute https URL: {ctx.shown_url(href)}",
                          "write the full https://... address", **where)


def _image(ctx: CheckContext, img: Element, decorative: set[str]) -> Iterator[Finding]:
    src = (img.get("src") or "").strip()
    where: dict[str, Any] = dict(content=src or "![", template="<img", el=img)
    scheme = _scheme(src)
    if scheme == "http":
        yield ctx.finding("links", "error", f"image over http: {src[:80]}",
                          "use https:// (clients block or warn about insecure images)", **where)
    elif scheme != "https":
        yield ctx.finding("links", "error", f"image source is not an absolute https URL: {src[:60]}",
                          "host the image and use its https:// address", **where)
    alt = img.get("alt")
    if alt is None:
        yield ctx.finding("links", "error", f"image has no alt attribute: {src[:60]}",
                          "write ![what the image shows](...)", **where)
    elif not alt.strip() and src not in decorative and visible(img):
        yield ctx.finding("links", "warning", f"image has an empty alt but is not marked decorative: {src[:60]}",
                          "describe it, or mark it {.decorative}", **where)


def _plain_https(url: str) -> bool:
    """An ASCII https:// URL without brackets, which urlsplit parses (it can raise only on a bad
    host in brackets, or a non-ASCII one) with the scheme https: most links skip its parsing."""
    return url.startswith("https://") and url.isascii() and "[" not in url and "]" not in url


def _scheme(url: str) -> str | None:
    """The URL's scheme in lower case, or None when it can't be parsed (an unclosed '[' host)."""
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return None


def _figures(issue: m.Issue) -> Iterator[m.Figure]:
    def walk(blocks: tuple[m.Block, ...]) -> Iterator[m.Figure]:
        for b in blocks:
            if isinstance(b, m.Figure):
                yield b
            elif isinstance(b, m.Quote):
                yield from walk(b.blocks)
            elif isinstance(b, m.ListBlock):
                for item in b.items:
                    yield from walk(item)

    yield from walk(issue.intro)
    for item in issue.items:
        for blocks in ([s.blocks for s in item.sections] if isinstance(item, m.Story) else [item.blocks]):
            yield from walk(blocks)


def source_findings(path: str, source: str) -> list[Finding]:
    """http links and images found in an issue file's text: used when the build stopped before
    any HTML existed, so that one report has every problem of the file."""
    out = []
    for n, line in _prose_lines(source):
        for mt in _SOURCE_HTTP.finditer(line):
            url = mt.group(2) or mt.group(3)
            if mt.group(1):
                out.append(Finding("links", "error", f"image over http: {url[:80]}", path, n,
                                   "use https:// (clients block or warn about insecure images)", path))
            else:
                out.append(Finding("links", "warning", f"link uses http, not https: {url[:80]}", path, n,
                                   "use https:// (clients warn about insecure links)", path))
    return out


def _prose_lines(source: str) -> Iterator[tuple[int, str]]:
    """(number, line) of the file's lines as a reader gets them: HTML comments removed (line
    numbers kept), code spans blanked and fenced code blocks skipped (a URL there is code)."""
    from newsletter.content.source import strip_comments

    fence = ""
    for n, line in enumerate(strip_comments(source)[0].split("\n"), start=1):
        mark = _SOURCE_FENCE.match(line)
        if fence:
            if mark and mark.group(1)[0] == fence[0] and len(mark.group(1)) >= len(fence):
                fence = ""
            continue
        if mark:
            fence = mark.group(1)
            continue
        yield n, _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if "`" in line else line


def _links_in_headings(ctx: CheckContext) -> Iterator[Finding]:
    """A story's headline and a section's title are plain text: a link written in one is
    dropped, its words kept, without a word."""
    lines = ctx.source_lines
    for story in ctx.issue.stories:
        for line, what in ((story.line, "headline"), *((s.line, "section title") for s in story.sections if s.title)):
            if 0 < line <= len(lines) and lines[line - 1].lstrip().startswith("#") and \
                    _MARKDOWN_LINK.search(_CODE_SPAN.sub("", lines[line - 1])):
                yield ctx.issue_finding("links", "warning", f"the link in this {what} is dropped: {what}s are "
                                        "plain text", "link from the text under it", line=line)
