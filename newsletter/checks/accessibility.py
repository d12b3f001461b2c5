"""Accessibility: lang, title, table roles, heading order, and colour contrast (WCAG 2.x, 4.5:1)
for the light and dark palettes and for the inline styles of the built HTML."""

from __future__ import annotations

import re
from typing import Any, Iterator

from lxml import etree

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext, text_of

MIN_CONTRAST = 4.5
_ELEMENTS = etree.Element  # iterchildren(tag=...) that skips comments and processing instructions
_HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")
_COLOR = re.compile(r"(?:^|;)\s*color\s*:\s*(#[0-9a-fA-F]{3,6})\b")
_BACKGROUND = re.compile(r"(?:^|;)\s*background(?:-color)?\s*:\s*(#[0-9a-fA-F]{3,6})\b")
#: (text colour key, background colour keys) checked in each palette.
PAIRS = [("text", ("paper", "background")), ("muted", ("paper", "background")),
         ("link", ("paper", "background")), ("accent", ("paper", "background"))]


def luminance(hex_color: str) -> float:
    h = hex_color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def check(ctx: CheckContext) -> Iterator[Finding]:
    html = ctx.doc
    lang = (html.get("lang") or "").strip()
    if not lang or lang.lower() == "und":
        yield ctx.finding("accessibility", "error", f"<html lang> is {lang or 'missing'!r}: screen readers "
                          "guess the language", "set 'language:' in newsletter.yaml", settings="language:",
                          template="<mjml", html="<html")
    title = html.find(".//title")
    if title is None or not (title.text or "").strip():
        yield ctx.finding("accessibility", "error", "<title> is empty", "give the issue a subject",
                          line=ctx.issue.front_matter_lines.get("subject", 0), template="mj-title")
    yield from _tables(ctx)
    yield from _headings(ctx)
    yield from _palette(ctx)
    yield from _inline_contrast(ctx)


def _tables(ctx: CheckContext) -> Iterator[Finding]:
    # A table is a data table when a <th> or <caption> belongs to it (not to a table inside it).
    data_tables = {next(cell.iterancestors("table"), None) for cell in ctx.body.iter("th", "caption")}
    for table in ctx.body.iter("table"):
        data = table in data_tables
        role = (table.get("role") or "").lower()
        if data and role in ("presentation", "none"):
            yield ctx.finding("accessibility", "warning", "a data table (with <th> or <caption>) has "
                              f"role=\"{role}\": its headers are hidden from screen readers",
                              "remove the role from data tables", template='role="presentation"', el=table)
        elif not data and role not in ("presentation", "none"):
            yield ctx.finding("accessibility", "warning", "a layout table has no role=\"presentation\": screen "
                              "readers announce rows and columns", "add role=\"presentation\"",
                              template="<table", el=table)


def _headings(ctx: CheckContext) -> Iterator[Finding]:
    previous = 0
    h1s = 0
    for el in ctx.body.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        level = int(el.tag[1])
        text = " ".join(text_of(el).split())
        h1s += level == 1
        if previous and level > previous + 1:
            yield ctx.finding("accessibility", "warning", f"heading '<h{level}> {text[:40]}' skips a level "
                              f"after <h{previous}>", "headings go down one level at a time",
                              content=text, template=f"<h{level}", el=el)
        previous = level
    if h1s != 1:
        yield ctx.finding("accessibility", "warning", f"the email has {h1s} <h1> headings; one is expected",
                          "the masthead is the <h1>", template="<h1")


def _palette(ctx: CheckContext) -> Iterator[Finding]:
    colors = ctx.settings.theme.colors
    for mode, prefix in (("light", ""), ("dark", "dark_")):
        for fg_key, bg_keys in PAIRS:
            for bg_key in bg_keys:
                fg, bg = getattr(colors, prefix + fg_key), getattr(colors, prefix + bg_key)
                ratio = contrast(fg, bg)
                if ratio < MIN_CONTRAST:
                    key = f"theme.colors.{prefix}{fg_key}"
                    yield ctx.finding("accessibility", "error",
                                      f"{mode} palette: {prefix}{fg_key} {fg} on {prefix}{bg_key} {bg} has contrast "
                                      f"{ratio:.2f}:1, below {MIN_CONTRAST}:1", f"darken or lighten '{key}'",
                                      settings=fg, html=fg)


def _inline_contrast(ctx: CheckContext) -> Iterator[Finding]:
    """Text colour against the nearest inline background, for visible elements that hold text.
    One walk down the tree carries the inherited colours (cheap enough for every build); what
    a style attribute says is worked out once per distinct attribute."""
    palette = {c.lower() for c in vars(ctx.settings.theme.colors).values() if isinstance(c, str)}
    seen: set[tuple[str, str]] = set()
    found: list[Finding] = []
    styles: dict[str, tuple[bool, str | None, str | None, bool]] = {}

    def read_style(style: str) -> tuple[bool, str | None, str | None, bool]:
        """(hidden, colour, background colour, sets a background) for one style attribute."""
        hidden = "none" in style and "display:none" in style.replace(" ", "")
        mt = _COLOR.search(style) if "color" in style else None
        mb = _BACKGROUND.search(style) if "background" in style else None
        return hidden, mt.group(1) if mt else None, mb.group(1) if mb else None, "background" in style

    def walk(el: Any, fg: str | None, bg: str | None) -> None:
        if el.get("aria-hidden") == "true":
            return
        style = el.get("style")
        background = False
        if style:
            known = styles.get(style)
            if known is None:
                known = styles[style] = read_style(style)
            hidden, color, back, background = known
            if hidden:
                return
            fg = color or fg
            bg = back or bg
        bgcolor = el.get("bgcolor")
        if bgcolor and not background and _HEX.fullmatch(bgcolor):
            bg = bgcolor
        if fg and bg and (fg.lower(), bg.lower()) not in seen and (el.text or "").strip():
            seen.add((fg.lower(), bg.lower()))
            ratio = contrast(fg, bg)
            if ratio < MIN_CONTRAST:
                cls = (el.get("class") or "").split()
                from_palette = fg.lower() in palette and bg.lower() in palette
                found.append(ctx.finding(
                    "accessibility", "error", f"text '{el.text.strip()[:30]}' is {fg} on {bg}: "
                    f"contrast {ratio:.2f}:1, below {MIN_CONTRAST}:1",
                    "change the theme colours" if from_palette else "change the colour in the template",
                    template=f".{cls[0]} " if cls else f"<{el.tag}", el=el))
        for child in el.iterchildren(_ELEMENTS):
            walk(child, fg, bg)

    walk(ctx.body, None, None)
    return iter(found)
