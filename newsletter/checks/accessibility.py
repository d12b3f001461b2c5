"""Accessibility: lang, title, table roles, heading order, and colour contrast (WCAG 2.x, 4.5:1)
for the light and dark palettes and for the inline styles of the built HTML."""

from __future__ import annotations

import re
from typing import Any, Iterator

from lxml import etree

from newsletter.checks import Finding, colors
from newsletter.checks.context import CheckContext, text_of

MIN_CONTRAST = 4.5
_ELEMENTS = etree.Element  # iterchildren(tag=...) that skips comments and processing instructions
#: A declaration's value, up to the next ';' (the colour in it is read by colors.find).
_COLOR = re.compile(r"(?:^|;)\s*color\s*:\s*([^;]*)", re.IGNORECASE)
_BACKGROUND = re.compile(r"(?:^|;)\s*background(?:-color)?\s*:\s*([^;]*)", re.IGNORECASE)
_IMPORTANT = re.compile(r"\s*!\s*important\s*$", re.IGNORECASE)
#: (text colour key, background colour keys) checked in each palette.
PAIRS = [("text", ("paper", "background")), ("muted", ("paper", "background")),
         ("link", ("paper", "background")), ("accent", ("paper", "background"))]
#: A colour as the style wrote it (for the message) and as read.
Written = tuple[str, colors.RGBA]


def luminance(color: str) -> float:
    """WCAG 2.x relative luminance of an opaque CSS colour (the palette's hex colours)."""
    read = colors.parse(color)
    if read is None:
        raise ValueError(f"not a colour: {color!r}")
    return colors.luminance(colors.opaque(read))


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def check(ctx: CheckContext) -> Iterator[Finding]:
    """The title (the issue's subject) and the headings' order (quoting their words)."""
    title = ctx.doc.find(".//title")
    if title is None or not (title.text or "").strip():
        yield ctx.finding("accessibility", "error", "<title> is empty", "give the issue a subject",
                          line=ctx.issue.front_matter_lines.get("subject", 0), template="mj-title")
    yield from _headings(ctx)


def layout(ctx: CheckContext) -> Iterator[Finding]:
    """Language, table roles and colour contrast (a layout rule: newsletter/checks/layout.py)."""
    lang = (ctx.doc.get("lang") or "").strip()
    if not lang or lang.lower() == "und":
        yield ctx.finding("accessibility", "error", f"<html lang> is {lang or 'missing'!r}: screen readers "
                          "guess the language", "set 'language:' in newsletter.yaml", settings="language:",
                          template="<mjml", html="<html")
    yield from _tables(ctx)
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
    a style attribute says is worked out once per distinct attribute. A translucent colour is
    judged as painted over the background under it; over an unknown one it can't be judged."""
    palette = _palette_colours(ctx)
    seen: set[tuple[str, str]] = set()
    found: list[Finding] = []
    styles: dict[str, tuple[bool, Written | None, Written | None, bool]] = {}

    def read_style(style: str) -> tuple[bool, Written | None, Written | None, bool]:
        """(hidden, colour, background colour, sets a background) for one style attribute."""
        hidden = "none" in style and "display:none" in style.replace(" ", "")
        color = _declared(_COLOR, style) if "color" in style.lower() else None
        back = _declared(_BACKGROUND, style) if "background" in style.lower() else None
        return hidden, color, back, "background" in style.lower()

    # Down the tree in document order, each element with the colours it inherits. A stack, not
    # a nested function calling itself: that would be a reference cycle holding the context
    # (the parsed document) until the garbage collector's next pass.
    stack: list[tuple[Any, Written | None, tuple[str, colors.RGB] | None]] = [(ctx.body, None, None)]
    while stack:
        el, fg, bg = stack.pop()
        if el.get("aria-hidden") == "true":
            continue
        style = el.get("style")
        background = False
        if style:
            known = styles.get(style)
            if known is None:
                known = styles[style] = read_style(style)
            hidden, color, back, background = known
            if hidden:
                continue
            fg = color or fg
            if back is not None:
                bg = _layer(back, bg)
        bgcolor = el.get("bgcolor")
        if bgcolor and not background:
            read = colors.parse(bgcolor)
            if read is not None and read[3] == 1:
                bg = (bgcolor, colors.opaque(read))
        if fg and bg and (fg[0].lower(), bg[0].lower()) not in seen and (el.text or "").strip():
            seen.add((fg[0].lower(), bg[0].lower()))
            shown = colors.over(fg[1], bg[1])
            ratio = colors.contrast(shown, bg[1])
            if ratio < MIN_CONTRAST:
                found.append(_low_contrast(ctx, el, fg, bg, ratio, palette))
        stack.extend((child, fg, bg) for child in reversed(list(el.iterchildren(_ELEMENTS))))
    return iter(found)


def _declared(pattern: re.Pattern[str], style: str) -> Written | None:
    """The colour of the last declaration ``pattern`` finds in a style (the one that applies),
    as written and as read; None when there is none, or none this check can read."""
    value = None
    for hit in pattern.finditer(style):
        value = _IMPORTANT.sub("", hit.group(1)).strip()
    if not value:
        return None
    read = colors.find(value)
    return (value, read) if read is not None else None


def _layer(back: Written, under: tuple[str, colors.RGB] | None) -> tuple[str, colors.RGB] | None:
    """The background an element shows: its own when opaque, else its own painted over the one
    it inherits (unknown when there is none to paint over)."""
    if back[1][3] == 1:
        return back[0], colors.opaque(back[1])
    if under is None:
        return None
    return (under[0] if back[1][3] == 0 else back[0]), colors.over(back[1], under[1])


def _palette_colours(ctx: CheckContext) -> dict[colors.RGB, str]:
    """The palette's colours, read (so '#999' in the HTML is the palette's '#999999'), each with
    its key."""
    out: dict[colors.RGB, str] = {}
    for key, value in vars(ctx.settings.theme.colors).items():
        read = colors.parse(value) if isinstance(value, str) else None
        if read is not None:
            out.setdefault(colors.opaque(read), key)
    return out


def _low_contrast(ctx: CheckContext, el: Any, fg: Written, bg: tuple[str, colors.RGB], ratio: float,
                  palette: dict[colors.RGB, str]) -> Finding:
    """The finding for text below the contrast minimum: at newsletter.yaml when both colours are
    the palette's (the theme only uses them), else at the template that styles the element."""
    # The element, not its words: the theme sets every colour, and the words of the first
    # element with these colours say little (this is a layout rule: it never reads them).
    cls = (el.get("class") or "").split()
    message = (f"text in <{el.tag}{f' class={cls[0]!r}' if cls else ''}> is {fg[0]} on {bg[0]}: "
               f"contrast {ratio:.2f}:1, below {MIN_CONTRAST}:1")
    template = f".{cls[0]} " if cls else f"<{el.tag}"
    key = palette.get(colors.opaque(fg[1])) if fg[1][3] == 1 else None
    if key is not None and bg[1] in palette:
        value = getattr(ctx.settings.theme.colors, key)
        return ctx.finding("accessibility", "error", message, f"change 'theme.colors.{key}' (or the background) "
                           "in newsletter.yaml", settings=value, template=template, el=el)
    return ctx.finding("accessibility", "error", message, "change the colour in the template",
                       template=template, el=el)
