"""YAML already read is remembered across processes (newsletter/yamlmemo.py): a build whose
settings and front matter were read before doesn't import PyYAML, and what the memo gives
back is what PyYAML reads."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from newsletter import yamlmemo, yamlsafe
from newsletter.content.frontmatter import FrontMatter, _parse_front_matter
from newsletter.errors import Problem, SettingsError
from newsletter.settings import load_settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> yamlmemo.YamlMemo:
    """The memo turned on, in a folder of this test's own."""
    monkeypatch.setenv("NEWSLETTER_CACHE_DIR", str(tmp_path / "cache"))
    fresh = yamlmemo.YamlMemo()
    monkeypatch.setattr(yamlmemo, "MEMO", fresh)
    return fresh


def _front_matter(text: str) -> tuple[FrontMatter, list[str]]:
    problems: list[Problem] = []
    fm = _parse_front_matter("x.md", text, 2, problems)
    return fm, [str(p) for p in problems]


def _reads() -> Any:
    """yamlsafe.read, counted."""
    return mock.patch.object(yamlsafe, "read", side_effect=yamlsafe.read)


def test_front_matter_read_again_comes_from_the_memo_as_pyyaml_read_it(memo: yamlmemo.YamlMemo) -> None:
    for issue in sorted((REPO / "issues").glob("*.md")):
        text = issue.read_text(encoding="utf-8").split("---\n")[1]
        with _reads() as read:
            first = _front_matter(text)
            again = _front_matter(text)
        assert read.call_count == 1, issue.name
        assert again == first and first[0].subject and first[0].lines


def test_settings_read_again_come_from_the_memo_as_pyyaml_read_them(memo: yamlmemo.YamlMemo, tmp_path: Path) -> None:
    path = tmp_path / "newsletter.yaml"
    path.write_text((REPO / "newsletter.yaml").read_text(encoding="utf-8") + "unknwon_key: 1\n", encoding="utf-8")
    with _reads() as read:
        first = load_settings(path)
        again = load_settings(path)
    assert read.call_count == 1
    assert again == first
    assert again.warnings == first.warnings and "unknown setting 'unknwon_key'" in again.warnings[0]


def test_the_memo_outlives_the_process(memo: yamlmemo.YamlMemo, tmp_path: Path) -> None:
    text = "subject: Harbour news\ndate: 2026-06-02\nauthor: {name: Ada, email: ada@example.com}\n"
    first = _front_matter(text)
    memo.save()
    later = yamlmemo.YamlMemo()  # as the next process finds it
    with mock.patch.object(yamlmemo, "MEMO", later), _reads() as read:
        assert _front_matter(text) == first
    assert read.call_count == 0


@pytest.mark.parametrize("text", [
    "subject: [unclosed\ndate: 2026-06-02\n",  # not YAML
    "subject: Hi\ndate: 2026-06-02\n1: number key\n",  # a key JSON would turn into text
    "subject: Hi\ndate: 2026-06-02\nnumber: .nan\n",  # no JSON for NaN
    'subject: "Hi \\ud83d\\ude00"\ndate: 2026-06-02\n',  # two halves of a pair: JSON would join them
    "subject: Hi\ndate: 2026-06-02\nextra: &a [*a]\n",  # a list in itself
    "subject: Hi\ndate: 2026-06-02\nl0: &l0 [x, x]\nl1: &l1 [*l0, *l0]\n",  # one list twice
])
def test_what_json_cannot_give_back_or_does_not_read_is_not_remembered(memo: yamlmemo.YamlMemo, text: str) -> None:
    first = _front_matter(text)
    assert first[1]  # each has a problem to report, every time
    with _reads() as read:
        assert _front_matter(text) == first
    assert read.call_count == 1
    assert memo.entries == {}


def test_settings_with_a_problem_or_a_date_are_not_remembered(memo: yamlmemo.YamlMemo, tmp_path: Path) -> None:
    good = (REPO / "newsletter.yaml").read_text(encoding="utf-8")
    path = tmp_path / "newsletter.yaml"
    for text in (good + "name: Twice\n", good + "when: 2026-06-02\n"):  # a key given twice; a date value
        path.write_text(text, encoding="utf-8")
        outcomes = []
        for _ in range(2):
            try:
                outcomes.append(load_settings(path).warnings)
            except SettingsError as e:
                outcomes.append([str(p) for p in e.problems])
        assert outcomes[0] == outcomes[1]
    assert memo.entries == {}


def test_a_damaged_or_forged_memo_is_read_past(memo: yamlmemo.YamlMemo) -> None:
    text = "subject: Hi\ndate: 2026-06-02\n"
    first = _front_matter(text)
    memo.save()
    assert memo.path is not None
    key = memo.key("front matter", text)
    for entry in ("not json", json.dumps({"a": 1}), json.dumps([[["subject"]], {}]), json.dumps([[None], {}]),
                  json.dumps([[{"a": 1, "b": 2, "c": 3}], {}]),
                  json.dumps([[["subject", "one", 0]], {"subject": "Forged"}]), json.dumps([None, 1.5])):
        memo.path.write_text(json.dumps({key: entry}), encoding="utf-8")
        later = yamlmemo.YamlMemo()
        with mock.patch.object(yamlmemo, "MEMO", later):
            fm, problems = _front_matter(text)
        if entry.endswith("1.5]"):  # well formed: the memo is trusted (it is the user's own folder)
            assert problems == ["x.md:2: front matter must be 'key: value' lines"]
        else:
            assert (fm, problems) == first, entry
    memo.path.write_text("{broken", encoding="utf-8")
    with mock.patch.object(yamlmemo, "MEMO", yamlmemo.YamlMemo()):
        assert _front_matter(text) == first


def test_the_memo_keeps_the_latest_documents_only(memo: yamlmemo.YamlMemo) -> None:
    for n in range(yamlmemo.MAX_ENTRIES + 10):
        _front_matter(f"subject: Issue {n}\ndate: 2026-06-02\n")
    assert len(memo.entries) == yamlmemo.MAX_ENTRIES
    assert memo.recall("front matter", "subject: Issue 0\ndate: 2026-06-02\n") is None
    last = yamlmemo.MAX_ENTRIES + 9
    assert memo.recall("front matter", f"subject: Issue {last}\ndate: 2026-06-02\n") is not None


def test_no_cache_folder_means_no_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_CACHE_DIR", "")
    off = yamlmemo.YamlMemo()
    monkeypatch.setattr(yamlmemo, "MEMO", off)
    _front_matter("subject: Hi\ndate: 2026-06-02\n")
    assert off.entries == {} and off.path is None


@pytest.mark.parametrize("value, exact", [
    ({"a": [1, 2.5, "x", True, None, {"b": []}]}, True),
    ({1: "x"}, False), ({"a": (1, 2)}, False), ({"a": float("inf")}, False), ("2026-06-02", True),
    ({"when": dt.date(2026, 6, 2)}, False),
])
def test_exact_is_what_json_gives_back_unchanged(value: object, exact: bool) -> None:
    assert yamlmemo.exact(value) is exact


def test_a_build_whose_yaml_was_read_before_does_not_import_pyyaml(workspace: Path, tmp_path: Path) -> None:
    probe = ("import sys, runpy\n"
             "sys.argv = ['newsletter', 'build', '--force']\n"
             "import newsletter.cli as cli\n"
             "def end(code):\n"
             "    import atexit; atexit._run_exitfuncs()\n"
             "    print('yaml' in sys.modules, code)\n"
             "cli._end_process = end\n"
             "cli.main()\n")
    env = {**os.environ, "NEWSLETTER_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=workspace, env=env, capture_output=True, text=True,
                           timeout=120) for _ in range(2)]
    assert [r.stdout.split()[-2:] for r in runs] == [["True", "0"], ["False", "0"]], runs[1].stderr
    assert (workspace / "out").is_dir()


def test_a_pair_of_surrogate_escapes_in_settings_is_reported_every_time(memo: yamlmemo.YamlMemo, tmp_path: Path) -> None:
    path = tmp_path / "newsletter.yaml"
    path.write_text((REPO / "newsletter.yaml").read_text(encoding="utf-8") + 'toc_title: "T \\ud83d\\ude00"\n',
                    encoding="utf-8")
    for _ in range(2):
        with pytest.raises(SettingsError) as raised:
            load_settings(path)
        assert "half of a UTF-16 surrogate pair" in str(raised.value.problems[0])
    assert memo.entries == {}


def test_aliases_that_repeat_a_value_are_read_quickly_and_not_remembered(tmp_path: Path) -> None:
    """A list in itself, and a billion laughs: without the check for values met twice, the memo
    walked (and wrote) each repetition, which never ended, or took gigabytes."""
    laughs = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 8)]
    code = ("import sys\n"
            "from newsletter.content.frontmatter import _parse_front_matter\n"
            "for text in sys.argv[1:]:\n"
            "    problems = []\n"
            "    _parse_front_matter('x.md', text, 2, problems)\n"
            "    print(len(problems))\n"
            "from newsletter.yamlmemo import MEMO\n"
            "print(len(MEMO.entries))\n")
    texts = ["subject: Hi\ndate: 2026-06-02\nextra: &a [*a]\n", "subject: Hi\ndate: 2026-06-02\n" + "\n".join(laughs)]
    env = {**os.environ, "NEWSLETTER_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-c", code, *texts], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "8", "0"]  # unknown keys reported; nothing remembered


def test_a_document_too_long_to_be_worth_keeping_is_read_every_time(memo: yamlmemo.YamlMemo) -> None:
    text = "subject: Hi\ndate: 2026-06-02\nintro: |\n" + "  A long letter from the editor.\n" * 1000
    assert _front_matter(text)[0].intro
    assert memo.entries == {}


def test_what_is_used_stays_longest(memo: yamlmemo.YamlMemo) -> None:
    texts = [f"subject: Issue {n}\ndate: 2026-06-02\n" for n in range(yamlmemo.MAX_ENTRIES)]
    for text in texts:
        _front_matter(text)
    assert memo.recall("front matter", texts[0]) is not None  # used again: now the most recent
    _front_matter("subject: One more\ndate: 2026-06-02\n")
    assert memo.recall("front matter", texts[0]) is not None
    assert memo.recall("front matter", texts[1]) is None


def test_the_memo_file_changes_with_the_code_that_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    import newsletter

    before = yamlmemo._code_stamp()
    monkeypatch.setattr(newsletter, "__version__", newsletter.__version__ + ".dev1")
    assert yamlmemo._code_stamp() != before
    assert all(name in before for name in ("yamlsafe.py", "settings.py", "frontmatter.py", "yaml"))


def test_parallel_workers_save_what_they_read(workspace: Path, tmp_path: Path) -> None:
    from newsletter.content.source import read_source

    for n in range(3):
        text = (workspace / "issues").glob("*.md").__next__().read_text(encoding="utf-8")
        (workspace / "issues" / f"2026-07-0{n + 1}-extra.md").write_text(
            text.replace("subject:", f"subject: Extra {n}", 1), encoding="utf-8")
    env = {**os.environ, "NEWSLETTER_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "newsletter", "build", "--force", "-j", "2"], cwd=workspace, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    saved = yamlmemo.YamlMemo()
    with mock.patch.dict(os.environ, env):
        for issue in sorted((workspace / "issues").glob("*.md")):
            assert saved.recall("front matter", read_source(issue).front_matter) is not None, issue.name
