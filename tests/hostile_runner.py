"""Builds of the hostile corpus spread over worker processes (test_hostile.py).

Every (vector, field) pair is still built on its own, exactly as before; the pairs are only
shared out among a few processes, each holding one workspace and its warm template
environment. The workers are started with "spawn" (a fresh interpreter), so they never
inherit the test process's threads (Playwright's, when the browser tests ran first).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Iterable, Iterator

from hostile_cases import FIELDS, Vector, build_text, issue_with, make_workspace

_WS = None  # the worker's own workspace (set by _start)
_BASELINE: tuple[str, str] | None = None  # (html, text) of the issue with no vector in it


def _start(root: str) -> None:
    global _WS, _BASELINE
    from newsletter.workspace import open_workspace

    _WS = open_workspace(Path(root))
    _, result, err = build_text(_WS, f"2026-06-02-baseline-{os.getpid()}", issue_with(None, ""))
    if result is None:
        raise RuntimeError(f"the baseline issue doesn't build: {err}")
    _BASELINE = (result.html, result.text)


def check_vector(vector: Vector, fields: Iterable[str], extras: bool) -> list[str]:
    """Build ``vector`` in each of ``fields``, one issue per field; every failed check, named by field.

    ``extras=False`` stops the build after the HTML and text parts (no .eml, no quality
    gate): those two are all this check looks at."""
    from newsletter.errors import ContentError
    from safety_checks import clean_error_problems, executable_problems, surprises

    assert _WS is not None and _BASELINE is not None
    base_html, base_text = _BASELINE
    failures: list[str] = []
    for field in fields:
        name = f"2026-06-02-{vector.id}-{field}" + ("-full" if extras else "")
        try:
            path, result, err = build_text(_WS, name, issue_with(field, vector.text), extras=extras)
        except Exception as e:  # noqa: BLE001 - anything but NewsletterError is the bug we look for
            failures.append(f"{field}: {type(e).__name__}: {e}")
            continue
        if err is not None:
            if not isinstance(err, ContentError):
                failures.append(f"{field}: {type(err).__name__} instead of ContentError: {err.format_message()}")
            failures.extend(f"{field}: {p}" for p in clean_error_problems(err, path))
            path.unlink()
            continue
        if result is None:
            failures.append(f"{field}: no result and no error")
            continue
        if extras and not result.eml:
            failures.append(f"{field}: the full build made no .eml")
        failures.extend(f"{field}: HTML: {p}" for p in executable_problems(result.html))
        expected_html = base_html
        if field == "preheader" and not result.issue.preheader_given:
            # A preheader that was only a placeholder without a fallback is empty, so the
            # issue has the default one: the lede's first sentence, with the baseline's tag.
            expected_html += result.issue.preheader
        failures.extend(f"{field}: HTML: {p}" for p in surprises(result.html, vector.text, expected_html))
        failures.extend(f"{field}: text: {p}" for p in surprises(result.text, vector.text, base_text))
        path.unlink()
    return failures


def _job(job: tuple[Vector, tuple[str, ...], bool]) -> tuple[str, bool, list[str]]:
    vector, fields, extras = job
    return vector.id, extras, check_vector(vector, fields, extras)


def workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def run_jobs(root: Path, settings: str, jobs: list[tuple[Vector, tuple[str, ...], bool]]) -> Iterator[tuple[str, bool, list[str]]]:
    """(vector id, extras, failures) for every job, built in ``workers()`` spawned processes."""
    make_workspace(root, settings)  # here, once: the workers only open it
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers(), initializer=_start, initargs=(str(root),)) as pool:
        yield from pool.imap_unordered(_job, jobs, chunksize=1)


ALL_FIELDS = tuple(FIELDS)
