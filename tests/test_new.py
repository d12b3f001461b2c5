"""`newsletter new`: a skeleton that builds as it is, hints that never reach the email, no overwrites."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.commands.new import skeleton, slugify
from newsletter.content import model as m
from newsletter.content.parse import parse_issue_text


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="newsletter")


@pytest.mark.parametrize(
    ("headline", "slug"),
    [
        ("Ports & Tides: What's Next?", "ports-tides-what-s-next"),
        ("Café  São Paulo", "cafe-sao-paulo"),
        ("東京", "issue"),
        ("Neue Straße", "neue-strasse"),  # was "neue-strae": ß has no accent to split off
        ("Æsir, Øresund, Łódź", "aesir-oresund-lodz"),
        ("A " + "very " * 30 + "long headline", "a" + "-very" * 11),
    ],
)
def test_slugify(headline: str, slug: str) -> None:
    assert slugify(headline) == slug
    assert len(slugify(headline)) <= 60


def test_new_creates_a_dated_file_that_builds_without_hints(workspace: Path) -> None:
    result = invoke("new", "Cranes return to Harlow", "--date", "2026-07-01")
    assert (result.exit_code, result.stdout) == (0, "Created issues/2026-07-01-cranes-return-to-harlow.md\n")
    built = invoke("build", "issues/2026-07-01-cranes-return-to-harlow.md")
    assert built.exit_code == 0, built.output
    out = workspace / "out" / "2026-07-01-cranes-return-to-harlow"
    html = (out / "email.html").read_text(encoding="utf-8")
    text = (out / "email.txt").read_text(encoding="utf-8")
    assert "Cranes return to Harlow" in html and "CRANES RETURN TO HARLOW" in text
    for hint in ("The Scoop", "Room for Disagreement", "Lisbon", "Presented by", "Grace", "example.com/photo",
                 "editor's", "Who said it"):
        assert hint not in html and hint not in text, hint


def test_new_defaults_to_today(workspace: Path) -> None:
    result = invoke("new", "Today")
    assert result.exit_code == 0
    assert (workspace / "issues" / f"{dt.date.today().isoformat()}-today.md").is_file()


def test_every_hint_builds_when_uncommented() -> None:
    text = skeleton("Headline", dt.date(2026, 7, 1))
    uncommented = "\n".join(line for line in text.split("\n") if line.strip() not in ("<!--", "-->"))
    issue = parse_issue_text("x.md", uncommented)
    (story,) = issue.stories
    assert [(s.kind, s.title) for s in story.sections] == [
        ("lede", ""), ("news", "The News"), ("scoop", "The Scoop"), ("know_more", "Know More"),
        ("step_back", "Step Back"), ("view", "Reporter's View"), ("disagreement", "Room for Disagreement"),
        ("view_from", "The View From Lisbon"), ("notable", "Notable"),
    ]
    figures = [b for s in story.sections for b in s.blocks if isinstance(b, m.Figure)]
    assert figures and figures[0].credit == "Photographer/Agency" and figures[0].caption == "Caption under the image"
    assert [c.kind for c in issue.callouts] == ["sponsor", "signup", "sitrep", "quote"]
    assert issue.callouts[-1].attribution == "Who said it"


def test_front_matter_hints_are_valid_keys() -> None:
    text = skeleton('He said "no": a\\b', dt.date(2026, 7, 1))
    uncommented = re.sub(r"(?m)^# (\w+:)", r"\1", text)
    issue = parse_issue_text("x.md", uncommented)
    assert issue.subject == 'He said "no": a\\b'
    assert issue.number == 1 and issue.author is not None


def test_new_never_overwrites(workspace: Path) -> None:
    path = workspace / "issues" / "2026-06-02-tides.md"
    before = path.read_bytes()
    result = invoke("new", "Tides", "--date", "2026-06-02")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("Error: issues/2026-06-02-tides.md: already exists; 'newsletter new' never overwrites"
                             " a file (edit that file, or pick another headline or --date)\n")
    assert path.read_bytes() == before


def test_new_creates_issues_folder(workspace: Path) -> None:
    for p in (workspace / "issues").iterdir():
        p.unlink()
    (workspace / "issues").rmdir()
    assert invoke("new", "First", "--date", "2026-01-05").exit_code == 0
    assert (workspace / "issues" / "2026-01-05-first.md").is_file()


def test_new_when_issues_is_a_file(workspace: Path) -> None:
    """Said as it is, not as 'already exists' (which the mkdir's error would have read as)."""
    for p in (workspace / "issues").iterdir():
        p.unlink()
    (workspace / "issues").rmdir()
    (workspace / "issues").write_text("notes", encoding="utf-8")
    result = invoke("new", "First", "--date", "2026-01-05")
    assert (result.exit_code, result.stderr) == (
        1, "Error: issues: is a file, not a folder: issues go in the folder issues/ (move or rename that file)\n")
    assert (workspace / "issues").read_text(encoding="utf-8") == "notes"


@pytest.mark.parametrize("date", ["2026-02-30", "2026-6-2", "02/06/2026", "tomorrow", "20260602"])
def test_bad_date_is_a_usage_error(workspace: Path, date: str) -> None:
    result = invoke("new", "Headline", "--date", date)
    assert result.exit_code == 2
    assert f"Error: Invalid value for '--date': {date!r} is not a real date" in result.stderr
    assert not list((workspace / "issues").glob("*headline*"))


def test_new_with_workspace_option_and_without_a_workspace(workspace: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = invoke("new", "Far away", "--date", "2026-08-01", "-C", str(workspace))
    assert result.exit_code == 0
    assert (workspace / "issues" / "2026-08-01-far-away.md").is_file()
    result = invoke("new", "Nowhere")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no newsletter.yaml found in this folder or any parent")
    assert not (elsewhere / "issues").exists()


def test_a_headline_that_opens_a_comment_still_builds(workspace: Path) -> None:
    # "# <!-- draft" opened a comment that swallowed the skeleton: the story had no headline.
    result = invoke("new", "<!-- draft", "--date", "2026-07-01")
    assert result.exit_code == 0, result.output
    built = invoke("build", "issues/2026-07-01-draft.md")
    assert built.exit_code == 0, built.output
    text = (workspace / "out" / "2026-07-01-draft" / "email.txt").read_text(encoding="utf-8")
    assert "<!-- DRAFT" in text or "<!-- draft" in text
