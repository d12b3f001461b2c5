"""Layout rules and their remembered findings (newsletter/checks/layout.py): after an edit of
words alone, the remembered findings are what a fresh run gives; a new layout, new settings or
an edited template make the rules run again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import MINIMAL_SETTINGS, REPO
from hostile_cases import issue_with, issue_with_all, load_vectors, make_workspace
from newsletter.build import BuildResult, render_issue
from newsletter.checks import Finding, default_rules, layout_rules, run_checks
from newsletter.checks import accessibility, responsive, structure
from newsletter.checks import layout as layout_module
from newsletter.errors import NewsletterError
from newsletter.render.theme import search_path
from newsletter.settings import load_settings
from newsletter.workspace import Workspace, open_workspace

from benchmarks.generate import make_workspace as generated_workspace


class Calls:
    """Counts the runs of the layout rules themselves."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        layout_module._MEMO.clear()
        for module in (structure, responsive, accessibility):
            monkeypatch.setattr(module, "layout", self._counting(module.layout))

    def _counting(self, rule: Any) -> Any:
        def counting(ctx: Any) -> Any:
            self.count += 1
            return rule(ctx)
        return counting


def findings(ws: Workspace, result: BuildResult) -> list[Finding]:
    return run_checks(result, ws.settings, search_path(ws.templates_dir),
                      html_file=ws.out_for(result.slug) / "email.html")


def fresh(ws: Workspace, result: BuildResult) -> list[Finding]:
    """Every rule run, nothing remembered."""
    return findings(ws, replace(result, layout_key=None))


def edit_words(ws: Workspace, path: Path, old: str, new: str, calls: Calls) -> None:
    first = render_issue(ws, path, extras=False, text_tokens=True)
    assert first.layout_key is not None
    assert findings(ws, first) == fresh(ws, first)
    assert findings(ws, first) == fresh(ws, render_issue(ws, path, extras=False))  # as `build` finds
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    ran = calls.count
    edited = render_issue(ws, path, extras=False, text_tokens=True)
    assert edited.layout_key == first.layout_key  # the words alone changed
    remembered = findings(ws, edited)
    assert calls.count == ran, "the layout rules ran again for an edit of words"
    assert remembered == fresh(ws, edited)


def test_examples_and_generated_issues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls(monkeypatch)
    example = open_workspace(REPO)
    for path in example.issue_files():
        copy = tmp_path / "ex" / "issues" / path.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "ex" / "newsletter.yaml").write_text((REPO / "newsletter.yaml").read_text(encoding="utf-8"),
                                                   encoding="utf-8")
    ws = open_workspace(tmp_path / "ex")
    for path in ws.issue_files():
        lines = path.read_text(encoding="utf-8").split("\n")
        last = max(i for i, line in enumerate(lines) if line[:1].isalpha())
        edit_words(ws, path, lines[last], lines[last] + " Edited by hand.", calls)
    generated = open_workspace(generated_workspace(tmp_path / "gen", 2, words=600))
    for path in generated.issue_files():
        lines = path.read_text(encoding="utf-8").split("\n")
        last = max(i for i, line in enumerate(lines) if line[:1].isalpha())
        edit_words(generated, path, lines[last], lines[last] + " More words.", calls)


def test_every_hostile_vector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Colours, links, images, markup-like words: the remembered findings after an edit of
    words are a fresh run's (a layout rule that read words would differ here)."""
    calls = Calls(monkeypatch)
    ws = make_workspace(tmp_path / "hostile", MINIMAL_SETTINGS)
    edited = 0
    for vector in load_vectors():
        path = ws.issues_dir / f"2026-06-02-{vector.id}.md"
        path.write_text(issue_with_all(vector.text), encoding="utf-8")
        try:
            render_issue(ws, path, extras=False)
        except NewsletterError:
            continue
        edit_words(ws, path, "Another paragraph.", "Another paragraph, rewritten.", calls)
        edited += 1
    assert edited >= 100


def test_low_contrast_on_the_words_being_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The paragraphs' own colour too light (a workspace's CSS): the first element with that
    colour is the intro, whose words are then edited. A finding that quoted the words would
    be remembered with the old ones."""
    calls = Calls(monkeypatch)
    ws = make_workspace(tmp_path / "ws", MINIMAL_SETTINGS)
    css = (REPO / "templates" / "email.css.j2").read_text(encoding="utf-8")
    (ws.root / "templates").mkdir()
    (ws.root / "templates" / "email.css.j2").write_text(css + "\n.nl-p { color: #CCCCCC; }\n", encoding="utf-8")
    ws = open_workspace(ws.root)
    path = ws.issues_dir / "2026-06-02-pale.md"
    path.write_text(issue_with(None, ""), encoding="utf-8")
    edit_words(ws, path, "Good morning. Here is the intro.", "Good evening. The intro says more now.", calls)
    found = fresh(ws, render_issue(ws, path, extras=False))
    assert any(f.rule == "accessibility" and "#CCC " in f.message and f.message.startswith("text in <p")
               and f.file.endswith("email.css.j2") for f in found), found


def test_new_settings_or_templates_run_the_rules_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls(monkeypatch)
    ws = make_workspace(tmp_path / "ws", MINIMAL_SETTINGS)
    path = ws.issues_dir / "2026-06-02-x.md"
    path.write_text(issue_with(None, ""), encoding="utf-8")
    result = render_issue(ws, path, extras=False, text_tokens=True)
    findings(ws, result)
    ran = calls.count
    findings(ws, result)
    assert calls.count == ran
    (ws.root / "newsletter.yaml").write_text(MINIMAL_SETTINGS + "theme:\n  colors:\n    muted: \"#C8C4B8\"\n",
                                            encoding="utf-8")
    ws2 = Workspace(ws.root, load_settings(ws.root / "newsletter.yaml"))
    result2 = render_issue(ws2, path, extras=False, text_tokens=True)
    assert any("#C8C4B8" in f.message for f in findings(ws2, result2))
    assert calls.count > ran
    ran = calls.count
    # A template edited without changing the email (a Jinja comment above everything): the
    # findings name template lines, which moved.
    css = (REPO / "templates" / "email.css.j2").read_text(encoding="utf-8")
    (ws.root / "templates").mkdir()
    (ws.root / "templates" / "email.css.j2").write_text(css, encoding="utf-8")
    ws3 = open_workspace(ws.root)
    first = render_issue(ws3, path, extras=False, text_tokens=True)
    findings(ws3, first)
    ran = calls.count
    (ws.root / "templates" / "email.css.j2").write_text("{# a note #}\n" + css, encoding="utf-8")
    again = render_issue(ws3, path, extras=False, text_tokens=True)
    assert again.layout_key == first.layout_key
    assert findings(ws3, again) == fresh(ws3, again)
    assert calls.count > ran


def test_the_layout_rules_are_in_the_default_rules() -> None:
    assert layout_rules() <= set(default_rules())
