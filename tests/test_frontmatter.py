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
        ("subject: s\ndate: 2026-06-02\nupdated: noon\n",
         "x.md:4: 'updated' is not a real date-time: 'noon' (use e.g. 2026-06-02T14:27:00-04:00)"),
        ("subject: s\ndate: 2026-06-02\nauthor: [1]\n", "x.md:4: 'author' must be {name: ..., email: ...}"),
        ("subject: s\ndate: 2026-06-02\nintro: [1]\n", "x.md:4: 'intro' must be text"),
        ("subject: s\nsubject: t\ndate: 2026-06-02\n",
         "x.md:3: front-matter key 'subject' is given twice (the first is on line 2; keep one)"),
        ('subject: "open\ndate: 2026-06-02\n',
         "x.md:2: invalid YAML in front matter: found unexpected end of stream while scanning a quoted scalar"),
        ("subject: s\n  date: x: y\n", "x.md:3: invalid YAML in front matter: mapping values are not allowed here"),
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
