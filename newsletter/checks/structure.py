"""Structure: doctype, balanced MSO conditionals, no MJML or template leftovers, meta tags, 600 px.

``layout`` judges the markup alone; ``check`` the template syntax, which the words may bring."""

from __future__ import annotations

import html as html_lib
import re
from typing import Iterator

from lxml import etree

from newsletter.checks import Finding
from newsletter.checks.context import JINJA, CheckContext, walk_inlines
from newsletter.content import model as m
from newsletter.deliver.esp import ANY_TAG, PROFILES, has_tag

MAX_WIDTH = 600
_CONDITIONAL = re.compile(r"<!--\[if [^\]]*\]>|<!\[endif\]-->|<!--\[if [^\]]*\]><!-->|<!--<!\[endif\]-->")
_MJ_TAG = re.compile(r"</?mj-[a-z-]+")
_TEMPLATE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_EXPRESSION = re.compile(r"\{\{[^\n]*?\}\}|\{%[^\n]*?%\}|\{#[^\n]*?#\}")  # one line's whole expression
_STYLE = re.compile(r"<style\b.*?</style>", re.S | re.I)
_WIDTH_STYLE = re.compile(r"(?:^|;)\s*(min-width|width)\s*:\s*(\d+(?:\.\d+)?)px", re.I)


def layout(ctx: CheckContext) -> Iterator[Finding]:
    """What the theme's markup must have (a layout rule: newsletter/checks/layout.py)."""
    if not ctx.html.lstrip()[:9].lower() == "<!doctype":
        yield ctx.finding("structure", "error", "no <!DOCTYPE html> at the start of the HTML",
                          "some clients fall back to quirks mode without it", html="<html")
    yield from _conditionals(ctx)
    for tag in _MJ_TAG.finditer(ctx.html):
        yield ctx.finding("structure", "error", f"leftover MJML tag '{tag.group(0)}>' in the HTML",
                          "MRML leaves tags it does not know: check the spelling", template=tag.group(0),
                          html=tag.group(0))
        break
    metas = ctx.doc.findall(".//meta")
    if not any(t.get("charset") or "charset" in (t.get("content") or "").lower() for t in metas):
        yield ctx.finding("structure", "error", "no charset <meta> in <head>", "declare UTF-8", html="<head")
    if not any((t.get("name") or "").lower() == "viewport" for t in metas):
        yield ctx.finding("structure", "warning", "no viewport <meta>: phones will zoom out",
                          '<meta name="viewport" content="width=device-width, initial-scale=1">', html="<head")
    yield from _too_wide(ctx)


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Template syntax left in the HTML or the text part (it may come from the issue's words)."""
    yield from _template_syntax(ctx)


def _conditionals(ctx: CheckContext) -> Iterator[Finding]:
    depth = 0
    for c in _CONDITIONAL.finditer(ctx.html):
        depth += -1 if "endif" in c.group(0) else 1
        if depth < 0:
            break
    if depth:
        word = "closing" if depth < 0 else "opening"
        yield ctx.finding("structure", "error", f"MSO conditional comments are unbalanced: an extra {word} comment",
                          "every <!--[if mso]> needs its <![endif]-->", template="[if mso" if depth > 0 else "endif")


def _template_syntax(ctx: CheckContext) -> Iterator[Finding]:
    allowed: list[str] | None = None
    for name, text in (("HTML", _STYLE.sub("", ctx.html)), ("text part", ctx.text)):
        if ("{" not in text and "}" not in text) or not _TEMPLATE.search(text):  # every mark has a brace
            continue
        if allowed is None:
            allowed = sorted(configured_tags(ctx), key=len, reverse=True)
        cleaned = text
        for tag in allowed:
            cleaned = cleaned.replace(tag, "")
        end, seen = 0, set()
        for hit in _TEMPLATE.finditer(cleaned):
            if hit.start() < end:  # the '}}' of an expression already reported
                continue
            # Point at the whole expression ("{{ price }}"): the issue line that has it, else a
            # template with it. "{{" alone is in every template and pointed at the wrong file.
            expr = _EXPRESSION.match(cleaned, hit.start())
            end = expr.end() if expr else hit.end()
            snippet = html_lib.unescape(expr.group(0)) if expr else ""
            if (snippet or hit.group(0)) in seen:  # each expression once
                continue
            seen.add(snippet or hit.group(0))
            around = cleaned[max(0, hit.start() - 20): hit.end() + 20].replace("\n", " ")
            hint = ("the issue's text has it: an email service may take it for its own template syntax "
                    "when it sends; reword it, or use a %%name|fallback%% placeholder"
                    if ctx.issue_line(snippet) else "a Jinja expression reached the output, or a merge tag has a typo")
            message = f"unrendered template syntax in the {name}: ...{around}..."
            if name == "HTML":
                yield ctx.finding("structure", "error", message, hint, content=snippet, template=snippet,
                                  html=hit.group(0))
            else:  # the text part: the issue's line, else a text template's literal text, else email.txt's
                yield Finding("structure", "error", message, *_text_part_line(ctx, snippet or hit.group(0), text), hint)
            if len(seen) >= _MAX_TEMPLATE_FINDINGS:
                break


def _text_part_line(ctx: CheckContext, snippet: str, text: str) -> tuple[str, int]:
    """Where template syntax in the text part came from: the issue's line, else the line of a
    text template whose text, its own Jinja removed, has it (a template's '{% endif %}' is
    code that never reaches the output), else the line of email.txt."""
    line = ctx.issue_line(snippet)
    if line:
        return ctx.issue.path, line
    file, line = ctx.template_line_where(lambda raw: snippet in JINJA.sub("", raw), "*.txt.j2")
    if file:
        return file, line
    return ctx.html_file.replace("email.html", "email.txt"), text.count("\n", 0, max(0, text.find(snippet))) + 1


#: Past this many, a theme or an issue is broken in one way many times over: the rest would be noise.
_MAX_TEMPLATE_FINDINGS = 10


def configured_tags(ctx: CheckContext) -> set[str]:
    """The merge tags meant to be in the output: the profile's links and placeholders, and the
    tags and placeholders the content wrote (both byte-exact by design)."""
    profile = PROFILES[ctx.settings.esp]
    links = ctx.links
    found = {profile.unsubscribe, profile.preferences, profile.view_online, links.unsubscribe, links.preferences,
             links.view_online, links.signup}
    for node, _line in walk_inlines(ctx.issue):
        if isinstance(node, m.MergeTag):
            found.add(node.raw)
        elif isinstance(node, m.Placeholder):
            found.add(profile.placeholder(node.name, node.fallback))
        elif isinstance(node, m.Link) and has_tag(node.url):
            found.update(t.group(0) for t in ANY_TAG.finditer(node.url))
    return {t for t in found if t and _TEMPLATE.search(t)}


#: Only elements with a width attribute or "width" in their style can be too wide: lxml finds
#: them, in document order, without a Python loop over every element.
_SIZED = etree.XPath("descendant-or-self::*[@width or contains(@style, 'width')]")


def _too_wide(ctx: CheckContext) -> Iterator[Finding]:
    for el in _SIZED(ctx.body):
        widths: list[tuple[str, float]] = []
        attr = (el.get("width") or "").strip().lower().removesuffix("px")
        if attr.isdigit():
            widths.append(("width", int(attr)))
        style = el.get("style")
        if style and "width" in style:
            widths += [(p.lower(), float(v)) for p, v in _WIDTH_STYLE.findall(style)]
        for prop, value in widths:
            if value > MAX_WIDTH:
                snippet = f'{prop}="{attr}"' if prop == "width" and attr else f"{value:g}px"
                yield ctx.finding("structure", "warning",
                                  f"<{el.tag}> is {value:g} px wide ({prop}), over {MAX_WIDTH} px",
                                  "emails are laid out at 600 px at most", template=snippet, el=el)
                return
