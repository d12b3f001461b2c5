"""Server-side variants of a built email, for the preview's views.

Each takes the built HTML and returns a changed copy; the built file itself is never touched.
They work on text with small, forgiving patterns, because a preview of a broken email should
still show something.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.IGNORECASE | re.DOTALL)
_STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel\s*=\s*[\"']?stylesheet[^>]*>", re.IGNORECASE)
_STYLE_CONTENT = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.IGNORECASE | re.DOTALL)
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_COLOR_SCHEME_META = re.compile(
    r"<meta\b[^>]*\bname\s*=\s*[\"']?(?:color-scheme|supported-color-schemes)\b[^>]*>", re.IGNORECASE
)
_HEAD_CLOSE = re.compile(r"</head\s*>", re.IGNORECASE)
_MEDIA = re.compile(r"(@media\b|\bmedia\s*=)([^{;>]*)", re.IGNORECASE)
#: One ``(prefers-color-scheme: ...)`` feature of a media condition.
_SCHEME = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(dark|light)\s*\)", re.IGNORECASE)
#: Media features every browser window matches, and never matches (Media Queries 4 syntax):
#: put in place of the colour scheme's, the query's other conditions still apply as written.
ALWAYS = "(min-width: 0px)"
NEVER = "(not (min-width: 0px))"


def without_styles(source: str) -> str:
    """Every ``<style>`` block (and stylesheet link) removed, as Gmail does for some accounts.

    Inline ``style`` attributes stay: that is what inlining is for.
    """
    return _STYLESHEET_LINK.sub("", _STYLE_BLOCK.sub("", source))


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs = {k: v or "" for k, v in attrs}

    handle_startendtag = handle_starttag


def _attrs(tag: str) -> dict[str, str]:
    parser = _Attrs()
    parser.feed(tag)
    parser.close()
    return parser.attrs


_ALT_BOX = (
    "display:inline-block;box-sizing:border-box;max-width:100%;padding:6px 8px;"
    "border:1px dashed #8a8a8a;color:#4a4a4a;background:#f2f2f2;"
    "font:13px/1.4 Arial,Helvetica,sans-serif;"
)


def _alt_for(match: re.Match[str]) -> str:
    attrs = _attrs(match.group(0))
    alt = attrs.get("alt", "").strip()
    if not alt:
        return ""  # a decorative image shows nothing when images are blocked
    width = attrs.get("width", "")
    size = f"width:{int(width)}px;" if width.isdigit() else ""
    return f'<span class="nl-preview-alt" style="{_ALT_BOX}{size}">{html.escape(alt)}</span>'


def images_off(source: str) -> str:
    """Every ``<img>`` replaced by its alt text in a box, as a client that blocks images shows it."""
    return _IMG.sub(_alt_for, source)


def _force_dark_css(css: str) -> str:
    """Each @media condition with ``(prefers-color-scheme: dark)`` as true and ``light`` as false,
    and nothing else changed: ``(prefers-color-scheme: dark) and (max-width: 480px)`` still
    needs a narrow frame, ``not all and (prefers-color-scheme: dark)`` no longer applies."""
    def condition(m: re.Match[str]) -> str:
        return m.group(1) + _SCHEME.sub(lambda f: ALWAYS if f.group(1).lower() == "dark" else NEVER, m.group(2))

    return _MEDIA.sub(condition, css)


def dark(source: str) -> str:
    """The email as a client in dark mode shows it.

    ``prefers-color-scheme`` inside an iframe follows the embedding page, so instead of
    emulating it the feature is replaced in every @media condition (dark: always true,
    light: never) and the document declares ``color-scheme: dark``.
    """
    # The opening tag too: <style media="(prefers-color-scheme: dark)">.
    source = _STYLE_CONTENT.sub(lambda m: _force_dark_css(m.group(1)) + _force_dark_css(m.group(2)) + m.group(3),
                                source)
    source = _COLOR_SCHEME_META.sub("", source)
    extra = '<meta name="color-scheme" content="dark"><style>:root { color-scheme: dark; }</style>'
    if _HEAD_CLOSE.search(source):
        return _HEAD_CLOSE.sub(lambda m: extra + m.group(0), source, count=1)
    return extra + source


VIEWS = {"dark": dark, "nostyles": without_styles, "imagesoff": images_off}


def apply_views(source: str, names: list[str]) -> str:
    """Apply the named views in a fixed order (dark first, so "No styles" can still remove it)."""
    for name, transform in VIEWS.items():
        if name in names:
            source = transform(source)
    return source


def links_in_new_tabs(source: str) -> str:
    """A ``<base target="_blank">`` so a click on a link in the frame opens a tab, not the frame."""
    base = '<base target="_blank">'
    if _HEAD_CLOSE.search(source):
        return _HEAD_CLOSE.sub(lambda m: base + m.group(0), source, count=1)
    return base + source


GUIDE = (
    "background-image: linear-gradient(to right, transparent calc(16px + {n}ch), #e0457b calc(16px + {n}ch),"
    " #e0457b calc(16px + {n}ch + 1px), transparent calc(16px + {n}ch + 1px));"
)

TEXT_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
html, body {{ margin: 0; background: #fff; color: #111; }}
pre {{ margin: 0; padding: 16px; font: 14px/1.45 ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  {wrap} {guide}
  min-height: 100vh; box-sizing: border-box; }}
.long {{ background: #fde2ea; }}
</style></head>
<body><pre>{body}</pre></body></html>
"""


def text_page(text: str, *, page: str = "") -> str:
    """The plain-text part in a monospace view with a guide at column 78, and the lines the
    quality gate calls too long marked (as read: tags filled in, a lone URL allowed)."""
    from newsletter.checks.plaintext import SHOULD as limit
    from newsletter.checks.plaintext import as_read, too_long

    marked = set(too_long(as_read(text, page).split("\n")))
    lines = []
    for n, line in enumerate(text.split("\n"), start=1):
        escaped = html.escape(line)
        lines.append(f'<span class="long" title="{len(line)} columns">{escaped}</span>' if n in marked else escaped)
    return TEXT_PAGE.format(title="Plain text", wrap="white-space: pre;", guide=GUIDE.format(n=limit),
                            body="\n".join(lines))


def source_page(source: str) -> str:
    """The HTML source, escaped, wrapped to the frame."""
    return TEXT_PAGE.format(title="HTML source", wrap="white-space: pre-wrap; word-break: break-all;",
                            guide="", body=html.escape(source))
