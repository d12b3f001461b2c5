"""Compatibility: the CSS and HTML that the theme and the content add, checked against the
caniemail.com data set (snapshot in data/caniemail.json) for the clients in ``check.targets``.

Scope: the properties and values of the theme's email.css.j2 (inlined, so its selectors never
reach a client, and it must work everywhere: a target without support is a warning), everything
in its responsive.css.j2 (kept in <style>: progressive enhancement, so a target without support
is info), the HTML elements and attributes the theme templates write, and the elements the
content renders to. MJML's own boilerplate is not checked: nobody here can change it.

A theme accepts a known degradation with a Jinja comment in any of its files, e.g.
``{# check: allow css-border-radius (square corners in Outlook are fine) #}``: that feature is
then reported as info.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from newsletter.checks import Finding
from newsletter.checks.caniemail import client_name, dataset, known_clients, support
from newsletter.checks.context import CheckContext, file_lines
from newsletter.render.theme import theme_files
from newsletter.content import model as m
from newsletter.render.mjml import INLINE_CSS_TEMPLATE, STYLE_CSS_TEMPLATE

_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_ALLOW = re.compile(r"\{#-?\s*check:\s*allow\s+([\w-]+)")
_JINJA_EXPR = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_DECL = re.compile(r"(?<![\w-])([a-z-]+)\s*:\s*([^;{}]*)")
_TAG = re.compile(r"<([a-z][a-z0-9]*)\b([^>]*)>")
_FUNCTIONS = {"linear-gradient": "css-linear-gradient", "radial-gradient": "css-radial-gradient",
              "conic-gradient": "css-conic-gradient", "calc": "css-unit-calc", "var": "css-variables",
              "rgb": "css-rgb", "rgba": "css-rgba", "clamp": "css-function-clamp", "min": "css-function-min",
              "max": "css-function-max", "light-dark": "css-function-light-dark"}
_UNITS = {"rem": "css-unit-rem", "vh": "css-unit-vh", "vw": "css-unit-vw", "vmin": "css-unit-vmin",
          "vmax": "css-unit-vmax", "ch": "css-unit-ch", "ex": "css-unit-ex"}
_AT_RULES = {"media": "css-at-media", "font-face": "css-at-font-face", "import": "css-at-import",
             "keyframes": "css-at-keyframes", "supports": "css-at-supports"}
_MEDIA_FEATURES = {"prefers-color-scheme": "css-at-media-prefers-color-scheme",
                   "prefers-reduced-motion": "css-at-media-prefers-reduced-motion",
                   "orientation": "css-at-media-orientation", "hover": "css-at-media-hover",
                   "device-pixel-ratio": "css-at-media-device-pixel-ratio",
                   "resolution": "css-at-media-device-pixel-ratio"}
_ELEMENTS = {"p": "html-p", "h1": "html-h1-h6", "h2": "html-h1-h6", "h3": "html-h1-h6", "h4": "html-h1-h6",
             "h5": "html-h1-h6", "h6": "html-h1-h6", "ol": "html-lists", "ul": "html-lists", "li": "html-lists",
             "dl": "html-lists", "blockquote": "html-blockquote", "hr": "html-hr", "img": "html-img",
             "code": "html-code", "strong": "html-strong", "span": "html-span", "div": "html-div",
             "table": "html-table", "small": "html-small", "del": "html-del", "pre": "html-pre",
             "abbr": "html-abbr", "address": "html-address", "svg": "html-svg", "video": "html-video",
             "audio": "html-audio", "form": "html-form", "picture": "html-picture", "wbr": "html-wbr",
             "style": "html-style", "link": "html-link", "base": "html-base", "dialog": "html-dialog",
             "marquee": "html-marquee", "meter": "html-meter", "progress": "html-progress", "object": "html-object",
             "textarea": "html-textarea", "select": "html-select", "strike": "html-strike", "dfn": "html-dfn",
             "bdi": "html-bdi", "ruby": "html-ruby", "button": "html-button-submit"}
_SEMANTIC = {"article", "aside", "details", "figcaption", "figure", "footer", "header", "main", "mark", "nav",
             "section", "summary", "time"}
_ATTRIBUTES = {"aria-hidden": "html-aria-hidden", "aria-label": "html-aria-label", "aria-live": "html-aria-live",
               "aria-labelledby": "html-aria-labelledby", "aria-describedby": "html-aria-describedby",
               "role": "html-role", "srcset": "html-srcset", "loading": "html-loading-attribute",
               "hidden": "html-hidden", "dir": "html-dir", "target": "html-target"}
_IMAGE_TYPES = {"png": "image-png", "jpg": "image-jpg", "jpeg": "image-jpg", "gif": "image-gif",
                "webp": "image-webp", "svg": "image-svg", "avif": "image-avif", "bmp": "image-bmp",
                "ico": "image-ico", "tif": "image-tiff", "tiff": "image-tiff", "heic": "image-heif",
                "heif": "image-heif", "apng": "image-apng"}


@dataclass(frozen=True)
class Use:
    """One place a caniemail feature is used: what, where, and whether it must work everywhere."""

    slug: str
    what: str
    file: str
    line: int
    required: bool


# ---- what the theme and the content use ------------------------------------------


def css_uses(text: str, file: str, required: bool) -> list[Use]:
    """caniemail features used by a CSS template (Jinja stripped, line numbers kept)."""
    text = _JINJA_COMMENT.sub(lambda mt: "\n" * mt.group(0).count("\n"), text)
    text = _CSS_COMMENT.sub(lambda mt: "\n" * mt.group(0).count("\n"), text)
    text = _JINJA_EXPR.sub("x", text)
    features = dataset()["by_slug"]
    out: list[Use] = []

    def add(slug: str, what: str, pos: int) -> None:
        if slug in features:
            out.append(Use(slug, what, file, text.count("\n", 0, pos) + 1, required))

    start = 0
    for brace in _BRACE.finditer(text + "{"):
        i, ch = brace.start(), brace.group()
        chunk = text[start:i]
        if ch == "{":
            # Selectors and at-rules count only in <style> CSS: the inliner applies those of the
            # inlined CSS, so they never reach a client.
            if not required:
                _prelude(chunk.strip(), start + len(chunk) - len(chunk.lstrip()), add)
        else:
            _declarations(chunk, start, add)
        start = i + 1
    return out


_BRACE = re.compile(r"[{}]")
_AT_NAME = re.compile(r"@([a-z-]+)")
#: (pattern, caniemail slug, what) for each kind of selector, found in a selector with its
#: attribute tests blanked (except when looking for those).
_SELECTORS = [(re.compile(pattern), slug, what) for pattern, slug, what in (
    (r"(^|[\s>+~])[a-z][a-z0-9]*", "css-selector-type", "type selector"),
    (r"\.[\w-]+", "css-selector-class", "class selector"),
    (r"#[\w-]+", "css-selector-id", "id selector"),
    (r"\[[^\]]*\]", "css-selector-attribute", "attribute selector"),
    (r"\*", "css-selector-universal", "universal selector *"),
    (r"\s*>\s*", "css-selector-child", "child selector >"),
    (r"\s*\+\s*", "css-selector-adjacent-sibling", "adjacent sibling selector +"),
    (r"\s*~\s*", "css-selector-general-sibling", "general sibling selector ~"),
    (r"[\w\]\)]\s+[\w.#\[:*]", "css-selector-descendant", "descendant selector"),
    (r"[\w\]][.#\[][\w-]", "css-selector-chaining", "chained selector"),
)]
_ATTRIBUTE_SELECTOR = re.compile(r"\[[^\]]*\]")
_PSEUDO = re.compile(r"::?([a-z-]+)")
_SIDE = re.compile(r"-(top|right|bottom|left)(-(width|style|color))?$|^(border)-(width|style|color)$")
_FUNCTION = re.compile(r"([a-z-]+)\(")
_UNIT = re.compile(r"\d(rem|vh|vw|vmin|vmax|ch|ex)\b")
_ATTRIBUTE = re.compile(r"([a-z-]+)=")


def _prelude(prelude: str, pos: int, add: Any) -> None:
    if not prelude:
        return
    if prelude.startswith("@"):
        name = _AT_NAME.match(prelude)
        if name:
            add(_AT_RULES.get(name.group(1), f"css-at-{name.group(1)}"), f"@{name.group(1)}", pos)
        for feature, slug in _MEDIA_FEATURES.items():
            if feature in prelude:
                add(slug, f"@media ({feature})", pos)
        return
    for selector in prelude.split(","):
        sel = selector.strip()
        if "," in prelude:
            add("css-selector-grouping", "selector list (a, b)", pos)
        plain = _ATTRIBUTE_SELECTOR.sub("[]", sel)
        for pattern, slug, what in _SELECTORS:
            if pattern.search(plain if slug != "css-selector-attribute" else sel):
                add(slug, what, pos)
        for pseudo in _PSEUDO.findall(sel):
            add(f"css-pseudo-element-{pseudo}" if f"::{pseudo}" in sel else f"css-pseudo-class-{pseudo}",
                f":{pseudo}", pos)


def _declarations(block: str, pos: int, add: Any) -> None:
    for mt in _DECL.finditer(block):
        prop, value = mt.group(1), mt.group(2).strip()
        at = pos + mt.start()
        value_l = value.lower()
        if prop == "display":
            kind = value_l.replace("!important", "").strip()
            slug = {"flex": "css-display-flex", "inline-flex": "css-display-flex", "grid": "css-display-grid",
                    "inline-grid": "css-display-grid", "none": "css-display-none"}.get(kind, "css-display")
            add(slug, f"display: {kind}", at)
        else:
            base = _SIDE.sub(r"\4", prop) or prop
            add(f"css-{prop}" if f"css-{prop}" in dataset()["by_slug"] else f"css-{base}", prop, at)
        if "!important" in value_l:
            add("css-important", "!important", at)
        for fn in _FUNCTION.findall(value_l):
            if fn in _FUNCTIONS:
                add(_FUNCTIONS[fn], f"{fn}()", at)
        for unit in _UNIT.findall(value_l):
            add(_UNITS[unit], f"{unit} unit", at)


def html_uses(text: str, file: str) -> list[Use]:
    """Elements and attributes written literally in a theme template."""
    text = _JINJA_COMMENT.sub(lambda mt: "\n" * mt.group(0).count("\n"), text)
    out = []
    for mt in _TAG.finditer(text):
        line = text.count("\n", 0, mt.start()) + 1
        tag, attrs = mt.group(1), mt.group(2)
        slug = "html-semantics" if tag in _SEMANTIC else _ELEMENTS.get(tag)
        if slug:
            out.append(Use(slug, f"<{tag}>", file, line, True))
        for attr in _ATTRIBUTE.findall(attrs):
            if attr in _ATTRIBUTES:
                out.append(Use(_ATTRIBUTES[attr], f"{attr} attribute", file, line, True))
    return out


@lru_cache(maxsize=16)
def _theme_uses(files: tuple[tuple[str, float], ...]) -> tuple[tuple[Use, ...], frozenset[str]]:
    out: list[Use] = []
    allowed: set[str] = set()
    for path, _mtime in files:
        text = "\n".join(file_lines(Path(path)))
        allowed.update(_ALLOW.findall(text))
        name = Path(path).name
        if name == INLINE_CSS_TEMPLATE:
            out += css_uses(text, path, required=True)
        elif name == STYLE_CSS_TEMPLATE:
            out += css_uses(text, path, required=False)
        elif name.endswith(".mjml.j2"):
            out += html_uses(text, path)
    return tuple(out), frozenset(allowed)


def theme_uses(search_dirs: list[Path]) -> tuple[tuple[Use, ...], frozenset[str]]:
    """What the theme uses, and the features it accepts degrading (``check: allow`` comments)."""
    paths = [p for p in theme_files(search_dirs)
             if p.name in (INLINE_CSS_TEMPLATE, STYLE_CSS_TEMPLATE) or p.name.endswith(".mjml.j2")]
    return _theme_uses(tuple((str(p), p.stat().st_mtime) for p in paths))


def content_uses(issue: m.Issue) -> list[Use]:
    """Elements the content renders to (newsletter/render/html.py), at the issue lines that use them."""
    out: list[Use] = []
    kinds = {m.Paragraph: ("html-p", "<p>"), m.Subhead: ("html-h1-h6", "<h4> subhead"),
             m.ListBlock: ("html-lists", "list"), m.Quote: ("html-blockquote", "<blockquote>"),
             m.Rule: ("html-hr", "<hr>"), m.Figure: ("html-img", "<img>")}

    def inlines(nodes: tuple[m.Inline, ...], line: int) -> None:
        for node in nodes:
            if isinstance(node, m.Code):
                out.append(Use("html-code", "<code>", issue.path, line, True))
            elif isinstance(node, m.Strong):
                out.append(Use("html-strong", "<strong>", issue.path, line, True))
            elif isinstance(node, m.Link) and node.url.lower().startswith("mailto:"):
                out.append(Use("html-mailto-links", "mailto: link", issue.path, line, True))
            if isinstance(node, (m.Emphasis, m.Strong, m.Link)):
                inlines(node.children, line)

    def blocks(bs: tuple[m.Block, ...]) -> None:
        for b in bs:
            slug, what = kinds[type(b)]
            out.append(Use(slug, what, issue.path, b.line, True))
            if isinstance(b, (m.Paragraph, m.Subhead)):
                inlines(b.inlines, b.line)
            elif isinstance(b, m.Quote):
                blocks(b.blocks)
            elif isinstance(b, m.ListBlock):
                for item in b.items:
                    blocks(item)
            elif isinstance(b, m.Figure):
                ext = b.src.split("?")[0].rsplit(".", 1)[-1].lower()
                if ext in _IMAGE_TYPES:
                    out.append(Use(_IMAGE_TYPES[ext], f".{ext} image", issue.path, b.line, True))

    blocks(issue.intro)
    for item in issue.items:
        for bs in ([s.blocks for s in item.sections] if isinstance(item, m.Story) else [item.blocks]):
            blocks(bs)
    return out


# ---- judging them --------------------------------------------------------------------


def check(ctx: CheckContext) -> Iterator[Finding]:
    targets = [t for t in ctx.settings.check.targets if t in known_clients()]
    for unknown in (t for t in ctx.settings.check.targets if t not in known_clients()):
        import difflib  # only for a did-you-mean

        near = difflib.get_close_matches(unknown, sorted(known_clients()), n=1)
        yield ctx.finding("compatibility", "warning", f"unknown email client '{unknown}' in check.targets",
                          f"did you mean '{near[0]}'?" if near else "names are caniemail's family.platform, "
                          "e.g. gmail.ios", settings=unknown, html="<html")
    first: dict[str, Use] = {}
    uses, allowed = theme_uses(ctx.search_dirs)
    for use in (*uses, *content_uses(ctx.issue)):
        prev = first.get(use.slug)
        if prev is None or (use.required and not prev.required):
            first[use.slug] = use
    for slug, use in first.items():
        judged = _judge(slug, use.what, use.required, slug in allowed, tuple(targets))
        if judged is not None:
            severity, message, hint = judged
            yield Finding("compatibility", severity, message, use.file, use.line, hint)


@lru_cache(maxsize=4096)
def _judge(slug: str, use_what: str, required: bool, accepted: bool,
           targets: tuple[str, ...]) -> tuple[str, str, str] | None:
    """(severity, message, hint) for one used feature, or None when every target supports it well
    enough. Remembered: every issue uses mostly the same features (the theme's) for the same targets."""
    feature = dataset()["by_slug"][slug]
    missing, partial, notes = [], [], []
    for target in targets:
        level, nums = support(feature, target)
        if level == "n":
            missing.append(client_name(target))
        elif level == "a":
            partial.append(client_name(target))
        for n in nums:
            note = (feature.get("notes_by_num") or {}).get(n)
            if note and note not in notes and (level == "n" or (level == "a" and required)):
                notes.append(note)
    if not missing and not (partial and required):
        return None  # partial support of an enhancement in <style> is not worth a line
    parts = []
    if missing:
        parts.append("not supported in " + ", ".join(missing))
    if partial and required:
        parts.append("partly supported in " + ", ".join(partial))
    severity = "warning" if missing and required and not accepted else "info"
    title = feature["title"]
    what = title if use_what.lower() in title.lower() else f"{title} ({use_what})"
    message = f"{what} is " + "; ".join(parts)
    if notes:
        message += ". caniemail: " + " ".join(notes)
    if accepted and missing and required:
        message += " (the theme accepts this: 'check: allow')"
    return severity, message, feature.get("url", "")
