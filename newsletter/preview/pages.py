"""What the server says about issues: the index page and the JSON the preview page reads."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from urllib.parse import quote

from newsletter.build import GMAIL_CLIP_BYTES
from newsletter.errors import Problem, display_path
from newsletter.preview.state import Entry, PreviewState

#: How much of the preheader an inbox row shows after the subject (Gmail's web list is ~90-100).
PREHEADER_CHARS = 90

_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def cut_preheader(text: str, limit: int = PREHEADER_CHARS) -> str:
    """The preheader as an inbox row shows it: whitespace collapsed, cut at ``limit`` with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "\u2026"


def issue_date(entry: Entry) -> dt.date | None:
    """The front-matter date of the last good build, else the date a dated file name starts with."""
    if entry.result is not None:
        return entry.result.issue.date
    m = _DATED.match(entry.path.name)
    try:
        return dt.date.fromisoformat(m.group(1)) if m else None
    except ValueError:
        return None


def newest_first(entries: list[Entry]) -> list[Entry]:
    """Newest date first; same date (or none) by name, descending, so dated names agree."""
    return sorted(entries, key=lambda e: (issue_date(e) or dt.date.min, e.path.name), reverse=True)


def warning_count(entry: Entry) -> int:
    """Build warnings plus check findings of severity "warning" or "error" (not "info")."""
    if entry.result is None:
        return 0
    serious = [f for f in entry.result.findings if str(getattr(f, "severity", "")).lower() in ("warning", "error")]
    return len(entry.result.warnings) + len(serious)


def _problem(p: Problem) -> dict[str, Any]:
    return {"file": display_path(p.file) if p.file else "", "line": p.line, "message": p.message, "hint": p.hint}


def _finding(f: Any) -> dict[str, Any]:
    """Findings come from the check command; read them by attribute so any shape with these names works."""
    file = getattr(f, "file", "") or ""
    return {
        "rule": str(getattr(f, "rule", "") or ""),
        "severity": str(getattr(f, "severity", "") or ""),
        "message": str(getattr(f, "message", "") or f),
        "file": display_path(file) if file else "",
        "line": int(getattr(f, "line", 0) or 0),
    }


def issue_summary(state: PreviewState, entry: Entry) -> dict[str, Any]:
    """Everything the preview page shows around the frame."""
    r = entry.result
    settings = state.settings
    problems = state.settings_problems + entry.problems
    out: dict[str, Any] = {
        "slug": entry.slug,
        "file": display_path(entry.path),
        "version": entry.version,
        "epoch": state.epoch,
        "built": r is not None,
        "errors": [_problem(p) for p in problems],
        "sender": {"name": settings.sender.name, "email": settings.sender.email} if settings else None,
        "limit_bytes": GMAIL_CLIP_BYTES,
        "has_eml": (state.root / "out" / entry.slug / "email.eml").is_file(),
        "settings_warnings": list(state.settings_warnings),
    }
    if r is not None:
        out.update({
            "subject": r.issue.subject,
            "date": r.issue.date.isoformat(),
            "preheader": cut_preheader(r.issue.preheader),
            "html_bytes": r.html_bytes,
            "words": r.words,
            "reading_minutes": r.reading_minutes,
            "warnings": list(r.warnings),
            "findings": [_finding(f) for f in r.findings],
        })
    return out


INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview: {title}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/preview.css"></head>
<body class="index"><main>
<h1>{title}</h1>
{banner}
<table class="issues">
<thead><tr><th>Issue</th><th>Date</th><th>HTML size</th><th>Warnings</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</main><script src="/static/index.js"></script></body></html>
"""


def printable(text: str) -> str:
    """``text`` as the terminal shows it: a file name's bytes that aren't UTF-8 (held as lone
    surrogates) written as ``\\udcff``, so the page can be encoded at all."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


#: A name the server answers for as one path segment: no separator (a backslash is refused as
#: one), control character or leading dot (newsletter/preview/server.py, ``split_path``).
SEGMENT = re.compile(r"^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]*$")
#: What the preview says of an issue whose name no address can carry, and `build` accepts.
UNADDRESSABLE = "the preview can't show a file whose name has a backslash"
UNADDRESSABLE_HINT = "rename it (newsletter build builds it as it is)"


def issue_link(slug: str) -> str | None:
    """The issue page's address, or None when no address can name it: a name that isn't UTF-8
    (a request path is decoded as UTF-8; `build` refuses such a name anyway), or one the
    server refuses in a path (a backslash, a control character)."""
    if not SEGMENT.match(slug):
        return None
    try:
        return "/issue/" + quote(slug, safe="", errors="strict")
    except UnicodeEncodeError:
        return None


def index_page(state: PreviewState) -> str:
    title = html.escape(state.settings.name if state.settings else display_path(state.root))
    rows = []
    for e in newest_first(state.snapshot()):
        r = e.result
        subject = html.escape(r.issue.subject if r else printable(e.path.name))
        date = issue_date(e)
        size = f"{r.html_bytes / 1024:.1f} KB" if r else "&ndash;"
        # Never built because the settings are broken: that is a failed build too.
        failed = e.problems or (r is None and state.settings_problems)
        status = ' <span class="badge error">build error</span>' if failed else ""
        link = issue_link(e.slug)
        if link is None:  # no page to go to: the row says what is wrong instead
            said = [printable(str(p)) for p in e.problems] or [f"{UNADDRESSABLE}: {UNADDRESSABLE_HINT}"]
            errors = "; ".join(html.escape(text) for text in said)
            cell = f'{subject}{status} <span class="problem">{errors}</span>'
        else:
            cell = f'<a href="{html.escape(link)}">{subject}</a>{status}'
        rows.append(
            f"<tr><td>{cell}</td>"
            f"<td>{date.isoformat() if date else ''}</td><td>{size}</td><td>{warning_count(e)}</td></tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="4">No issues yet: create one with <code>newsletter new "Headline"</code>.</td></tr>')
    banner = ""
    if state.settings_problems:
        items = "".join(f"<li>{html.escape(str(p))}</li>" for p in state.settings_problems)
        banner = f'<div class="banner error"><strong>Settings error</strong><ul>{items}</ul></div>'
    if state.settings_warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in state.settings_warnings)
        banner += f'<div class="banner warning"><strong>Settings warning</strong><ul>{items}</ul></div>'
    return INDEX.format(title=title, banner=banner, rows="\n".join(rows))

