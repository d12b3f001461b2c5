"""The benchmark script's measures still run end to end (their figures go in the docs; here
only that they run, once each, on the example issue). A change to the CLI once broke them
unseen: a build without --emit-mjml removed the MJML the JS toolchain was to compile."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import run  # noqa: E402

ISSUE = REPO / "issues" / "2026-06-05-harlow-cranes-and-low-water.md"


def test_cold_build_against_the_js_toolchain(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so there is no JS toolchain to compare with")
    if not (REPO / ".tools" / "node_modules" / ".bin" / "juice").exists():
        pytest.fail("node is installed but mjml and juice are not: run ./scripts/test (it installs them into .tools/)")
    result = run.cold_build(tmp_path, ISSUE, runs=1)
    assert "js_note" not in result, result.get("js_note")
    ours, theirs = result["ours"], result["theirs"]
    assert len(ours.wall) == len(theirs.wall) == 1  # type: ignore[attr-defined]
    assert 0 < int(result["ours_bytes"]) < int(result["theirs_bytes"])  # type: ignore[call-overload]


def test_warm_rebuild(tmp_path: Path) -> None:
    result = run.warm_rebuild(tmp_path, ISSUE, runs=2)
    assert result["runs"] == 2
    assert 0 < result["frame"] <= result["wall"]
