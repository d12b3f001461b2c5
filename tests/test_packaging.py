"""`pip install .` works outside the repository: the wheel carries the default theme, and a
workspace's templates/ override theme files by name. Builds a real wheel into a fresh venv."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import MINIMAL_ISSUE, MINIMAL_SETTINGS, REPO

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert out.returncode == 0, f"{args} failed:\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(dest)], cwd=dest)
    (found,) = dest.glob("newsletter-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "env"
    run(["python3", "-m", "venv", "--system-site-packages", str(root)], cwd=root.parent)
    run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        cwd=root.parent)
    return root


def test_the_wheel_carries_the_theme(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = sorted(str(p.relative_to(REPO / "templates")) for p in (REPO / "templates").rglob("*") if p.is_file())
    assert "email.mjml.j2" in theme and "email.txt.j2" in theme
    for rel in theme:
        assert f"newsletter/theme/{rel}" in names, rel
    assert "newsletter/__main__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "issues/", "templates/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "newsletter = newsletter.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_package_builds_outside_the_repository(venv: Path, tmp_path: Path) -> None:
    python = str(venv / "bin" / "python")
    where = run([python, "-c", ("import json, newsletter, newsletter.render.theme as j; "
                 "print(json.dumps([newsletter.__file__, str(j.theme_dir())]))")], cwd=tmp_path).stdout
    module, theme = json.loads(where)
    assert module.startswith(str(venv)) and theme.startswith(str(venv)) and theme.endswith("newsletter/theme")

    ws = tmp_path / "ws"
    (ws / "issues").mkdir(parents=True)
    (ws / "newsletter.yaml").write_text(MINIMAL_SETTINGS, encoding="utf-8")
    (ws / "issues" / "2026-06-02-tides.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    out = run([str(venv / "bin" / "newsletter"), "build"], cwd=ws)
    assert out.stdout.startswith("out/2026-06-02-tides/email.html")
    html = (ws / "out" / "2026-06-02-tides" / "email.html").read_text(encoding="utf-8")
    assert "<title>Tide tables for the week</title>" in html and "The facts of the matter." in html

    # A workspace template overrides the packaged one of the same name; the others still come from the theme.
    (ws / "templates").mkdir()
    (ws / "templates" / "email.txt.j2").write_text("Custom text part for {{ settings.name }}\n", encoding="utf-8")
    run([str(venv / "bin" / "newsletter"), "build", "--force"], cwd=ws)
    assert (ws / "out" / "2026-06-02-tides" / "email.txt").read_text(encoding="utf-8") == \
        "Custom text part for Test Dispatch\n"
    assert (ws / "out" / "2026-06-02-tides" / "email.html").read_text(encoding="utf-8") == html

    version = run([python, "-m", "newsletter", "--version"], cwd=tmp_path).stdout
    assert version.startswith("newsletter, version ")
