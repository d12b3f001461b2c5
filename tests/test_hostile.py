"""Every hostile vector in every field that reaches the email: refused cleanly, or built with
nothing executable in the HTML and nothing surprising in the text part (tests/hostile/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINIMAL_SETTINGS
from hostile_cases import FIELDS, Vector, build_text, issue_with, load_vectors, make_workspace
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


def check_vector(ws, baseline, vector: Vector) -> list[str]:  # type: ignore[no-untyped-def]
    failures: list[str] = []
    for field in FIELDS:
        name = f"2026-06-02-{vector.id}-{field}"
        try:
            path, result, err = build_text(ws, name, issue_with(field, vector.text))
        except Exception as e:  # noqa: BLE001 - anything but NewsletterError is the bug we look for
            failures.append(f"{field}: {type(e).__name__}: {e}")
            continue
        if err is not None:
            if not isinstance(err, ContentError):
                failures.append(f"{field}: {type(err).__name__} instead of ContentError: {err.format_message()}")
            failures.extend(f"{field}: {p}" for p in clean_error_problems(err, path))
            continue
        assert result is not None
        failures.extend(f"{field}: HTML: {p}" for p in executable_problems(result.html))
        failures.extend(f"{field}: HTML: {p}" for p in surprises(result.html, vector.text, baseline.html))
        failures.extend(f"{field}: text: {p}" for p in surprises(result.text, vector.text, baseline.text))
        path.unlink()
    return failures


@pytest.mark.parametrize("vector", VECTORS, ids=[v.id for v in VECTORS])
def test_vector_in_every_field(hostile_ws, vector: Vector) -> None:  # type: ignore[no-untyped-def]
    ws, baseline = hostile_ws
    failures = check_vector(ws, baseline, vector)
    assert not failures, f"{vector.text!r}:\n" + "\n".join(failures)


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
