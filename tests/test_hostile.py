"""Every hostile vector in every field that reaches the email: refused cleanly, or built with
nothing executable in the HTML and nothing surprising in the text part (tests/hostile/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINIMAL_SETTINGS
from hostile_cases import Vector, build_text, issue_with, load_vectors, make_workspace
from hostile_runner import ALL_FIELDS, run_jobs
from newsletter.errors import ContentError
from safety_checks import clean_error_problems, executable_problems, surprises

VECTORS = load_vectors()


@pytest.fixture(scope="module")
def hostile_ws(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    ws = make_workspace(tmp_path_factory.mktemp("hostile"), MINIMAL_SETTINGS)
    _, baseline, err = build_text(ws, "2026-06-02-baseline", issue_with(None, ""))
    assert err is None and baseline is not None, err
    return ws, baseline


def test_corpus_is_big_and_covers_every_family() -> None:
    families = {v.family for v in VECTORS}
    assert len(VECTORS) >= 100
    assert {"script", "events", "js_urls", "data_urls", "malformed", "svg_mathml", "css", "mjml", "jinja",
            "merge_tags"} <= families


def test_baseline_issue_is_clean(hostile_ws) -> None:  # type: ignore[no-untyped-def]
    _, baseline = hostile_ws
    assert executable_problems(baseline.html) == []
    assert baseline.html.count("*|FNAME|*") == 1 and baseline.text.count("*|FNAME|*") == 1


def test_checks_catch_executable_html() -> None:
    """The inspection must be able to fail: each of these is flagged."""
    bad = [
        "<p><script>alert(1)</script></p>",
        '<img src="x" onerror="alert(1)">',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>',
        '<div style="width:expression(alert(1))">x</div>',
        "<svg><a>x</a></svg>",
        '<!--[if mso]><img src=x onerror=alert(1)><![endif]-->',
        '<iframe srcdoc="x"></iframe>',
        '<a href="//evil.example/">x</a>',
    ]
    for html in bad:
        assert executable_problems(f"<html><body>{html}</body></html>"), html


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], list[str]]:
    """Every vector built in every field, one issue per (vector, field), in worker processes:
    (vector id, full pipeline?) -> failed checks. Each vector is also built through the full
    pipeline (.eml and quality gate included) in one field, the fields taken in turn."""
    jobs = []
    for n, vector in enumerate(VECTORS):
        jobs.append((vector, ALL_FIELDS, False))
        jobs.append((vector, (ALL_FIELDS[n % len(ALL_FIELDS)],), True))
    found: dict[tuple[str, bool], list[str]] = {}
    for vid, extras, failures in run_jobs(tmp_path_factory.mktemp("hostile-pool"), MINIMAL_SETTINGS, jobs):
        found[vid, extras] = failures
    assert len(found) == 2 * len(VECTORS)
    return found


@pytest.mark.parametrize("vector", VECTORS, ids=[v.id for v in VECTORS])
def test_vector_in_every_field(outcomes, vector: Vector) -> None:  # type: ignore[no-untyped-def]
    failures = outcomes[vector.id, False]
    assert not failures, f"{vector.text!r}:\n" + "\n".join(failures)


def test_every_vector_through_the_full_pipeline(outcomes) -> None:  # type: ignore[no-untyped-def]
    """The same checks with the .eml and the quality gate built too (each vector in one field)."""
    failures = [f"{v.id} {v.text!r}: {f}" for v in VECTORS for f in outcomes[v.id, True]]
    assert not failures, "\n".join(failures)


def test_the_workers_report_a_failing_check(tmp_path: Path) -> None:
    """The pool's plumbing can fail a test: a build that raises comes back named by its field."""
    reports = list(run_jobs(tmp_path / "ws", MINIMAL_SETTINGS, [(VECTORS[0], ("subject", "no_such_field"), False)]))
    assert reports == [(VECTORS[0].id, False, ["no_such_field: KeyError: 'no_such_field'"])]


# ---- regressions for bugs this corpus found ---------------------------------------------------


@pytest.mark.parametrize("where", ["subject", "body", "headline", "alt_text", "block_label"])
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0c", "\x0b"])
def test_control_character_is_a_clean_error_not_an_mrml_failure(hostile_ws, where: str, char: str) -> None:  # type: ignore[no-untyped-def]
    """A control character (C0, not tab/newline) used to reach MRML, which refused the whole
    document with a TemplateError naming no issue line."""
    ws, _ = hostile_ws
    path, result, err = build_text(ws, f"2026-06-02-control-{where}-{ord(char)}", issue_with(where, f"a{char}b"))
    assert result is None and isinstance(err, ContentError)
    assert clean_error_problems(err, path) == []
    # A raw NUL byte near the start marks the file as binary; a YAML-escaped one is named.
    expected = "binary" if char == "\x00" and where != "subject" else f"U+{ord(char):04X}"
    assert expected in err.format_message()


def test_lower_case_token_cannot_become_a_tag() -> None:
    """'nlmt0000t' in content, upper-cased by a theme, used to match the vault's token."""
    from newsletter.render.tags import TagVault

    vault = TagVault(avoid="headline: nlmt0000t")
    token = vault.token("*|FNAME|*")
    assert not token.startswith("NLMT")
    assert vault.restore("NLMT0000T " + token) == "NLMT0000T *|FNAME|*"
