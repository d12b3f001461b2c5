"""Shared fixtures: a fresh workspace per test, the repository's own workspace, and a real
headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("NEWSLETTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MINIMAL_SETTINGS = """\
name: Test Dispatch
tagline: A newsletter used by the tests.
language: en
sender:
  name: Test Dispatch
  email: desk@dispatch.example
web_url: https://dispatch.example/issues
signup_url: https://dispatch.example/subscribe
postal_address: 1 Test Street, Testville
unsubscribe_url: https://dispatch.example/unsubscribe
preferences_url: https://dispatch.example/preferences
"""

MINIMAL_ISSUE = """\
---
subject: "Tide tables for the week"
date: 2026-06-02
---
Good morning. This is the intro.

# The first story

The lede sentence comes first. Then [a link](https://dispatch.example/a).

## The News

The facts of the matter.
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal workspace with one issue, as the current folder."""
    root = tmp_path / "ws"
    (root / "issues").mkdir(parents=True)
    (root / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    (root / "issues" / "2026-06-02-tides.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def repo_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's own workspace (settings and example issues)."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    shutil.copytree(REPO / "issues", root / "issues")
    monkeypatch.chdir(root)
    return root


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A real headless Chromium. Fails (never skips) when it can't start: ./scripts/test installs it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    pg = context.new_page()
    yield pg
    context.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/<case>/email.html and email.txt from the current build (review the diff!)",
    )


@pytest.fixture(autouse=True)
def _no_yaml_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests in this process read YAML as PyYAML does: what an earlier test or session left in
    the YAML memo (newsletter/yamlmemo.py) must not decide a test. Its own tests turn it on."""
    from newsletter import yamlmemo

    monkeypatch.setattr(yamlmemo, "MEMO", yamlmemo.YamlMemo(enabled=False))
