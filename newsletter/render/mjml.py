"""Theme templates -> MJML (Jinja) -> HTML (MRML, through mjml-python).

MRML reports byte offsets into the MJML it was given; we map them back to the
template file and line that wrote that MJML, so a theme error says where to look.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from newsletter.errors import Problem, TemplateError

MAIN_TEMPLATE = "email.mjml.j2"
TEXT_TEMPLATE = "email.txt.j2"
INLINE_CSS_TEMPLATE = "email.css.j2"
#: The stylesheet the theme puts in <mj-style> (media queries, dark mode): never inlined.
STYLE_CSS_TEMPLATE = "responsive.css.j2"


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render one theme template; template errors name the template file and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(Problem(e.filename or e.name or name, e.lineno or 0, f"template syntax error: {e.message}")) from None
    except jinja2.TemplateNotFound as e:
        # An include or import names it: point at that line (the template rendered, when none does).
        file, line = _template_frame(e, env)
        raise TemplateError(Problem(file or name, line, f"template '{e.name}' not found in the workspace templates/ "
                                    "or the theme")) from None
    except jinja2.UndefinedError as e:
        file, line = _template_frame(e, env)
        raise TemplateError(Problem(file or name, line, f"template error: {e.message}")) from None
    except TemplateError:
        raise  # from the loader (newsletter/render/jinja.py): already says which file
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        file, line = _template_frame(e, env)
        raise TemplateError(Problem(file or name, line, f"template error: {e}")) from None
    except Exception as e:  # noqa: BLE001 - a theme's own code failing ({{ 1/0 }}, an extends loop)
        file, line = _template_frame(e, env)
        what = "the template includes or extends itself" if isinstance(e, RecursionError) else f"{type(e).__name__}: {e}"
        raise TemplateError(Problem(file or name, line, f"template error: {what}")) from None


def _template_frame(exc: BaseException, env: jinja2.Environment) -> tuple[str, int]:
    """The innermost template file and line in a traceback from rendering."""
    tb = exc.__traceback__
    found = ("", 0)
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(".j2"):
            template = tb.tb_frame.f_globals.get("__jinja_template__")
            line = template.get_corresponding_lineno(tb.tb_lineno) if template else tb.tb_lineno
            found = (code.co_filename, line)
        tb = tb.tb_next
    return found


_POSITION = re.compile(r"position (\d+)(?::(\d+))?")


def compile_mjml(mjml_source: str, search_dirs: list[Path], *, remember: bool = False) -> str:
    """MJML -> HTML with MRML. Never fetches fonts (``fonts={}``): our theme sets its own.
    ``remember``: keep the result for the next call with the same MJML (the preview)."""
    try:
        return _mrml(mjml_source) if remember else _mrml.__wrapped__(mjml_source)
    except ValueError as e:
        raise TemplateError(locate_mjml_error(str(e), mjml_source, search_dirs)) from None


@lru_cache(maxsize=4)
def _mrml(mjml_source: str) -> str:
    """MRML's HTML for the last few documents: the preview renders an issue whose text alone
    changed to the same MJML (the text is tokens, newsletter/render/texttokens.py)."""
    import mjml  # imported here: `newsletter --help` must not pay for it

    return str(mjml.mjml2html(mjml_source, fonts={}, disable_comments=False))


def locate_mjml_error(message: str, mjml_source: str, search_dirs: list[Path]) -> Problem:
    """Map an MRML error (byte offsets into the rendered MJML) to a template file and line."""
    hint = ("the quoted line is where MRML stopped in the MJML the templates produced, sometimes just after the "
            "mistake; build --emit-mjml writes all of it")
    match = _POSITION.search(message)
    # MRML gives no position for unbalanced tags: find the first one ourselves.
    guess = None if match else _unbalanced_tag(mjml_source)
    if not match and guess is None:
        return Problem(_first_existing(search_dirs, MAIN_TEMPLATE), 0, f"MRML could not compile the theme's MJML: {message}",
                       "MRML gave no position: check the templates you changed last")
    offset = int(match.group(1)) if match else len(mjml_source[:guess].encode("utf-8"))
    data = mjml_source.encode("utf-8")
    before = data[:offset].decode("utf-8", "replace")
    mjml_line_no = before.count("\n") + 1
    mjml_line = mjml_source.split("\n")[mjml_line_no - 1].strip()
    file, line = _find_template_line(mjml_line, search_dirs)
    text = f"MRML could not compile the theme's MJML: {message} (email.mjml line {mjml_line_no}: {mjml_line[:60]!r})"
    if file:
        return Problem(file, line, text, hint)
    return Problem(_first_existing(search_dirs, MAIN_TEMPLATE), 0, text, hint)


_MJ_TAG = re.compile(r"<(/?)(mjml|mj-[a-z-]+)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>|<(?![a-zA-Z/!?])")


def _unbalanced_tag(mjml_source: str) -> int | None:
    """Offset of the first MJML tag that is never closed, closes nothing, or a stray '<'."""
    stack: list[tuple[str, int]] = []
    for tag in _MJ_TAG.finditer(mjml_source):
        if tag.group(2) is None:  # a '<' that starts no tag
            return tag.start()
        closing, name, self_closing = tag.group(1), tag.group(2), tag.group(3)
        if self_closing:
            continue
        if not closing:
            stack.append((name, tag.start()))
        elif stack and stack[-1][0] == name:
            stack.pop()
        elif any(open_name == name for open_name, _ in stack):
            return stack[-1][1]  # the innermost element left open
        else:
            return tag.start()  # a closing tag that closes nothing
    return stack[-1][1] if stack else None


def _first_existing(dirs: list[Path], name: str) -> str:
    for d in dirs:
        if (d / name).exists():
            return str(d / name)
    return name


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def _find_template_line(mjml_line: str, dirs: list[Path]) -> tuple[str, int]:
    """The template line whose literal text best matches a rendered MJML line."""
    if not mjml_line:
        return "", 0
    seen: set[str] = set()
    best: tuple[int, str, int] = (0, "", 0)
    for d in dirs:
        for path in sorted(d.rglob("*.mjml.j2")):
            rel = str(path.relative_to(d))
            if rel in seen:  # a workspace file shadows the theme's
                continue
            seen.add(rel)
            for n, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), start=1):
                literal = _JINJA.split(raw.strip())[0]
                if len(literal) >= 3 and mjml_line.startswith(literal) and len(literal) > best[0]:
                    best = (len(literal), str(path), n)
    return best[1], best[2]
