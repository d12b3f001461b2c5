"""Responsive integrity after inlining: MJML's column media rules keep !important, the classes
the media rules select are still in the body, and every <img> has a numeric width for Outlook."""

from __future__ import annotations

import re
from typing import Iterator

from lxml import etree

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext

_MEDIA = re.compile(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)\s*\}", re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_MJ_COLUMN = re.compile(r"\.(mj-column-(?:per|px)-[\w-]+)")
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
#: ``class="..."`` or ``css-class="..."`` starting at a word boundary. Written as a literal then a
#: look-behind (the same matches as ``\b(?:css-)?class=...``: a ``css-`` before ``class`` is itself a
#: boundary) so the regex engine can jump between occurrences of "class" (~15x faster on an issue's MJML).
_CLASS_ATTR = re.compile(r"""class(?<!\wclass)=["']([^"']*)["']""")


def media_rules(ctx: CheckContext) -> list[tuple[str, str]]:
    """(selector, declarations) of every rule inside an @media block of a <style>."""
    out: list[tuple[str, str]] = []
    for style in ctx.doc.iter("style"):
        for block in _MEDIA.finditer(style.text or ""):
            out.extend((s.strip(), d) for s, d in _RULE.findall(block.group(1)))
    return out


#: Every class attribute's value in a subtree, collected by lxml.
_CLASS_VALUES = etree.XPath("descendant-or-self::*/@class")


def layout(ctx: CheckContext) -> Iterator[Finding]:
    """The media rules and the classes they select (a layout rule: newsletter/checks/layout.py)."""
    rules = media_rules(ctx)
    used = {c for value in _CLASS_VALUES(ctx.body) for c in value.split()}
    for selector, decls in rules:
        if not _MJ_COLUMN.search(selector):
            continue
        for decl in decls.split(";"):
            if decl.split(":")[0].strip() == "width" and "!important" not in decl:
                yield ctx.finding("responsive", "error", f"media rule '{selector}' lost !important on width: "
                                  "columns will not stack on phones",
                                  "the inliner must keep !important (premailer strip_important=False)",
                                  html=selector)
                break
    needed = {c for selector, _ in rules for c in _MJ_COLUMN.findall(selector)}
    for cls in sorted(needed - used):
        yield ctx.finding("responsive", "error", f"media rules select '.{cls}' but no element has that class",
                          "the inliner must keep classes (premailer remove_classes=False)", html=cls)
    # Theme classes the media rules select that the MJML put on elements must survive inlining.
    theme = {c for selector, _ in rules for c in _CLASS.findall(selector) if not c.startswith("mj-")}
    written = {c for value in _CLASS_ATTR.findall(ctx.result.mjml) for c in value.split()}
    for cls in sorted((theme & written) - used):
        yield ctx.finding("responsive", "error", f"the media rules select '.{cls}', which the theme puts on an "
                          "element, but the built HTML has lost it", "the inliner must keep classes "
                          "(premailer remove_classes=False)", template=f"{cls}")


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Every image's width for Outlook: an image the content wrote is pointed at its issue line."""
    for img in ctx.body.iter("img"):
        width = (img.get("width") or "").strip()
        if not width.isdigit():
            src = img.get("src") or ""
            yield ctx.finding("responsive", "error",
                              f"<img src=\"{src[:60]}\"> has no numeric width attribute (has {width or 'none'!r})",
                              "Outlook on Windows sizes images from the width attribute, in pixels",
                              content=src, template="<img", el=img)
