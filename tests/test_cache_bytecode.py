"""Compiled templates on disk (newsletter/render/jinja.py): a fresh process reuses them, the
output is the same with or without them, and they never serve an edited template's old code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from newsletter.render.theme import theme_dir


def _build(root: Path, cache_dir: str) -> bytes:
    env = {**os.environ, "NEWSLETTER_CACHE_DIR": cache_dir}
    run = subprocess.run([sys.executable, "-m", "newsletter", "build", "--force", "-j", "1", "-C", str(root)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return (root / "out" / "2026-06-02-tides" / "email.html").read_bytes()


def _compiled(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file())


def test_compiled_templates_are_reused_and_change_nothing(workspace: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    without = _build(workspace, "")
    first = _build(workspace, str(cache))
    files = _compiled(cache)
    assert len(files) >= 3  # email.mjml.j2, email.css.j2, email.txt.j2 at least
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    second = _build(workspace, str(cache))
    assert without == first == second
    assert {p: p.stat().st_mtime_ns for p in _compiled(cache)} == mtimes  # read, not rewritten


def test_an_edited_template_is_compiled_again(workspace: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _build(workspace, str(cache))
    templates = workspace / "templates"
    templates.mkdir()
    css = (theme_dir() / "email.css.j2").read_text(encoding="utf-8")
    (templates / "email.css.j2").write_text(css + "\n.nl-p { letter-spacing: 3px; }\n", encoding="utf-8")
    assert b"letter-spacing:3px" in _build(workspace, str(cache)).replace(b" ", b"")
    (templates / "email.css.j2").write_text(css, encoding="utf-8")
    assert b"letter-spacing:3px" not in _build(workspace, str(cache)).replace(b" ", b"")


def test_damaged_cache_files_are_ignored(workspace: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = _build(workspace, str(cache))
    for p in _compiled(cache):
        p.write_bytes(b"\x00garbage")
    assert _build(workspace, str(cache)) == good


def test_unwritable_cache_folder_is_ignored(workspace: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    good = _build(workspace, "")
    assert _build(workspace, str(blocker / "cache")) == good


# --- premailer's parsed CSS on disk (newsletter/render/cssmemo.py) --------------------------

def _memo_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("premailer-*.json"))


def test_parsed_css_is_remembered_and_changes_nothing(workspace: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    without = _build(workspace, "")
    first = _build(workspace, str(cache))
    memo = _memo_files(cache)
    assert len(memo) == 1
    import json

    data = json.loads(memo[0].read_text())
    assert data["pairs"] and data["rules"]  # the style attributes and the theme's rules
    assert _build(workspace, str(cache)) == first == without


def test_a_damaged_css_memo_is_ignored(workspace: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = _build(workspace, str(cache))
    for damage in (b"{not json", b'{"pairs": {"color:red": 5}, "rules": {}}', b"[]"):
        _memo_files(cache)[0].write_bytes(damage)
        assert _build(workspace, str(cache)) == good


def test_a_changed_theme_css_is_parsed_again(workspace: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _build(workspace, str(cache))
    templates = workspace / "templates"
    templates.mkdir()
    css = (theme_dir() / "email.css.j2").read_text(encoding="utf-8")
    (templates / "email.css.j2").write_text(css + "\n.nl-p { word-spacing: 2px; }\n", encoding="utf-8")
    assert b"word-spacing:2px" in _build(workspace, str(cache)).replace(b" ", b"")
