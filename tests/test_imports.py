"""Imports only where they are needed: `newsletter --help` (and every command's --help)
must not load the rendering pipeline, and a build with nothing to rebuild must not load
premailer or MRML. Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("premailer", "lxml", "mjml", "cssutils", "markdown_it", "mdit_py_plugins", "requests")

PROBE = """
import json, sys
from newsletter.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="newsletter", standalone_mode=True)
except SystemExit as e:
    code = e.code
else:
    code = 0
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _loaded(args: list[str], cwd: Path | None = None) -> tuple[int, set[str]]:
    run = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    return int(report["code"] or 0), {m.split(".")[0] for m in report["modules"]}


def test_top_level_help_imports_nothing_heavy() -> None:
    code, modules = _loaded(["--help"])
    assert code == 0
    assert modules & set(HEAVY) == set()
    assert "newsletter" in modules  # the probe did load the CLI


def test_version_imports_nothing_heavy() -> None:
    code, modules = _loaded(["--version"])
    assert code == 0 and modules & set(HEAVY) == set()


@pytest.mark.parametrize("command", ["build", "init", "new"])
def test_command_help_imports_nothing_heavy(command: str) -> None:
    code, modules = _loaded([command, "--help"])
    assert code == 0
    assert modules & set(HEAVY) == set()


def test_a_build_with_nothing_to_rebuild_loads_no_part_of_the_pipeline(workspace: Path) -> None:
    code, modules = _loaded(["build"], cwd=workspace)
    assert code == 0
    assert {"premailer", "mjml"} <= modules  # the first build needs them
    code, modules = _loaded(["build"], cwd=workspace)
    assert code == 0
    assert modules & {*HEAVY, "jinja2"} == set()  # the cache key and the report need none of them


def test_the_wide_character_patterns_are_compiled_only_for_text_that_has_them(tmp_path: Path) -> None:
    """Their Unicode classes took 8 ms of every cold build: an issue in Latin script (curly
    quotes and dashes included) never compiles them; one with Japanese text does."""
    probe = """
import sys
from pathlib import Path
from newsletter.build import render_issue
from newsletter.render import text
from newsletter.workspace import open_workspace
ws = open_workspace(Path(sys.argv[1]))
render_issue(ws, Path(sys.argv[2]))
print(text._pattern.cache_info().currsize)
"""
    repo = Path(__file__).resolve().parent.parent
    example = (repo / "issues" / "2026-06-05-harlow-cranes-and-low-water.md").read_text(encoding="utf-8")
    latin = tmp_path / "2026-06-05-curly.md"
    latin.write_text(example.replace("'", "\u2019").replace(" -- ", " \u2014 ").replace("e ", "\u00e9 ", 3),
                     encoding="utf-8")
    assert not latin.read_text(encoding="utf-8").isascii()
    run = subprocess.run([sys.executable, "-c", probe, str(repo), str(latin)], capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout.split() == ["0"]
    japanese = tmp_path / "2026-06-02-minato.md"
    japanese.write_text(example.replace("# ", "# 港口の夜 ", 1), encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", probe, str(repo), str(japanese)], capture_output=True, text=True,
                         timeout=120, check=True)
    assert int(run.stdout.split()[-1]) >= 1


def test_every_dataclass_has_a_docstring() -> None:
    """Python 3.11's @dataclass gives a class without one a docstring made with
    inspect.signature, about 0.1 ms a class at every start; the build imports dozens."""
    import ast

    package = Path(__file__).resolve().parent.parent / "newsletter"
    missing = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ClassDef) and ast.get_docstring(node) is None
                    and any("dataclass" in ast.unparse(d) for d in node.decorator_list)):
                missing.append(f"{path.relative_to(package.parent)}: {node.name}")
    assert missing == []
