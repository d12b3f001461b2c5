"""Structure: doctype, balanced MSO conditionals, no MJML or template leftovers, meta tags, 600 px."""

from __future__ import annotations

import re
from typing import Iterator

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext
from newsletter.deliver.esp import replace_tags

MAX_WIDTH = 600
_CONDITIONAL = re.compile(r"<!--\[if [^\]]*\]>|<!\[endif\]-->|<!--\[if [^\]]*\]><!-->|<!--<!\[endif\]-->")
_MJ_TAG = re.compile(r"</?mj-[a-z-]+")
_TEMPLATE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_STYLE = re.compile(r"<style\b.*?</style>", re.S | re.I)
_WIDTH_STYLE = re.compile(r"(?:^|;)\s*(min-width|width)\s*:\s*(\d+(?:\.\d+)?)px", re.I)


def check(ctx: CheckContext) -> Iterator[Finding]:
    if not ctx.html.lstrip()[:9].lower() == "<!doctype":
        yield ctx.finding("structure", "error", "no <!DOCTYPE html> at the start of the HTML",
                          "some clients fall back to quirks mode without it", html="<html")
    yield from _conditionals(ctx)
    for m in _MJ_TAG.finditer(ctx.html):
        yield ctx.finding("structure", "error", f"leftover MJML tag '{m.group(0)}>' in the HTML",
                          "MRML leaves tags it does not know: check the spelling", template=m.group(0),
                          html=m.group(0))
        break
    yield from _template_syntax(ctx)
    metas = ctx.doc.findall(".//meta")
    if not any(m.get("charset") or "charset" in (m.get("content") or "").lower() for m in metas):
        yield ctx.finding("structure", "error", "no charset <meta> in <head>", "declare UTF-8", html="<head")
    if not any((m.get("name") or "").lower() == "viewport" for m in metas):
        yield ctx.finding("structure", "warning", "no viewport <meta>: phones will zoom out",
                          '<meta name="viewport" content="width=device-width, initial-scale=1">', html="<head")
    yield from _too_wide(ctx)


def _conditionals(ctx: CheckContext) -> Iterator[Finding]:
    depth = 0
    for m in _CONDITIONAL.finditer(ctx.html):
        depth += -1 if "endif" in m.group(0) else 1
        if depth < 0:
            break
    if depth:
        word = "closing" if depth < 0 else "opening"
        yield ctx.finding("structure", "error", f"MSO conditional comments are unbalanced: an extra {word} comment",
                          "every <!--[if mso]> needs its <![endif]-->", template="[if mso" if depth > 0 else "endif")


def _template_syntax(ctx: CheckContext) -> Iterator[Finding]:
    for name, text in (("HTML", _STYLE.sub("", ctx.html)), ("text part", ctx.text)):
        if not _TEMPLATE.search(text):
            continue
        # Merge tags and placeholders of every email service are meant to be there.
        cleaned = replace_tags(text, lambda *_: "")
        m = _TEMPLATE.search(cleaned)
        if m:
            around = cleaned[max(0, m.start() - 20): m.end() + 20].replace("\n", " ")
            yield ctx.finding("structure", "error", f"unrendered template syntax in the {name}: ...{around}...",
                              "a Jinja expression reached the output, or a merge tag has a typo",
                              content=around.strip()[:30], template=m.group(0), html=m.group(0))


def _too_wide(ctx: CheckContext) -> Iterator[Finding]:
    for el in ctx.body.iter():
        if not isinstance(el.tag, str):
            continue
        widths = []
        attr = (el.get("width") or "").strip().lower().removesuffix("px")
        if attr.isdigit():
            widths.append(("width", int(attr)))
        widths += [(p.lower(), float(v)) for p, v in _WIDTH_STYLE.findall(el.get("style") or "")]
        for prop, value in widths:
            if value > MAX_WIDTH:
                snippet = f'{prop}="{attr}"' if prop == "width" and attr else f"{value:g}px"
                yield ctx.finding("structure", "warning", f"<{el.tag}> is {value:g} px wide ({prop}), over {MAX_WIDTH} px",
                                  "emails are laid out at 600 px at most", template=snippet, el=el)
                return
