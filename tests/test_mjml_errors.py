"""MRML errors are mapped back to the template file and line that wrote the broken MJML."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.render.mjml import _unbalanced_tag

FOOTER = """\
<mj-section>
  <mj-column>
    <mj-text>{{ settings.name }} left this open
  </mj-column>
</mj-section>
"""


def test_a_workspace_template_producing_invalid_mjml_names_its_file_and_line(workspace: Path) -> None:
    (workspace / "templates" / "partials").mkdir(parents=True)
    (workspace / "templates" / "partials" / "footer.mjml.j2").write_text(FOOTER, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in (workspace / "issues").iterdir()}
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    error = result.stderr.splitlines()[0]
    assert error.startswith("Error: templates/partials/footer.mjml.j2:3: MRML could not compile the theme's MJML: ")
    assert "'<mj-text>Test Dispatch left this open'" in error
    assert not (workspace / "out" / "2026-06-02-tides").exists()
    assert {p.name: p.read_bytes() for p in (workspace / "issues").iterdir()} == before


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_emit_mjml_writes_the_mjml_mrml_rejected_and_nothing_else(workspace: Path, jobs: str) -> None:
    """The error quotes 'email.mjml line N': --emit-mjml writes that file, so the line can be read.
    The last good email stays; nothing else is written. Two issues, so -j 2 uses worker processes."""
    issues = workspace / "issues"
    (issues / "2026-06-09-second.md").write_text((issues / "2026-06-02-tides.md").read_text(encoding="utf-8"),
                                                  encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    folder = workspace / "out" / "2026-06-02-tides"
    good = (folder / "email.html").read_bytes()
    (workspace / "templates" / "partials").mkdir(parents=True)
    (workspace / "templates" / "partials" / "footer.mjml.j2").write_text(FOOTER, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--emit-mjml", "-j", jobs])
    assert result.exit_code == 1
    assert "build --emit-mjml writes all of it" in result.stderr
    line = int(result.stderr.split("(email.mjml line ", 1)[1].split(":", 1)[0])
    mjml = (folder / "email.mjml").read_text(encoding="utf-8").split("\n")
    assert mjml[line - 1].strip() == "<mj-text>Test Dispatch left this open"
    assert (folder / "email.html").read_bytes() == good
    assert sorted(p.name for p in folder.iterdir()) == ["email.eml", "email.html", "email.mjml", "email.txt"]
    assert (workspace / "out" / "2026-06-09-second" / "email.mjml").is_file()


def test_a_jinja_error_in_a_workspace_template_names_its_file_and_line(workspace: Path) -> None:
    (workspace / "templates" / "partials").mkdir(parents=True)
    (workspace / "templates" / "partials" / "footer.mjml.j2").write_text(
        "<mj-section>\n{{ no_such_variable }}\n</mj-section>\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: templates/partials/footer.mjml.j2:2: template error: ")
    assert "'no_such_variable' is undefined" in result.stderr


def test_a_missing_include_names_the_including_template_and_line(workspace: Path) -> None:
    # It named email.mjml.j2 (the template rendered), without a line.
    (workspace / "templates" / "partials").mkdir(parents=True)
    (workspace / "templates" / "partials" / "footer.mjml.j2").write_text(
        '<mj-section>\n<mj-column>\n{% include "partials/socail.mjml.j2" %}\n</mj-column>\n</mj-section>\n',
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: templates/partials/footer.mjml.j2:3: template 'partials/socail.mjml.j2' not found"
                             " in the workspace templates/ or the theme\n")


@pytest.mark.parametrize("name, text, error", [
    ("email.txt.j2", "{{ 1/0 }}\n", "templates/email.txt.j2:1: template error: ZeroDivisionError: division by zero"),
    ("email.mjml.j2", '{% extends "email.mjml.j2" %}\n',
     "templates/email.mjml.j2:1: template error: the template includes or extends itself"),
])
def test_any_exception_a_template_raises_is_a_template_error(workspace: Path, name: str, text: str, error: str) -> None:
    # Before, these ended the build in a traceback (from the worker process, with several issues).
    (workspace / "templates").mkdir()
    (workspace / "templates" / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[0] == f"Error: {error}"


@pytest.mark.parametrize("name", ["email.mjml.j2", "partials/story.mjml.j2"])
def test_a_template_that_isnt_utf8_is_named_with_its_folder_and_line(workspace: Path, name: str) -> None:
    # Jinja's decoding error names no file; a partial's used to be blamed on the template including it.
    (workspace / "templates" / "partials").mkdir(parents=True)
    (workspace / "templates" / name).write_bytes(b"<mj-text>\n<p>\xd0\x00\xff</p></mj-text>\n")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[0] == (f"Error: templates/{name}:2: template error: the file isn't UTF-8 text"
                                             " (invalid continuation byte) (save it as UTF-8)")


@pytest.mark.parametrize(
    ("mjml", "at"),
    [
        ("<mjml><mj-body><mj-text>x</mj-text></mj-body></mjml>", None),
        ("<mjml><mj-body><mj-text>x</mj-body></mjml>", 15),  # the unclosed mj-text
        ("<mjml><mj-body></mj-text></mj-body></mjml>", 15),  # closes nothing
        ("<mjml><mj-body><mj-image src=\"a>b\" /></mj-body></mjml>", None),
        ("<mjml><mj-body>< </mj-body></mjml>", 15),
        ("<mjml><mj-body><mj-text><p>html</p></mj-text></mj-body>", 0),
    ],
)
def test_unbalanced_tag(mjml: str, at: int | None) -> None:
    assert _unbalanced_tag(mjml) == at
