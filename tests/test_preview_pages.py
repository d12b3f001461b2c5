"""What the preview says about issues: the inbox-row preheader, index order, warning counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from newsletter.preview.pages import (
    PREHEADER_CHARS,
    cut_preheader,
    issue_date,
    newest_first,
    warning_count,
)
from newsletter.preview.state import Entry


def test_a_short_preheader_is_shown_whole_with_whitespace_collapsed() -> None:
    assert cut_preheader("  The lede\n  comes   first. ") == "The lede comes first."


def test_a_long_preheader_is_cut_as_an_inbox_row_cuts_it() -> None:
    text = "word " * 40
    cut = cut_preheader(text)
    assert len(cut) <= PREHEADER_CHARS and cut.endswith("\u2026")
    assert cut[:-1] == cut[:-1].rstrip()  # no space before the ellipsis
    assert cut_preheader("x" * PREHEADER_CHARS) == "x" * PREHEADER_CHARS


def _entry(name: str, date: dt.date | None = None, warnings: int = 0, findings: list[Any] | None = None) -> Entry:
    e = Entry(Path("/ws/issues") / name)
    if date is not None:
        e.result = SimpleNamespace(issue=SimpleNamespace(date=date), warnings=["w"] * warnings,  # type: ignore[assignment]
                                   findings=findings or [])
    return e


def test_index_order_is_front_matter_date_then_name_newest_first() -> None:
    entries = [
        _entry("2026-06-02-a.md", dt.date(2026, 6, 2)),
        _entry("zzz-undated-but-newest.md", dt.date(2026, 7, 1)),
        _entry("2026-06-02-b.md", dt.date(2026, 6, 2)),
        _entry("2026-05-01-broken.md"),  # no good build: the date comes from the file name
        _entry("notes-broken.md"),  # no date at all: last
    ]
    names = [e.path.name for e in newest_first(entries)]
    assert names == ["zzz-undated-but-newest.md", "2026-06-02-b.md", "2026-06-02-a.md",
                     "2026-05-01-broken.md", "notes-broken.md"]
    assert issue_date(_entry("2026-13-45-bad.md")) is None


@dataclass
class Finding:
    rule: str
    severity: str
    message: str = ""
    file: str = ""
    line: int = 0


def test_warnings_count_build_warnings_and_serious_findings_not_info() -> None:
    findings = [Finding("inbox", "warning"), Finding("compat", "info"), Finding("links", "error"), Finding("x", "info")]
    assert warning_count(_entry("a.md", dt.date(2026, 1, 1), warnings=2, findings=findings)) == 4
    assert warning_count(_entry("b.md")) == 0
