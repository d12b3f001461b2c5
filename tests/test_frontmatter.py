"""The issue file's front matter: every key, its type, and the errors that name file:line."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.content.frontmatter import KEYS, FrontMatter, parse_front_matter
from newsletter.content.model import Author
from newsletter.errors import Problem


def parse(text: str) -> tuple[FrontMatter, list[str]]:
    problems: list[Problem] = []
    fm = parse_front_matter("x.md", text, 2, problems)
    return fm, [str(p) for p in problems]


def test_every_key() -> None:
    fm, problems = parse(
        'subject: "Ports  reopen"\n'
        "date: 2026-06-02\n"
        "preheader: Short\n  preview\n"
        "number: 117\n"
        "updated: 2026-06-02T14:27:00-04:00\n"
        'author: {name: "Ana Ruiz", email: "ana@example.com"}\n'
        "intro: |\n  Hello *reader*.\n"
    )
    assert problems == []
    assert fm.subject == "Ports reopen"
    assert fm.date == dt.date(2026, 6, 2)
    assert fm.preheader == "Short preview"
    assert fm.number == 117
    assert fm.updated == dt.datetime(2026, 6, 2, 14, 27, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert fm.author == Author("Ana Ruiz", "ana@example.com")
    assert fm.intro == "Hello *reader*.\n"
    assert fm.intro_line == 10  # the line after 'intro: |' (line 9)
    assert set(fm.lines) == set(KEYS)


def test_author_may_be_a_plain_name() -> None:
    fm, problems = parse("subject: s\ndate: 2026-06-02\nauthor: Ana Ruiz\n")
    assert problems == [] and fm.author == Author("Ana Ruiz")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date: 2026-06-02\n", "x.md:2: front matter needs 'subject' (add: subject: \"...\")"),
        ("subject: ''\ndate: 2026-06-02\n", "x.md:2: front matter needs 'subject' (add: subject: \"...\")"),
        ("subject: s\n", "x.md:2: front matter needs 'date' (add: date: YYYY-MM-DD)"),
        ("subject: s\ndate: 2026-02-30\n",
         "x.md:3: 'date' is not a real date: '2026-02-30' (use YYYY-MM-DD, e.g. 2026-06-02)"),
        ("subject: s\ndate: June 2\n",
         "x.md:3: 'date' is not a real date: 'June 2' (use YYYY-MM-DD, e.g. 2026-06-02)"),
        ("subject: s\ndate: 2026-W23-2\n",
         "x.md:3: 'date' is not a real date: '2026-W23-2' (use YYYY-MM-DD, e.g. 2026-06-02)"),
        ("subject: s\ndate: 20260602\n",
         "x.md:3: 'date' is not a real date: 20260602 (use YYYY-MM-DD, e.g. 2026-06-02)"),
        ("subject: s\ndate: 2026-06-02\nsubjet: t\n", "x.md:4: unknown front-matter key 'subjet' (did you mean 'subject'?)"),
        ("subject: s\ndate: 2026-06-02\nzzz: t\n",
         "x.md:4: unknown front-matter key 'zzz' (known keys: " + ", ".join(KEYS) + ")"),
        ("subject: s\ndate: 2026-06-02\nnumber: -3\n", "x.md:4: 'number' must be a whole number, not -3"),
        ('subject: s\ndate: 2026-06-02\nnumber: "119"\n',
         "x.md:4: 'number' must be a whole number, not '119' (write it without quotes: number: 119)"),
        ("subject: s\ndate: 2026-06-02\nupdated: noon\n",
         "x.md:4: 'updated' is not a real date-time: 'noon' (use e.g. 2026-06-02T14:27:00-04:00)"),
        ("subject: s\ndate: 2026-06-02\nauthor: [1]\n", "x.md:4: 'author' must be {name: ..., email: ...}"),
        ("subject: s\ndate: 2026-06-02\nintro: [1]\n", "x.md:4: 'intro' must be text"),
        ("subject: s\nsubject: t\ndate: 2026-06-02\n",
         "x.md:3: front-matter key 'subject' is given twice (the first is on line 2; keep one)"),
        ('subject: "open\ndate: 2026-06-02\n',
         "x.md:2: invalid YAML in front matter: a quoted value is never closed (end it with the quote mark it starts with)"),
        ("subject: s\n  date: x: y\n", "x.md:3: invalid YAML in front matter: this line is indented, so it reads as"
         " more of the value above (start it at the margin)"),
        # The mistakes editors make, in their words and at the line to fix (PyYAML named its
        # states, "expected <block end>, but found '<scalar>'", at the line where it gave up).
        ("subject: Dam repairs: Dyer Road closes\ndate: 2026-06-02\n",
         "x.md:2: invalid YAML in front matter: a value with ': ' in it must be in quotes"
         " (write subject: \"Dam repairs: Dyer Road closes\")"),
        ('subject: "Dam repairs\ndate: 2026-06-02\npreheader: "A short line."\n',
         "x.md:2: invalid YAML in front matter: a quoted value is not closed on its line"
         " (end it with the quote mark it starts with)"),
        ('subject: "Four-day week?" Board weighs it\ndate: 2026-06-02\n',
         "x.md:2: invalid YAML in front matter: text follows a quoted value (put all of the value inside the quotes)"),
        ("subject: 'It's here'\ndate: 2026-06-02\n",
         "x.md:2: invalid YAML in front matter: text follows a quoted value"
         " (inside '...', write an apostrophe twice (It''s), or use double quotes)"),
        ("subject: s\ndate 2026-06-02\npreheader: p\n",
         "x.md:3: invalid YAML in front matter: a line that isn't 'key: value'"
         " (write key: value, or start the line with '#' for a comment)"),
        ("- a list\n", "x.md:2: front matter must be 'key: value' lines"),
    ],
)
def test_errors(text: str, expected: str) -> None:
    _, problems = parse(text)
    assert problems == [expected]


def test_several_problems_are_all_reported() -> None:
    _, problems = parse("subjct: s\ndate: 2026-13-01\nnumber: x\n")
    assert problems == [
        "x.md:2: unknown front-matter key 'subjct' (did you mean 'subject'?)",
        "x.md:2: front matter needs 'subject' (add: subject: \"...\")",
        "x.md:3: 'date' is not a real date: '2026-13-01' (use YYYY-MM-DD, e.g. 2026-06-02)",
        "x.md:4: 'number' must be a whole number, not 'x'",
    ]


@pytest.mark.parametrize("value, tag", [("!!int x", "!!int"), ("!!float x", "!!float"), ("!!timestamp x", "!!timestamp"),
                                        ("!!timestamp", "!!timestamp"), ("!!bool maybe", "!!bool")])
def test_a_tagged_value_that_cant_be_read_is_an_error_at_its_line(value: str, tag: str) -> None:
    # PyYAML's constructors raised ValueError or AttributeError here: a traceback, not a message.
    fm, problems = parse(f"subject: Hi\ndate: 2026-06-02\nnumber: {value}\n")
    assert len(problems) == 1 and problems[0].startswith("x.md:4: invalid YAML in front matter: the value ")
    assert problems[0].endswith(f"can't be read as {tag}")


# ---- libyaml and PyYAML read front matter the same way ------------------------------------------

from unittest import mock  # noqa: E402

from hypothesis import example, given, settings, strategies as st  # noqa: E402
from test_fuzz import front_matter  # noqa: E402

from newsletter import yamlsafe  # noqa: E402
from newsletter.content import frontmatter as frontmatter_module  # noqa: E402

_YAML_PIECES = ["subject: ", "date: ", "intro: ", "author: ", "number: ", "preheader: ", "x", "é", "“q”", "1",
                "2026-06-02", " ", "  ", "\t", "\n", "\n  ", ": ", ":", "- ", "[", "]", "{", "}", ",", "'", '"',
                "''", "|", ">", "|-", "#", " #c", "&a ", "*a", "<<: ", "!!str ", "!x ", "? ", "---", "...", "%YAML",
                "\\", "\\x1b", "~", "null", "true", "\u2028", "\u0085", "\ufeff", "?", "Who won?"]


def _read_both(text: str) -> tuple[object, object]:
    results = []
    for fast in (True, False):
        with mock.patch.object(frontmatter_module, "LIBYAML", fast):
            problems: list[Problem] = []
            fm = frontmatter_module._parse_front_matter("x.md", text, 2, problems)
            results.append((fm, [str(p) for p in problems]))
    return results[0], results[1]


@pytest.mark.skipif(not yamlsafe.HAS_LIBYAML, reason="PyYAML was built without libyaml")
@settings(max_examples=600, deadline=None)
@example("subject: [Who won?]\ndate: 2026-06-02\n")  # libyaml reads the '?' inside brackets as text
@given(st.one_of(front_matter().map(lambda fm: fm.strip("-\n")), st.lists(st.sampled_from(_YAML_PIECES), max_size=20).map("".join)))
def test_libyaml_reads_front_matter_as_pyyaml_does(text: str) -> None:
    fast, python = _read_both(text)
    assert fast == python


def test_front_matter_with_many_brackets_is_read_by_pyyaml_which_refuses_deep_nesting() -> None:
    deep = "subject: " + "[" * 100_000 + "]" * 100_000 + "\ndate: 2026-06-02\n"
    python_loader_class = frontmatter_module._loaders()[0]
    with mock.patch.object(python_loader_class, "__init__", side_effect=python_loader_class.__init__,
                           autospec=True) as python_loader:
        fm, problems = parse(deep)
    assert python_loader.called  # libyaml would have crashed the process
    assert problems and all("x.md:2" in p for p in problems)


@pytest.mark.parametrize("levels", [60, 9000])
def test_a_deeply_nested_value_is_reported_not_a_traceback(levels: int) -> None:
    # libyaml composes 9,000 levels of "- - x" where PyYAML's recursion stops; past 50 levels
    # PyYAML reads it again, so the outcome is what it always was.
    fm, problems = parse("subject: Hi\ndate: 2026-06-02\nnumber:\n  " + "- " * levels + "x\n")
    # Too deep: the line where the nesting goes too deep (the "- - -" line), not the first line.
    expected = "x.md:5: front matter is nested too deeply" if levels > 900 else "x.md:4: 'number' must be a whole number"
    assert len(problems) == 1 and problems[0].startswith(expected)


def _alias_chain(levels: int) -> str:
    lines = ["subject: Hi", "date: 2026-06-02", "a0: &a0 x"]
    lines += [f"a{i}: &a{i}\n  - *a{i - 1}" for i in range(1, levels)]
    return "\n".join(lines + [f"number: *a{levels - 1}"]) + "\n"


def test_libyaml_reads_only_front_matter_without_tags_aliases_or_tabs() -> None:
    assert yamlsafe.NOT_FAST.search("subject: A & B\ndate: 2026-06-02\n")
    for text in ("! ", "a: &x [1]\nb: *x", "a: !!int 1", "%YAML 1.1", "a:\tb", "a: |#", "a: |-#", "x\n---\ny"):
        assert yamlsafe.NOT_FAST.search(text), text
    for text in ("subject: Big news!\ndate: 2026-06-02\n", "intro: |\n  Hello.\n", "subject: '5% more'"):
        assert not yamlsafe.NOT_FAST.search(text), text


def test_aliases_nesting_past_pythons_recursion_are_reported_not_a_traceback() -> None:
    # PyYAML builds 1,200 nested lists through aliases without recursing; printing the value in
    # the message then raised RecursionError (a traceback, before the libyaml change too).
    assert parse(_alias_chain(1200))[1] == ["x.md:2: front matter is nested too deeply"]
    assert parse(_alias_chain(30))[1][-1].startswith("x.md:63: 'number' must be a whole number, not [[[[")
    assert parse("subject: Hi\ndate: 2026-06-02\nnumber: &a [*a]\n")[1] == [
        "x.md:4: 'number' must be a whole number, not [[...]]"]


def test_too_deep_brackets_are_reported_at_their_line() -> None:
    # Reported at x.md:2, the front matter's first line, whatever line the brackets were on.
    fm, problems = parse("subject: Hi\ndate: 2026-06-02\nnumber: 3\nauthor: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problems == ["x.md:5: front matter is nested too deeply"]


@pytest.mark.parametrize("key", ["subject", "preheader"])
@pytest.mark.parametrize("value", ["42", "3.5", "true"])
def test_a_number_or_date_where_text_belongs_is_refused_alike(key: str, value: str) -> None:
    # 'preheader: 5' was refused but 'subject: 42' accepted.
    text = "subject: Hi\ndate: 2026-06-02\n" if key == "preheader" else "date: 2026-06-02\n"
    fm, problems = parse(text + f"{key}: {value}\n")
    line = 4 if key == "preheader" else 3
    assert problems == [f"x.md:{line}: '{key}' must be text (put it in quotes, e.g. subject: \"42\")"]
