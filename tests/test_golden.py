"""Golden files: each tests/golden/<case>/ holds an issue.md (and optionally its own
newsletter.yaml; otherwise tests/golden/newsletter.yaml) with the expected email.html and
email.txt. The build's output is compared with them after normalising whitespace between
tags and at line ends.

The files change only on purpose: `python3 -m pytest tests/test_golden.py --update-golden`
rewrites them from the current build; review the diff before committing it.
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest

from newsletter.build import render_issue
from newsletter.settings import load_settings
from newsletter.workspace import Workspace

GOLDEN = Path(__file__).resolve().parent / "golden"
REPO = GOLDEN.parent.parent
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and (p / "issue.md").is_file())

#: Golden cases that are copies of this repository's example issues, kept in step by --update-golden.
EXAMPLES = {
    "example-single-story": REPO / "issues" / "2026-06-02-calder-bay-night-pilots.md",
    "example-multi-story": REPO / "issues" / "2026-06-05-harlow-cranes-and-low-water.md",
}


def normalise_html(html: str) -> str:
    """One tag per line, no whitespace between tags, no trailing spaces: layout whitespace
    MRML or premailer might vary never fails a test, while every attribute and word still counts."""
    html = re.sub(r">\s+<", "><", html.strip())
    html = re.sub(r"[ \t]+\n", "\n", html)
    return html.replace("><", ">\n<")


def normalise_text(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().split("\n")) + "\n"


def build_case(case: str, tmp_path: Path) -> tuple[str, str]:
    folder = GOLDEN / case
    settings_file = folder / "newsletter.yaml"
    if not settings_file.is_file():
        settings_file = GOLDEN / "newsletter.yaml"
    root = tmp_path / "ws"
    (root / "issues").mkdir(parents=True)
    shutil.copy(settings_file, root / "newsletter.yaml")
    issue = root / "issues" / f"{case}.md"
    shutil.copy(folder / "issue.md", issue)
    ws = Workspace(root, load_settings(root / "newsletter.yaml"))
    result = render_issue(ws, issue)
    return result.html, result.text


def _diff(expected: str, actual: str, name: str) -> str:
    lines = list(difflib.unified_diff(expected.split("\n"), actual.split("\n"), f"expected {name}", f"built {name}",
                                      lineterm="", n=1))
    shown = "\n".join(lines[:60])
    return f"{name} differs from the golden file (rerun with --update-golden if the change is intended):\n{shown}"


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    folder = GOLDEN / case
    update = request.config.getoption("--update-golden")
    if case in EXAMPLES and update:
        shutil.copy(EXAMPLES[case], folder / "issue.md")
    html, text = build_case(case, tmp_path)
    if update:
        (folder / "email.html").write_text(html, encoding="utf-8")
        (folder / "email.txt").write_text(text, encoding="utf-8")
    expected_html = (folder / "email.html").read_text(encoding="utf-8")
    expected_text = (folder / "email.txt").read_text(encoding="utf-8")
    assert normalise_html(html) == normalise_html(expected_html), _diff(
        normalise_html(expected_html), normalise_html(html), "email.html")
    assert normalise_text(text) == normalise_text(expected_text), _diff(
        normalise_text(expected_text), normalise_text(text), "email.txt")


@pytest.mark.parametrize("case", sorted(EXAMPLES))
def test_example_cases_match_the_example_issues(case: str) -> None:
    """The example goldens are copies of issues/; a changed example needs --update-golden."""
    assert (GOLDEN / case / "issue.md").read_bytes() == EXAMPLES[case].read_bytes(), (
        f"issues/{EXAMPLES[case].name} changed: rerun pytest tests/test_golden.py --update-golden")


def test_the_required_cases_exist() -> None:
    assert {"example-single-story", "example-multi-story", "merge-tags", "escaping"} <= set(CASES)


def test_normalising_keeps_words_and_attributes() -> None:
    """Normalising must never hide a real change: only whitespace between tags goes."""
    assert normalise_html("<p>a</p>\n  <p>b</p>") == normalise_html("<p>a</p><p>b</p>")
    assert normalise_html("<p>a b</p>") != normalise_html("<p>a  b</p>")
    assert normalise_html('<p class="x">a</p>') != normalise_html('<p class="y">a</p>')


def test_merge_tags_case_keeps_every_tag_byte_exact(tmp_path: Path) -> None:
    """Guards the golden file itself: a regenerated golden with mangled tags would still fail here."""
    html, text = build_case("merge-tags", tmp_path)
    for tag in ("*|FNAME|*", "*|MEMBER_ID|*", "*|LNAME|*", "*|EMAIL|*"):
        assert tag in html and tag in text, tag
    assert 'href="*|UNSUB|*"' in html and 'href="*|ARCHIVE|*"' in html
    assert 'href="https://harborwatch.example/account?id=*|UNIQID|*&amp;src=email"' in html  # tag exact, & escaped
    assert "%7C" not in html and "&#124;" not in html


def test_escaping_case_lets_nothing_executable_through(tmp_path: Path) -> None:
    html, text = build_case("escaping", tmp_path)
    lowered = html.lower()
    for bad in ("<script", "<iframe", "<b onclick", "<mj-", "</mj-"):
        assert bad not in lowered, bad
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered), "an event-handler attribute reached the email"
    assert "{{ 7*7 }}" in html and "49" not in text.split("Content is data")[1].split("\n")[0]
    assert "&lt;/mj-text&gt;" in html


@pytest.mark.slow
def test_golden_files_change_only_with_the_update_flag(tmp_path: Path) -> None:
    """Without --update-golden a mismatch fails and leaves the file alone; with it, the file
    is rewritten and the test passes. Runs a copy of this module in a separate pytest."""
    import subprocess
    import sys

    tests = tmp_path / "tests"
    case = tests / "golden" / "escaping"
    case.mkdir(parents=True)
    shutil.copy(Path(__file__), tests / "test_golden.py")
    (tests / "conftest.py").write_text(
        "def pytest_addoption(parser):\n    parser.addoption('--update-golden', action='store_true', default=False)\n",
        encoding="utf-8")
    shutil.copy(GOLDEN / "newsletter.yaml", tests / "golden" / "newsletter.yaml")
    for name in ("issue.md", "email.txt"):
        shutil.copy(GOLDEN / "escaping" / name, case / name)
    stale = (GOLDEN / "escaping" / "email.html").read_text(encoding="utf-8").replace("Entities stay", "Entities STAY")
    (case / "email.html").write_text(stale, encoding="utf-8")

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests / "test_golden.py"),
                               "-k", "test_golden and escaping", *extra],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)

    first = run()
    assert first.returncode == 1, first.stdout
    assert "rerun with --update-golden" in first.stdout
    assert (case / "email.html").read_text(encoding="utf-8") == stale
    second = run("--update-golden")
    assert second.returncode == 0, second.stdout
    assert "Entities STAY" not in (case / "email.html").read_text(encoding="utf-8")
