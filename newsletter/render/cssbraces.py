"""A theme stylesheet whose braces don't pair is an error at the template's line.

premailer (cssutils) and MRML read such CSS without a word: a rule left open swallows the
rules after it, so most of the email loses its inlined style while the build succeeds.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from newsletter.errors import Problem, TemplateError
from newsletter.render.mjml import INLINE_CSS_TEMPLATE, STYLE_CSS_TEMPLATE

#: Comments and strings, whose braces don't count; then each brace.
_SKIP = re.compile(r"/\*.*?(?:\*/|$)|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)
_BRACE = re.compile(r"[{}]")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def check_braces(css: str, template: str, search_dirs: list[Path]) -> None:
    """Raise TemplateError at ``template``'s line when ``css`` (what it rendered) has a ``{``
    that is never closed or a ``}`` that closes nothing."""
    offset = _unpaired(css)
    if offset is None:
        return
    end = css.find("\n", offset)
    line_text = css[css.rfind("\n", 0, offset) + 1:end if end != -1 else len(css)].strip()
    closing = css[offset] == "}"
    rendered_line = css.count("\n", 0, offset) + 1  # the template's too, unless Jinja moved lines
    file, line = _template_line(line_text, template, tuple(search_dirs), rendered_line)
    what = "a '}' that closes no rule" if closing else "a rule whose '{' is never closed"
    raise TemplateError(Problem(file, line, f"the stylesheet has {what}: {line_text[:60]!r}",
                                "every '{' needs its '}'; the rules after it would be dropped without a word"))


@lru_cache(maxsize=16)
def _unpaired(css: str) -> int | None:
    """The offset of the first unpaired brace, or None (remembered: every issue renders the
    same stylesheet)."""
    if "{" not in css and "}" not in css:
        return None
    text = _SKIP.sub(lambda m: " " * len(m.group(0)), css)
    opened: list[int] = []
    for brace in _BRACE.finditer(text):
        if brace.group(0) == "{":
            opened.append(brace.start())
        elif opened:
            opened.pop()
        else:
            return brace.start()
    return opened[-1] if opened else None


def _template_line(line_text: str, template: str, search_dirs: tuple[Path, ...], default: int) -> tuple[str, int]:
    """The template file (the workspace's copy first) and the line whose literal text begins
    the rendered line (``default`` when none does, as for a lone '}')."""
    path = next((d / template for d in search_dirs if (d / template).is_file()), None)
    if path is None:
        return template, 0
    best = (0, default)
    for n, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), start=1):
        literal = _JINJA.split(raw.strip())[0]
        if len(literal) >= 3 and line_text.startswith(literal) and len(literal) > best[0]:
            best = (len(literal), n)
    return str(path), best[1]


_MJ_STYLE = re.compile(r"<mj-style\b[^>]*>(.*?)</mj-style>", re.S)


def check_theme_css(inline_css: str, mjml_source: str, search_dirs: list[Path]) -> None:
    """Both stylesheets a render uses: email.css.j2 (inlined by premailer) and what the
    <mj-style> blocks hold (responsive.css.j2 in the theme)."""
    check_braces(inline_css, INLINE_CSS_TEMPLATE, search_dirs)
    if "<mj-style" in mjml_source:
        for style in _MJ_STYLE.findall(mjml_source):
            check_braces(style, STYLE_CSS_TEMPLATE, search_dirs)
