"""Layout rules, and their findings remembered across the preview's renders.

A layout rule judges the email's elements, attributes and styles: never the words in them,
nor anything about the issue file (its lines, its links). Its findings then depend only on the
layout, the settings, the theme's templates and where the HTML is written. The preview renders
with the running text as tokens (newsletter/render/texttokens.py), so an edit of words alone
leaves the layout (the MJML and the inlined HTML with their tokens) as it was; the layout
rules' findings are then taken from the last render with the same layout, settings and
templates instead of being worked out again. `build` renders without tokens: every rule runs.

tests/test_check_layout.py edits the words of many issues and compares every rule's findings
with a fresh run: a layout rule that read words would be caught there.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.render.theme import theme_files

if TYPE_CHECKING:
    from newsletter.checks import Finding, Rule
    from newsletter.checks.context import CheckContext

#: Layouts remembered: a few issues open in the preview, each with its last layout.
MEMO_SIZE = 16
_MEMO: OrderedDict[tuple[Any, ...], tuple[Any, list[Finding]]] = OrderedDict()


def layout_findings(rule: Rule, ctx: CheckContext) -> list[Finding]:
    """``rule``'s findings for ``ctx``: remembered when the render has a layout key."""
    layout = ctx.result.layout_key
    if layout is None:
        return list(rule(ctx))
    key = (rule, layout, ctx.html_file, tuple(ctx.search_dirs), _templates_stamp(ctx.search_dirs))
    known = _MEMO.get(key)
    if known is not None and known[0] is ctx.settings:  # a settings file read again is a new object
        _MEMO.move_to_end(key)
        return list(known[1])
    found = list(rule(ctx))
    _MEMO[key] = (ctx.settings, found)
    if len(_MEMO) > MEMO_SIZE * 4:  # a handful of layout rules per layout
        _MEMO.popitem(last=False)
    return list(found)


def _templates_stamp(search_dirs: list[Path]) -> tuple[tuple[str, int], ...]:
    """Every template with its modification time: a finding names a template's line, which an
    edit that leaves the output alone (a comment added above it) can still move."""
    out = []
    for path in theme_files(search_dirs, "*.j2"):
        try:
            out.append((str(path), path.stat().st_mtime_ns))
        except OSError:
            out.append((str(path), -1))
    return tuple(out)
