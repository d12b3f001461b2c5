"""`newsletter init`: a workspace that builds, a settings file generated from the schema, no overwrites."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.commands.init import REQUIRED, settings_file
from newsletter.settings import iter_documented, load_settings


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="newsletter")


def test_init_scaffolds_a_workspace_that_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "letter")
    today = dt.date.today().isoformat()
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Created letter/newsletter.yaml\n"
        f"Created letter/issues/{today}-welcome.md\n"
        "Next: edit newsletter.yaml, then run: newsletter build -C letter\n"
    )
    monkeypatch.chdir(tmp_path / "letter")
    built = invoke("build")
    assert built.exit_code == 0, built.output
    assert built.stderr == ""  # no warnings either
    html = (tmp_path / "letter" / "out" / f"{today}-welcome" / "email.html").read_text(encoding="utf-8")
    text = (tmp_path / "letter" / "out" / f"{today}-welcome" / "email.txt").read_text(encoding="utf-8")
    assert "The Example Letter" in html and "How an issue file is put together" in text
    assert "Comments like this one" not in html + text


def test_init_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("init")
    assert result.exit_code == 0
    assert result.stdout.endswith("Next: edit newsletter.yaml, then run: newsletter build\n")


def test_settings_file_lists_every_documented_key() -> None:
    text = settings_file()
    for key, _default, doc in iter_documented():
        leaf = key.rsplit(".", 1)[-1]
        indent = "  " * key.count(".")
        assert f"{indent}# {doc}" in text, key
        assert f"\n{indent}{leaf}:" in text or f"\n{indent}# {leaf}:" in text, key


def test_settings_file_comments_uncomment_cleanly() -> None:
    """Removing every '# ' in front of a key gives valid settings equal to the defaults."""
    lines = []
    for line in settings_file().splitlines():
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        if body.startswith("# ") and ":" in body and not body[2:3].isupper():
            lines.append(indent + body[2:])
        elif not body.startswith("#"):
            lines.append(line)
    data = yaml.safe_load("\n".join(lines))
    assert data["theme"]["colors"]["text"] == "#1F1D1A"
    assert data["check"]["targets"][0] == "gmail.desktop-webmail"


def test_required_keys_are_marked_and_filled(tmp_path: Path) -> None:
    text = settings_file()
    data = yaml.safe_load(text)
    for key in REQUIRED:
        value = data
        for part in key.split("."):
            value = value[part]
        assert value, key
    assert text.count("REQUIRED.") == len(REQUIRED) + 1  # + the 'sender' group
    path = tmp_path / "newsletter.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_settings(path).warnings == []


@pytest.mark.parametrize("existing", ["newsletter.yaml", "issues/{today}-welcome.md"])
def test_init_refuses_to_overwrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: str) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / existing.format(today=dt.date.today().isoformat())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("mine\n", encoding="utf-8")
    result = invoke("init")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path.relative_to(tmp_path)}: already exists; 'newsletter init' never overwrites a file"
        " (choose an empty folder: newsletter init DIR)\n"
    )
    assert path.read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [path.name]


def test_init_into_a_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = invoke("init", "afile")
    # DIRECTORY names a file: a usage error (exit 2), as docs/commands.md says.
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Invalid value for 'DIRECTORY': afile is a file, but the workspace needs "
                                  "a folder here (move it away, or choose another folder)\n")
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x"


def test_init_hint_quotes_a_folder_with_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hint is a command to paste into a shell: a folder name with a space is quoted."""
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "my letter")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Next: edit newsletter.yaml, then run: newsletter build -C 'my letter'\n")


def test_init_checks_everything_before_writing_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "issues").write_text("not a folder", encoding="utf-8")
    result = invoke("init")
    assert (result.exit_code, result.stderr) == (
        1, "Error: issues: is a file, but the workspace needs a folder here (move it away, or choose another folder)\n")
    assert not (tmp_path / "newsletter.yaml").exists()


def test_init_over_a_dangling_link_names_the_link_not_its_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from newsletter.cli import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "i7").mkdir()
    (tmp_path / "i7" / "newsletter.yaml").symlink_to("../i7target.yaml")
    result = CliRunner().invoke(cli, ["init", "i7"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: i7/newsletter.yaml: already exists")
