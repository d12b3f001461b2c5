"""The incremental build cache (newsletter/cache.py, newsletter/parallel.py): it rebuilds
exactly what changed and never trusts a cache that no longer matches the outputs.

"Rebuilt" is observed through the file system: write_atomic replaces a file, so a rebuilt
output gets a new inode, and an untouched one keeps its inode and bytes.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import newsletter
from newsletter.build import build
from newsletter.checks import Finding as CheckFinding
from newsletter.cache import CACHE_NAME, FORMAT, BuildCache, IssueSummary, _decode, _encode, _finding_key
from newsletter.cli import cli
from newsletter.render.theme import theme_dir
from newsletter.workspace import open_workspace

ISSUE = """\
---
subject: "{subject}"
date: 2026-06-0{day}
---
Good morning. This is issue {n}.

# Story {n}

The lede sentence of story {n}. Then [a link](https://dispatch.example/{n}).

## The News

The facts of story {n}.
"""


def _write_issues(root: Path, count: int = 3) -> list[Path]:
    paths = []
    for n in range(1, count + 1):
        p = root / "issues" / f"2026-06-0{n}-story-{n}.md"
        p.write_text(ISSUE.format(subject=f"Subject {n}", day=n, n=n), encoding="utf-8")
        paths.append(p)
    return paths


@pytest.fixture(autouse=True)
def private_theme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the default theme: the repository's templates/ may change while tests run
    (and a changed theme rightly rebuilds everything)."""
    import shutil

    import newsletter.render.theme as theme_module

    theme = tmp_path / "theme"
    shutil.copytree(theme_dir(), theme)
    monkeypatch.setattr(theme_module, "theme_dir", lambda: theme)
    return theme


@pytest.fixture
def ws_root(workspace: Path) -> Path:
    """The conftest workspace with three more issues (four in all)."""
    _write_issues(workspace)
    return workspace


def _inodes(root: Path) -> dict[str, int]:
    """Output file (relative to out/) -> inode, for every email.* output."""
    out = root / "out"
    return {p.relative_to(out).as_posix(): p.stat().st_ino for p in sorted(out.glob("*/email.*"))}


def _rebuilt(before: dict[str, int], after: dict[str, int]) -> set[str]:
    """The out/<slug> folders whose outputs were written again."""
    return {k.split("/")[0] for k in after if before.get(k) != after[k]}


def _build(root: Path, **kw: object) -> list:  # type: ignore[type-arg]
    return build(open_workspace(root), **kw)  # type: ignore[arg-type]


def _slugs(root: Path) -> set[str]:
    return {p.stem for p in (root / "issues").glob("*.md")}


def test_nothing_changed_rebuilds_nothing(ws_root: Path) -> None:
    first = _build(ws_root)
    assert all(o.error is None and not o.cached for o in first)
    before = _inodes(ws_root)
    second = _build(ws_root)
    assert [o.cached for o in second] == [True] * 4
    assert _inodes(ws_root) == before
    # the cached report is the same report
    assert [o.summary for o in second] == [o.summary for o in first]


def test_editing_one_issue_rebuilds_only_it(ws_root: Path) -> None:
    _build(ws_root)
    before = _inodes(ws_root)
    issue = ws_root / "issues" / "2026-06-02-story-2.md"
    issue.write_text(issue.read_text().replace("The facts of story 2.", "Newer facts of story 2."))
    outcomes = _build(ws_root)
    assert _rebuilt(before, _inodes(ws_root)) == {"2026-06-02-story-2"}
    assert [o.path.name for o in outcomes if not o.cached] == ["2026-06-02-story-2.md"]
    assert "Newer facts of story 2." in (ws_root / "out/2026-06-02-story-2/email.txt").read_text()


def test_template_edit_rebuilds_everything(ws_root: Path) -> None:
    _build(ws_root)
    before = _inodes(ws_root)
    templates = ws_root / "templates"
    templates.mkdir()
    import newsletter.render.theme as theme_module

    css = (theme_module.theme_dir() / "email.css.j2").read_text(encoding="utf-8")
    (templates / "email.css.j2").write_text(css + "\n.never-used-class { color: #123456; }\n", encoding="utf-8")
    _build(ws_root)
    assert _rebuilt(before, _inodes(ws_root)) == _slugs(ws_root)
    # and a second edit of the same workspace template rebuilds everything again
    before = _inodes(ws_root)
    (templates / "email.css.j2").write_text(css + "\n.other-class { color: #654321; }\n", encoding="utf-8")
    _build(ws_root)
    assert _rebuilt(before, _inodes(ws_root)) == _slugs(ws_root)


def test_settings_edit_rebuilds_everything(ws_root: Path) -> None:
    _build(ws_root)
    before = _inodes(ws_root)
    config = ws_root / "newsletter.yaml"
    config.write_text(config.read_text().replace("A newsletter used by the tests.", "Another tagline."))
    _build(ws_root)
    assert _rebuilt(before, _inodes(ws_root)) == _slugs(ws_root)
    assert "Another tagline." in (ws_root / "out/2026-06-01-story-1/email.html").read_text()


def test_package_version_change_rebuilds_everything(ws_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(ws_root)
    before = _inodes(ws_root)
    monkeypatch.setattr(newsletter, "__version__", newsletter.__version__ + ".post1")
    outcomes = _build(ws_root)
    assert not any(o.cached for o in outcomes)
    assert _rebuilt(before, _inodes(ws_root)) == _slugs(ws_root)


def test_a_full_build_keeps_the_output_of_an_issue_built_by_name_from_elsewhere(ws_root: Path) -> None:
    """'build drafts/x.md' then 'build': the draft's out/x/ was removed as if its file were gone."""
    drafts = ws_root / "drafts"
    drafts.mkdir()
    draft = drafts / "2026-09-01-draft.md"
    draft.write_text((ws_root / "issues" / "2026-06-01-story-1.md").read_text(), encoding="utf-8")
    _build(ws_root, paths=[draft])
    _build(ws_root)
    assert (ws_root / "out/2026-09-01-draft/email.html").exists()
    assert all(o.cached for o in _build(ws_root, paths=[draft]))
    draft.unlink()  # and once the file is gone, the next full build removes it
    _build(ws_root)
    assert not (ws_root / "out/2026-09-01-draft").exists()


def test_a_change_to_the_packages_files_rebuilds_everything(ws_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git pull into an editable install changes the code, not the version: the cache must
    not keep outputs (and findings) the old code made."""
    from newsletter import cache as cache_module

    _build(ws_root)
    before = _inodes(ws_root)
    assert all(o.cached for o in _build(ws_root))
    real = cache_module.code_stamp
    monkeypatch.setattr(cache_module, "code_stamp", lambda folder: real(folder) + "-changed")
    outcomes = _build(ws_root)
    assert not any(o.cached for o in outcomes)
    assert _rebuilt(before, _inodes(ws_root)) == _slugs(ws_root)


def test_code_stamp_follows_the_files_not_their_bytecode(tmp_path: Path) -> None:
    from newsletter.cache import code_stamp

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "pkg" / "sub" / "data.json").write_text("{}", encoding="utf-8")
    first = code_stamp(tmp_path / "pkg")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert code_stamp(tmp_path / "pkg") == first
    os.utime(tmp_path / "pkg" / "sub" / "data.json", ns=(1, 1))
    assert code_stamp(tmp_path / "pkg") != first
    second = code_stamp(tmp_path / "pkg")
    (tmp_path / "pkg" / "a.py").write_text("x = 22\n", encoding="utf-8")
    os.utime(tmp_path / "pkg" / "a.py", ns=(1, 1))
    assert code_stamp(tmp_path / "pkg") not in (first, second)  # same time, another size


def test_deleted_issue_removes_its_output_on_a_full_build(ws_root: Path) -> None:
    _build(ws_root)
    gone = ws_root / "issues" / "2026-06-03-story-3.md"
    gone.unlink()
    # a build of named issues leaves other issues' outputs alone
    _build(ws_root, paths=[ws_root / "issues" / "2026-06-01-story-1.md"])
    assert (ws_root / "out/2026-06-03-story-3/email.html").exists()
    _build(ws_root)
    assert not (ws_root / "out/2026-06-03-story-3").exists()
    assert (ws_root / "out/2026-06-02-story-2/email.html").exists()
    cache = BuildCache(open_workspace(ws_root)).load()
    assert "issues/2026-06-03-story-3.md" not in cache.entries
    assert "issues/2026-06-02-story-2.md" in cache.entries


def test_full_build_leaves_unknown_folders_in_out_alone(ws_root: Path) -> None:
    (ws_root / "out" / "hand-made").mkdir(parents=True)
    (ws_root / "out" / "hand-made" / "notes.txt").write_text("mine")
    _build(ws_root)
    (ws_root / "issues" / "2026-06-01-story-1.md").unlink()
    _build(ws_root)
    assert (ws_root / "out/hand-made/notes.txt").read_text() == "mine"
    assert not (ws_root / "out/2026-06-01-story-1").exists()


@pytest.mark.parametrize("garbage", ["{not json", "", "[1, 2, 3]", '{"format": 999, "issues": {}}',
                                     '{"format": 2, "issues": {"issues/x.md": 5}}',
                                     '{"format": 2, "issues": {"issues/2026-06-01-story-1.md": {"key": 1}}}'])
def test_corrupt_cache_is_discarded_and_rewritten(ws_root: Path, garbage: str) -> None:
    _build(ws_root)
    before = _inodes(ws_root)
    cache_file = ws_root / "out" / CACHE_NAME
    cache_file.write_text(garbage)
    outcomes = _build(ws_root)
    assert all(o.error is None and not o.cached for o in outcomes)
    assert _rebuilt(before, _inodes(ws_root)) == _slugs(ws_root)
    data = json.loads(cache_file.read_text())
    assert len(data["issues"]) == 4
    assert all(o.cached for o in _build(ws_root))


def test_cache_with_a_wrong_key_is_not_trusted(ws_root: Path) -> None:
    _build(ws_root)
    cache_file = ws_root / "out" / CACHE_NAME
    data = json.loads(cache_file.read_text())
    data["issues"]["issues/2026-06-01-story-1.md"]["key"] = "0" * 64
    cache_file.write_text(json.dumps(data))
    outcomes = _build(ws_root)
    assert [o.path.name for o in outcomes if not o.cached] == ["2026-06-01-story-1.md"]


def test_edited_or_missing_output_is_rebuilt(ws_root: Path) -> None:
    _build(ws_root)
    html = ws_root / "out/2026-06-01-story-1/email.html"
    good = html.read_bytes()
    html.write_bytes(good.replace(b"Story 1", b"Tampered"))
    txt = ws_root / "out/2026-06-02-story-2/email.txt"
    good_txt = txt.read_bytes()
    txt.unlink()
    outcomes = _build(ws_root)
    assert sorted(o.path.name for o in outcomes if not o.cached) == ["2026-06-01-story-1.md", "2026-06-02-story-2.md"]
    assert html.read_bytes() == good
    assert txt.read_bytes() == good_txt


def test_emit_mjml_is_part_of_the_key(ws_root: Path) -> None:
    _build(ws_root)
    _build(ws_root, emit_mjml=True)
    assert (ws_root / "out/2026-06-01-story-1/email.mjml").exists()
    assert all(o.cached for o in _build(ws_root, emit_mjml=True))


def test_failed_issue_is_never_cached_and_keeps_last_good_output(ws_root: Path) -> None:
    _build(ws_root)
    issue = ws_root / "issues" / "2026-06-02-story-2.md"
    good_html = (ws_root / "out/2026-06-02-story-2/email.html").read_bytes()
    issue.write_text(issue.read_text().replace("date: 2026-06-02", "date: not-a-date"))
    for _ in range(2):
        outcomes = _build(ws_root)
        failed = [o for o in outcomes if o.error is not None]
        assert [o.path.name for o in failed] == ["2026-06-02-story-2.md"]
        assert failed[0].error.file.endswith("2026-06-02-story-2.md")
        assert (ws_root / "out/2026-06-02-story-2/email.html").read_bytes() == good_html
    # Back to the bytes of the last good build: its outputs are current again.
    issue.write_text(issue.read_text().replace("date: not-a-date", "date: 2026-06-02"))
    assert all(o.cached for o in _build(ws_root))
    # A fix that changes the content rebuilds it.
    issue.write_text(issue.read_text().replace("date: 2026-06-02", "date: 2026-06-09"))
    assert [o.path.name for o in _build(ws_root) if not o.cached] == ["2026-06-02-story-2.md"]


def test_cli_force_rebuilds_everything_and_reports_the_same_lines(ws_root: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["build"])
    assert first.exit_code == 0, first.output
    before = _inodes(ws_root)
    cached = runner.invoke(cli, ["build"])
    assert cached.exit_code == 0
    assert _inodes(ws_root) == before
    forced = runner.invoke(cli, ["build", "--force"])
    assert forced.exit_code == 0
    assert _rebuilt(before, _inodes(ws_root)) == _slugs(ws_root)
    lines = [line for line in first.stdout.splitlines() if line.endswith("min read")]
    assert len(lines) == 4 and all("/email.html" in line and " words " in line for line in lines)
    assert cached.stdout == first.stdout == forced.stdout


def test_cache_lives_in_out_and_is_written_atomically(ws_root: Path) -> None:
    _build(ws_root)
    cache_file = ws_root / "out" / CACHE_NAME
    data = json.loads(cache_file.read_text())
    assert data["format"] == FORMAT and data["version"] == newsletter.__version__
    assert not [p for p in (ws_root / "out").iterdir() if p.name.endswith(".tmp")]
    entry = data["issues"]["issues/2026-06-01-story-1.md"]
    assert set(entry["summary"]["outputs"]) >= {"2026-06-01-story-1/email.html", "2026-06-01-story-1/email.txt"}


# --- findings survive the cache as the same objects ---------------------------------------

class Level(enum.Enum):
    WARN = "warn"
    FAIL = "fail"


@dataclasses.dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    where: tuple[str, int]
    path: Path
    extra: dict[str, object] = dataclasses.field(default_factory=dict)


def test_findings_round_trip_through_the_cache_encoding() -> None:
    f = Finding("alt-text", Level.FAIL, ("issues/x.md", 12), Path("out/x/email.html"), {"n": [1, 2], "s": None})
    encoded = json.loads(json.dumps(_encode([f, "plain", 3])))
    assert _decode(encoded) == [f, "plain", 3]


class Tone(str, enum.Enum):
    LOUD = "loud"


@dataclasses.dataclass(frozen=True)
class Flat:
    text: object
    line: object = 0


def test_values_that_only_look_plain_keep_their_type_through_the_encoding() -> None:
    # The encoder passes exact str and int values of a dataclass straight through; whatever
    # else a field holds (a nested dataclass, a tuple, a bool, a float, a str enum) must still
    # be encoded so that it comes back as what it was (a str enum comes back as its str).
    for value in (True, False, 1.5, Tone.LOUD, Flat("x", 2), ("a", 1), None, "", 0):
        encoded = json.loads(json.dumps(_encode(Flat(value, value))))
        assert _decode(encoded) == Flat(value, value)
        assert type(_decode(encoded).text) is type(value if not isinstance(value, Tone) else "")


def test_findings_share_a_table_entry_exactly_when_their_json_is_equal() -> None:
    values = [1, True, 1.0, "1", None, 0, False, "", 2, "x", [1], {"a": 1}, ("t",)]
    encodings = [_encode(Flat(a, b)) for a in values for b in values]
    encodings += [{"__dataclass__": "m:Flat", "fields": {"line": 1, "text": "x"}}, [1, 2], "plain", 7]
    for a in encodings:
        for b in encodings:
            same_json = json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
            assert (_finding_key(a) == _finding_key(b)) == same_json, (a, b)


def test_unstorable_findings_leave_the_issue_uncached(ws_root: Path) -> None:
    cache = BuildCache(open_workspace(ws_root))
    summary = IssueSummary("s", 1, 1, 1, findings=[object()], outputs={"email.html": "0" * 64})
    cache.record("issues/s.md", "k", summary)
    assert "issues/s.md" not in cache.entries


def test_cached_findings_come_back(ws_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import newsletter.build as b

    real = b.render_issue
    finding = CheckFinding("links", "warning", "a link", "out/x/email.html", 1, issue="elsewhere.md")

    def with_finding(ws, path):  # type: ignore[no-untyped-def]
        result = real(ws, path)
        result.findings.append(finding)
        return result

    monkeypatch.setattr(b, "render_issue", with_finding)
    fresh = _build(ws_root, jobs=1)
    cached = _build(ws_root, jobs=1)
    assert all(o.cached for o in cached)
    assert [o.summary.findings for o in cached] == [o.summary.findings for o in fresh]
    assert all(o.summary.findings[-1] == finding for o in cached)


def test_unreadable_issue_is_reported_not_cached(ws_root: Path) -> None:
    missing = ws_root / "issues" / "nope.md"
    outcomes = _build(ws_root, paths=[missing])
    assert outcomes[0].error is not None
    assert "nope.md" in str(outcomes[0].error)
    assert "issues/nope.md" not in BuildCache(open_workspace(ws_root)).load().entries


# --- the web archive is built and cached with the issues -----------------------------------

def _archive_inodes(root: Path) -> dict[str, int]:
    out = root / "out" / "archive"
    return {p.relative_to(out).as_posix(): p.stat().st_ino for p in sorted(out.rglob("*")) if p.is_file()}


def test_archive_pages_and_index_are_cached(ws_root: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["build"]).exit_code == 0
    before = _archive_inodes(ws_root)
    assert set(before) == {"index.html", "feed.xml"} | {f"{s}/index.html" for s in _slugs(ws_root)}
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert _archive_inodes(ws_root) == before  # nothing changed: nothing written

    issue = ws_root / "issues" / "2026-06-02-story-2.md"
    issue.write_text(issue.read_text().replace('subject: "Subject 2"', 'subject: "A new subject"'))
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0
    after = _archive_inodes(ws_root)
    assert {k for k in after if after[k] != before[k]} == {"index.html", "feed.xml", "2026-06-02-story-2/index.html"}
    assert "A new subject" in (ws_root / "out/archive/index.html").read_text()
    assert "web archive of 4 issues" in result.stdout


def test_archive_page_edited_or_index_deleted_is_rebuilt(ws_root: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["build"]).exit_code == 0
    page = ws_root / "out/archive/2026-06-01-story-1/index.html"
    good = page.read_bytes()
    page.write_bytes(b"tampered")
    (ws_root / "out/archive/feed.xml").unlink()
    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert page.read_bytes() == good
    assert (ws_root / "out/archive/feed.xml").exists()


def test_deleted_issue_leaves_the_archive(ws_root: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["build"]).exit_code == 0
    (ws_root / "issues" / "2026-06-03-story-3.md").unlink()
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0 and "web archive of 3 issues" in result.stdout
    assert not (ws_root / "out/archive/2026-06-03-story-3").exists()
    assert "Subject 3" not in (ws_root / "out/archive/index.html").read_text()


def test_archive_matches_a_from_scratch_archive(ws_root: Path, tmp_path: Path) -> None:
    """The cached, parallel archive writes the same bytes as build_archive in one go."""
    from newsletter.deliver.archive import build_archive

    runner = CliRunner()
    assert runner.invoke(cli, ["build", "-j", "2"]).exit_code == 0
    ours = {k: (ws_root / "out/archive" / k).read_bytes() for k in _archive_inodes(ws_root)}
    shutil_root = ws_root / "out" / "archive"
    import shutil

    shutil.rmtree(shutil_root)
    build_archive(open_workspace(ws_root))
    theirs = {k: (ws_root / "out/archive" / k).read_bytes() for k in _archive_inodes(ws_root)}
    assert ours == theirs


def test_touched_but_unchanged_output_stays_cached(ws_root: Path) -> None:
    """A newer modification time alone doesn't rebuild: the file's hash is checked instead."""
    _build(ws_root)
    html = ws_root / "out/2026-06-01-story-1/email.html"
    st = html.stat()
    os.utime(html, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    before = _inodes(ws_root)
    assert all(o.cached for o in _build(ws_root))
    assert _inodes(ws_root) == before
    html.write_bytes(html.read_bytes().replace(b"Story 1", b"Story X"))  # same size, new bytes
    assert [o.path.name for o in _build(ws_root) if not o.cached] == ["2026-06-01-story-1.md"]


# --- the findings table --------------------------------------------------------------------

def test_a_finding_shared_by_issues_is_stored_once_and_comes_back_with_each_issue(ws_root: Path) -> None:
    fresh = _build(ws_root, jobs=1)
    data = json.loads((ws_root / "out" / CACHE_NAME).read_text())
    stored = sum(len(e["summary"]["findings"]) for e in data["issues"].values())
    assert stored > len(data["findings"]) > 0  # the theme's notes repeat in every issue: stored once
    assert all(f["fields"]["issue"] is None for f in data["findings"] if "__dataclass__" in f)
    cached = _build(ws_root, jobs=1)
    assert all(o.cached for o in cached)
    for old, new in zip(fresh, cached):
        assert new.summary.findings == old.summary.findings
        assert {f.issue for f in new.summary.findings} == {str(old.path)}


def test_the_table_drops_findings_of_deleted_issues(ws_root: Path) -> None:
    finding = CheckFinding("only-in-one", "warning", "once", "f", 1)
    cache = BuildCache(open_workspace(ws_root))
    cache.record("issues/a.md", "k", IssueSummary("a", 1, 1, 1, findings=[finding], outputs={"a/email.html": "0"}))
    cache.record("issues/b.md", "k", IssueSummary("b", 1, 1, 1, outputs={"b/email.html": "0"}))
    assert len(cache.findings) == 1
    cache.forget("issues/a.md")
    cache.save()
    assert json.loads(cache.path.read_text())["findings"] == []


def test_an_entry_pointing_outside_the_table_is_not_trusted(ws_root: Path) -> None:
    _build(ws_root, jobs=1)
    cache_file = ws_root / "out" / CACHE_NAME
    data = json.loads(cache_file.read_text())
    data["issues"]["issues/2026-06-01-story-1.md"]["summary"]["findings"] = [len(data["findings"]) + 5]
    cache_file.write_text(json.dumps(data))
    outcomes = {o.path.name: o.cached for o in _build(ws_root, jobs=1)}
    assert outcomes["2026-06-01-story-1.md"] is False
    assert outcomes["2026-06-02-story-2.md"] is True


def test_a_link_to_another_issue_is_an_issue_of_its_own_and_never_removes_its_outputs(
        ws_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Named on the command line (a relative path), the link took the cache entry of the file
    # it points to: building it after an edit removed that issue's out/ folder.
    (ws_root / "issues" / "link.md").symlink_to("2026-06-02-story-2.md")
    _build(ws_root, archive=True)
    issue = ws_root / "issues" / "2026-06-02-story-2.md"
    issue.write_text(issue.read_text().replace("The facts of story 2.", "Newer facts of story 2."))
    monkeypatch.chdir(ws_root)
    runner = CliRunner()
    first = runner.invoke(cli, ["build", "issues/link.md"])
    assert first.exit_code == 0 and "out/link/email.html" in first.output
    assert (ws_root / "out" / "2026-06-02-story-2" / "email.html").exists()
    assert (ws_root / "out" / "archive" / "2026-06-02-story-2" / "index.html").exists()
    again = runner.invoke(cli, ["build", "issues/link.md"])  # from the cache: still the link's own outputs
    assert again.exit_code == 0 and "out/link/email.html" in again.output
    assert "Newer facts of story 2." in (ws_root / "out" / "link" / "email.txt").read_text()


@pytest.mark.parametrize("tamper", ["module", "issue"])
def test_a_tampered_cache_entry_is_rebuilt_and_never_imports_what_it_names(
        ws_root: Path, tamper: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache is a file in out/: a class it names was imported, so a module beside the
    # workspace (on sys.path under `python -m`) ran; another class as the "issue" ended in a traceback.
    _build(ws_root, archive=True)  # as the command builds: with the web archive's pages
    (ws_root / "planted.py").write_text("import pathlib\npathlib.Path('planted-ran').write_text('x')\n")
    monkeypatch.syspath_prepend(str(ws_root))
    monkeypatch.chdir(ws_root)
    cache_file = ws_root / "out" / CACHE_NAME
    data = json.loads(cache_file.read_text())
    entry = data["issues"]["issues/2026-06-01-story-1.md"]["summary"]
    entry["issue"] = ({"__dataclass__": "planted:Thing", "fields": {}} if tamper == "module" else
                      {"__dataclass__": "newsletter.errors:Problem", "fields": {"file": "x", "line": 1, "message": "m"}})
    cache_file.write_text(json.dumps(data))
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 0
    assert not (ws_root / "planted-ran").exists()
    assert "out/2026-06-01-story-1/email.html" in result.output
    rebuilt = json.loads(cache_file.read_text())["issues"]["issues/2026-06-01-story-1.md"]["summary"]["issue"]
    assert rebuilt["__dataclass__"] == "newsletter.content.model:Issue"  # rebuilt, not taken from the cache


@pytest.mark.parametrize("tamper", ["date as text", "huge count", "count as true", "finding line as text",
                                    "updated as a number"])
def test_a_cache_entry_with_wrongly_typed_fields_is_rebuilt(ws_root: Path, tamper: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # A date as text ended every later build in a TypeError from the archive's index; 1e400
    # words in an OverflowError; 'true' words and a finding's line "x" were kept as if valid.
    _build(ws_root, archive=True)
    monkeypatch.chdir(ws_root)
    cache_file = ws_root / "out" / CACHE_NAME
    data = json.loads(cache_file.read_text())
    entry = data["issues"]["issues/2026-06-01-story-1.md"]["summary"]
    fields = entry["issue"]["fields"]
    if tamper == "date as text":
        fields["date"] = "2026-06-01"
    elif tamper == "updated as a number":
        fields["updated"] = 7
    elif tamper == "huge count":
        text = json.dumps(data, separators=(",", ":"))
        assert f'"reading_minutes":{entry["reading_minutes"]}' in text
        cache_file.write_text(text.replace(f'"reading_minutes":{entry["reading_minutes"]}', '"reading_minutes":1e400', 1))
    elif tamper == "count as true":
        entry["words"] = True
    else:
        [index, *_] = entry["findings"]
        data["findings"][index]["fields"]["line"] = "x"
    if tamper != "huge count":
        cache_file.write_text(json.dumps(data))
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "out/2026-06-01-story-1/email.html" in result.output
    saved = json.loads(cache_file.read_text())
    rebuilt = saved["issues"]["issues/2026-06-01-story-1.md"]["summary"]
    assert rebuilt["issue"]["fields"]["date"] == {"__date__": "2026-06-01"}
    assert type(rebuilt["words"]) is int and type(rebuilt["reading_minutes"]) is int
    assert all(type(f["fields"]["line"]) is int for f in saved["findings"])


# --- a damaged cache is thrown away, never a traceback ---------------------------------------

def _cli_build(root: Path, *args: str) -> object:
    result = CliRunner().invoke(cli, ["build", "-j1", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("force", [False, True])
def test_a_cache_nested_too_deep_for_the_json_reader_is_rebuilt(workspace: Path, force: bool) -> None:
    _cli_build(workspace)
    (workspace / "out" / CACHE_NAME).write_text("[" * 100_000 + "]" * 100_000 + "\n")
    result = _cli_build(workspace, *(["--force"] if force else []))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert json.loads((workspace / "out" / CACHE_NAME).read_text())["format"] == FORMAT


BAD_FINDINGS = [
    None, -1, "a string", [], {},
    {"__dataclass__": "newsletter.cache:IssueSummary",
     "fields": {"slug": "x", "html_bytes": 1, "words": 1, "reading_minutes": 1}},
]


@pytest.mark.parametrize("bad", ["fatal", None, 3] + BAD_FINDINGS)
def test_a_finding_in_the_table_that_the_checks_dont_make_throws_the_cache_away(workspace: Path, bad: object) -> None:
    _cli_build(workspace)
    cache_file = workspace / "out" / CACHE_NAME
    data = json.loads(cache_file.read_text())
    assert data["findings"]
    if bad in ("fatal", None, 3):
        data["findings"][0]["fields"]["severity"] = bad  # the report counts findings by severity
    else:
        data["findings"][0] = bad
    cache_file.write_text(json.dumps(data))
    result = _cli_build(workspace)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "check: " in result.stdout  # type: ignore[attr-defined]
    cache = BuildCache(open_workspace(workspace)).load()
    assert not cache.discarded and cache.entries  # rebuilt and saved anew


def _mutations(data: object, rng: "random.Random") -> object:
    """``data`` with one value somewhere in it replaced by something else."""
    import copy

    data = copy.deepcopy(data)
    paths: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k in list(node):
                paths.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                paths.append((node, i))
                walk(node[i])

    walk(data)
    parent, key = rng.choice(paths)
    replacement = rng.choice([None, -1, 0, 1.5, True, "", "x", "fatal", [], {}, [[[[]]]], {"__dataclass__": "os:system"},
                              {"__date__": "not a date"}, {"__enum__": "newsletter.cache:Nope", "value": 1},
                              2 ** 70, "../../../etc/passwd"])
    if rng.random() < 0.2 and isinstance(parent, dict):
        del parent[key]  # type: ignore[attr-defined]
    else:
        parent[key] = replacement  # type: ignore[index]
    return data


def test_fuzz_a_damaged_cache_never_ends_a_build_in_a_traceback(workspace: Path) -> None:
    import random

    _cli_build(workspace)
    cache_file = workspace / "out" / CACHE_NAME
    good = json.loads(cache_file.read_text())
    text = cache_file.read_text()
    rng = random.Random(20260602)
    damaged = [text[:rng.randrange(len(text))] for _ in range(3)] + ["", "\x00\xff", "null", "[]", "{" * 5000]
    damaged += [json.dumps(_mutations(good, rng)) for _ in range(40)]
    for bad in damaged:
        cache_file.write_text(bad, encoding="utf-8", errors="surrogateescape")
        result = _cli_build(workspace)
        assert result.exit_code == 0, (bad[:300], result.output)  # type: ignore[attr-defined]
        assert "check: " in result.stdout, bad[:300]  # type: ignore[attr-defined]
        cache = BuildCache(open_workspace(workspace)).load()
        assert not cache.discarded and set(cache.entries) == {"issues/2026-06-02-tides.md"}, bad[:300]


def test_a_damaged_css_memo_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.render.cssmemo import CssMemo

    monkeypatch.setenv("NEWSLETTER_CACHE_DIR", str(tmp_path))
    memo = CssMemo()
    memo.load("v1")
    assert memo.path is not None
    memo.path.write_text("[" * 100_000 + "]" * 100_000)
    fresh = CssMemo()
    fresh.load("v1")  # no RecursionError: the memo is only a shortcut
    assert fresh.pairs == {} and fresh.rules == {}
