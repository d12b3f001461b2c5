"""The quality gate's rules leave no reference cycle holding the check context (the parsed
document, the HTML, the issue): without one, each is freed as soon as the gate is done, by
reference counting alone. The preview runs the gate on every save, for hours."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from check_helpers import build_issue
from conftest import REPO
from newsletter.checks import default_rules
from newsletter.checks.context import CheckContext
from newsletter.render.jinja import search_path


@pytest.mark.parametrize("rule", default_rules(), ids=lambda r: f"{r.__module__.rsplit('.', 1)[-1]}.{r.__name__}")
def test_a_rule_leaves_no_cycle_holding_the_context(rule: object, workspace: Path) -> None:
    issue = (REPO / "issues" / "2026-06-05-harlow-cranes-and-low-water.md").read_text(encoding="utf-8")
    ws, result = build_issue(workspace, issue)
    gc.collect()
    gc.disable()
    try:
        ctx = CheckContext(result, ws.settings, search_path(ws.templates_dir))
        findings = list(rule(ctx))  # type: ignore[operator]
        assert findings is not None
        assert ctx.doc is not None  # the parsed document, as the rules that read the HTML parse it
        alive = weakref.ref(ctx)
        del ctx, findings
        assert alive() is None
    finally:
        gc.enable()
