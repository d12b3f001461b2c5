"""Property-based tests for newsletter.yaml: whatever text any setting holds, the workspace
either builds or is refused with errors that name newsletter.yaml. Never a traceback, never a
quality-gate rule that crashed on it, and nothing executable in the email or its web page.

(Found this way: an ``unsubscribe_email`` with a line break ended the build in a traceback
from the email package, and a ``web_url`` with an unclosed '[' crashed the links rule.)
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_ISSUE, MINIMAL_SETTINGS
from newsletter.build import build
from newsletter.errors import NewsletterError
from newsletter.parallel import update_archive_index
from newsletter.settings import iter_documented
from newsletter.workspace import open_workspace
from safety_checks import executable_problems

#: Every setting that holds text (colours, URLs, addresses, names, the email service...).
TEXT_KEYS = sorted(key for key, default, _doc in iter_documented() if isinstance(default, str))

HOSTILE = [
    "", " ", "\n", "a\nBcc: all@evil.example", "x\r\nX-Injected: 1", "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "https://[unclosed.example/", "http://]x.example",
    "https://ok.example/a b", "https://ok.example/?q=<b>", "{{ 7*7 }}", "{% raw %}", "*|UNSUB|*", "%%fname%%",
    "</mj-text><mj-raw><script>x</script></mj-raw>", "desk@@example", "desk@example.com\nBcc: x@y.example",
    "#12345", "#GGGGGG", "mailchimp", "sendgrid", "postmark", "Europe/Lisbon", "Mars/Base", "en", "und",
    "漢字 ✉️ שלום", "\u202eevil", "\x00", "'", "\\", "https://ok.example/" + "a" * 300,
]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20),
                   st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=3).map("".join))


def _settings_text(changes: list[tuple[str, str]]) -> str:
    data: dict[str, Any] = yaml.safe_load(MINIMAL_SETTINGS)
    for key, value in changes:
        *parents, last = key.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture(scope="module")
def settings_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-settings")


@settings(max_examples=200, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(TEXT_KEYS), VALUES), min_size=1, max_size=3))
@example(changes=[("unsubscribe_email", "leave@dispatch.example\nBcc: all@evil.example")])
@example(changes=[("web_url", "http://[unclosed.example")])
def test_any_text_setting_builds_or_is_refused_cleanly(settings_root: Path, changes: list[tuple[str, str]]) -> None:
    root = Path(tempfile.mkdtemp(dir=settings_root))
    (root / "issues").mkdir()
    (root / "newsletter.yaml").write_text(_settings_text(changes), encoding="utf-8")
    (root / "issues" / "2026-06-02-tides.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    try:
        ws = open_workspace(root)
    except NewsletterError as e:
        assert all(Path(p.file).name == "newsletter.yaml" for p in e.problems), e.format_message()
        return
    outcomes = build(ws, None, jobs=1, archive=True)
    for outcome in outcomes:
        if outcome.error is not None:  # refused: said in one clear message, not a crash
            assert "Traceback" not in outcome.error.format_message()
            continue
        assert outcome.summary is not None
        crashed = [str(f) for f in outcome.summary.findings if f.rule == "check"]
        assert crashed == [], crashed
    if any(o.error is None for o in outcomes):
        update_archive_index(ws, outcomes)
    pages = sorted((root / "out").rglob("*.html"))
    assert pages or all(o.error is not None for o in outcomes)
    for page in pages:
        web_page = page.parent.parent.name == "archive" or page.parent.name == "archive"
        assert executable_problems(page.read_text(encoding="utf-8"), web_page=web_page) == [], page


#: Pieces of the YAML editors write, broken in the ways they break it.
_YAML_PIECES = ["subject: ", "date: ", "  ", "\t", ": ", ":", '"', "'", "It's", "x", "[", "]", "{", "}", "- ",
                "# ", "\n", "\n\n", "\r\n", "\u2028", "\x85", "&a ", "*a", "!!int ", "|", ">", "%", "@", "`"]


@given(st.lists(st.sampled_from(_YAML_PIECES), max_size=30).map("".join))
@settings(max_examples=400, deadline=None)
def test_every_yaml_mistake_is_explained_at_a_line_of_the_text(text: str) -> None:
    """explain() turns PyYAML's errors into an editor's words: it must never fail itself, and
    its line must be one of the text's lines (as PyYAML counts them)."""
    from newsletter.yamlsafe import SafeLoader, explain

    try:
        yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as e:
        line, reason, hint = explain(text, e)
        lines = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", text))
        assert 0 <= line < max(lines, 1) + 1 and reason and isinstance(hint, str)
