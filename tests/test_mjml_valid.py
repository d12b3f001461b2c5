"""The MJML our theme emits passes the reference validator (the MJML project's own `mjml -v`).

MRML doesn't warn on unknown tags or attributes, so a typo in a template would compile
silently. `newsletter build --emit-mjml` writes the MJML after Jinja; the npm package mjml
(installed into .tools/ by ./scripts/test) validates it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli

REPO = Path(__file__).resolve().parent.parent
LOCAL_MJML = REPO / ".tools" / "node_modules" / ".bin" / "mjml"
EVERY_FEATURE = REPO / "tests" / "golden" / "every-feature" / "issue.md"
ISSUES = [
    REPO / "issues" / "2026-06-02-calder-bay-night-pilots.md",
    REPO / "issues" / "2026-06-05-harlow-cranes-and-low-water.md",
    EVERY_FEATURE,
]


def validator() -> str:
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so the reference MJML validator (npm package mjml) cannot run")
    if LOCAL_MJML.exists():
        return str(LOCAL_MJML)
    on_path = shutil.which("mjml")
    if on_path:
        return on_path
    pytest.fail("node is installed but the npm package mjml is not: run ./scripts/test (it installs it into .tools/)")


def emit_mjml(issue: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "issues").mkdir(parents=True)
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    shutil.copy(issue, root / "issues" / issue.name)
    result = CliRunner().invoke(cli, ["build", "-C", str(root), "--emit-mjml"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    mjml_file = root / "out" / issue.stem / "email.mjml"
    assert mjml_file.is_file(), result.output
    return mjml_file


def run_validator(mjml_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([validator(), "-v", str(mjml_file)], check=False, capture_output=True, text=True, timeout=120,
                          cwd=mjml_file.parent)


@pytest.mark.parametrize("issue", ISSUES, ids=[p.parent.name if p == EVERY_FEATURE else p.stem for p in ISSUES])
def test_emitted_mjml_passes_the_reference_validator(issue: Path, tmp_path: Path) -> None:
    mjml_file = emit_mjml(issue, tmp_path)
    done = run_validator(mjml_file)
    report = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, f"mjml -v rejected the theme's MJML for {issue.name}:\n{report}"
    assert "illegal" not in report and "doesn't exist" not in report, report


def test_the_validator_rejects_a_broken_template(tmp_path: Path) -> None:
    """The check above can fail: an unknown attribute, as a template typo would write, is reported."""
    mjml_file = emit_mjml(EVERY_FEATURE, tmp_path)
    text = mjml_file.read_text(encoding="utf-8")
    mjml_file.write_text(text.replace("<mj-text", '<mj-text colour="red"', 1), encoding="utf-8")
    done = run_validator(mjml_file)
    assert done.returncode != 0
    assert "colour" in done.stdout + done.stderr
