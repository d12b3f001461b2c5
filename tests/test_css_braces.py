"""A theme stylesheet whose braces don't pair stops the build at the template's line.

premailer and MRML read such CSS without a word: a rule left open swallowed the rules after
it, and the email lost most of its inlined style while build and check reported nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from newsletter.cli import cli
from newsletter.render.cssbraces import _unpaired

SLUG = "2026-06-02-tides"


@pytest.mark.parametrize(("css", "at"), [
    (".a { x: 1; }\n.b { y: 2; }\n", None),
    ("@media (max-width: 480px) { .a { x: 1 !important; } }", None),
    ('.a { content: "}"; } /* a } in a comment { */ .b { }', None),
    (".a { x: 1;\n.b { y: 2; }\n", 3),
    (".a { x: 1; }}\n", 12),
    ("@media print {\n.a { x: 1; }\n", 13),
    (".a { content: '{'; }", None),
])
def test_unpaired(css: str, at: int | None) -> None:
    assert _unpaired(css) == at


def _override(workspace: Path, name: str, old: str, new: str) -> Path:
    source = (REPO / "templates" / name).read_text(encoding="utf-8")
    assert old in source
    target = workspace / "templates" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("email.css.j2", ".nl-p { margin: 0 0 16px; }", ".nl-p { margin: 0 0 16px;",
     "the stylesheet has a rule whose '{' is never closed: '.nl-p { margin: 0 0 16px;'"),
    ("email.css.j2", ".nl-p { margin: 0 0 16px; }", ".nl-p { margin: 0 0 16px; }}",
     "the stylesheet has a '}' that closes no rule: '.nl-p { margin: 0 0 16px; }}'"),
    ("responsive.css.j2", "!important; }\n}\n", "!important; }\n\n",
     "the stylesheet has a rule whose '{' is never closed: '@media only screen and (max-width: 480px) {'"),
])
def test_unpaired_braces_in_a_workspace_stylesheet_stop_the_build_at_its_line(
        workspace: Path, name: str, old: str, new: str, message: str) -> None:
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    good = (workspace / "out" / SLUG / "email.html").read_bytes()
    target = _override(workspace, name, old, new)
    line = next(n for n, text in enumerate(target.read_text(encoding="utf-8").split("\n"), start=1)
                if text.strip() == message.split(": '", 1)[1].rstrip("'"))
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: templates/{name}:{line}: {message} (every '{{' needs its '}}'")
    assert (workspace / "out" / SLUG / "email.html").read_bytes() == good  # the last good email stays
