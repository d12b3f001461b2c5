"""The docs are tested: the settings table matches the schema, every command and option is documented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click
import pytest
from conftest import REPO

from newsletter.cli import cli
from newsletter.content.frontmatter import KEYS
from newsletter.content.model import CALLOUT_KINDS
from newsletter.settings import iter_documented

DOCS = REPO / "docs"


def load_script() -> object:
    spec = importlib.util.spec_from_file_location("settings_doc", REPO / "scripts" / "settings_doc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_doc_is_up_to_date() -> None:
    expected = load_script().render()  # type: ignore[attr-defined]
    actual = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/settings.md is out of date: run python3 scripts/settings_doc.py"


def test_settings_doc_lists_every_key() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for key, _, _ in iter_documented():
        assert f"| `{key}` |" in text


def test_commands_doc_names_every_command() -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"newsletter {name}" in text, name


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_is_documented(name: str) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    for param in cli.commands[name].params:
        if isinstance(param, click.Option) and not param.hidden:
            assert any(re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) for opt in param.opts), \
                f"{name} {param.opts} is in no docs/*.md page"


def test_issue_format_doc_covers_the_contract() -> None:
    text = (DOCS / "issue-format.md").read_text(encoding="utf-8")
    for key in KEYS:
        assert f"`{key}`" in text or f"{key}:" in text, key
    for kind in CALLOUT_KINDS:
        assert f"::: {kind}" in text, kind
    for section in ("The News", "The Scoop", "Know More", "Step Back", "Room for Disagreement", "Notable",
                    "{Name}'s View", "The View From {place}"):
        assert section in text, section
    for construct in ("<!--", "*|FNAME|*", "%%first_name|", "{credit=", "{.decorative}"):
        assert construct in text, construct


def test_the_issue_format_example_builds(tmp_path: Path) -> None:
    """The full example in docs/issue-format.md is a working issue."""
    from newsletter.content.parse import parse_issue_text

    text = (DOCS / "issue-format.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- full-example -->\n````markdown\n(.*?)````", text, re.DOTALL)
    assert match, "the full example is marked <!-- full-example --> and fenced with ````markdown"
    issue = parse_issue_text("example.md", match.group(1))
    assert issue.stories and issue.callouts and issue.intro


def test_readme_issue_example_builds(workspace: Path) -> None:
    """The README's issue example is a real issue: it builds with no errors or warnings."""
    from click.testing import CliRunner

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = readme.split("```markdown\n", 1)[1].split("\n```", 1)[0]
    target = workspace / "issues" / "2026-06-02-readme.md"
    target.write_text(example + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--strict", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_readme_starts_with_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh\n", 1)[1].split("\n```", 1)[0].splitlines()
    commands = [line.split("#", 1)[0].strip() for line in first_block]
    assert commands[0] == "pip install . && newsletter build"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
