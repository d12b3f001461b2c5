"""Helpers for the quality-gate tests: build a real issue in a workspace, then run one rule
on it (optionally on a damaged copy of the HTML or text, as a broken pipeline step would leave it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType

from newsletter.build import BuildResult, render_issue
from newsletter.checks import Finding
from newsletter.checks.context import CheckContext
from newsletter.render.jinja import search_path
from newsletter.workspace import Workspace, open_workspace

#: An issue that passes every rule with no warning: preheader of a good length, https links.
GOOD_ISSUE = """\
---
subject: "Tide tables for the week"
date: 2026-06-02
preheader: "Spring tides return on Thursday, and the harbour gates change their hours."
---
Good morning. This is the intro.

# The first story

The lede sentence comes first. Then [the tide report](https://dispatch.example/a).

## The News

The facts of the matter, with [the council minutes](https://dispatch.example/minutes).
"""


def build_issue(root: Path, issue: str = GOOD_ISSUE, settings_extra: str = "",
                templates: dict[str, str] | None = None,
                name: str = "2026-06-02-tides.md") -> tuple[Workspace, BuildResult]:
    """Write the issue (and extra settings or template overrides) into the workspace and build it."""
    path = root / "issues" / name
    path.write_text(issue, encoding="utf-8")
    if settings_extra:
        cfg = root / "newsletter.yaml"
        cfg.write_text(cfg.read_text(encoding="utf-8") + settings_extra, encoding="utf-8")
    for rel, text in (templates or {}).items():
        target = root / "templates" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    ws = open_workspace(root)
    return ws, render_issue(ws, path)


def run_rule(rule: ModuleType, ws: Workspace, result: BuildResult, *, html: str | None = None,
             text: str | None = None) -> list[Finding]:
    if html is not None or text is not None:
        result = dataclasses.replace(result, html=result.html if html is None else html,
                                     text=result.text if text is None else text)
    ctx = CheckContext(result, ws.settings, search_path(ws.templates_dir))
    # A rule family's layout part (newsletter/checks/layout.py) runs first, as in default_rules.
    parts = [rule.layout] if hasattr(rule, "layout") else []
    return [f for part in (*parts, rule.check) for f in part(ctx)]


def severe(findings: list[Finding]) -> list[Finding]:
    """Errors and warnings only."""
    return [f for f in findings if f.severity in ("error", "warning")]
