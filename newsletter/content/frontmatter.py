"""The issue file's YAML front matter: keys, types, and errors that say where."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from newsletter.content.model import Author
from newsletter.content.source import CONTROL_CHARS, control_problem
from newsletter.errors import Problem

#: The front-matter contract (documented in the README).
KEYS = {
    "subject": "required: the email subject and the HTML <title>",
    "date": "required: ISO date, e.g. 2026-06-02",
    "preheader": "optional: inbox preview text",
    "number": "optional: issue number",
    "updated": "optional: ISO date-time shown as 'Updated ...'",
    "author": "optional: {name: ..., email: ...}",
    "intro": "optional Markdown: the editor's letter",
}


@dataclass
class FrontMatter:
    """The front matter's values, checked, with the line of each key."""

    subject: str = ""
    date: dt.date | None = None
    preheader: str = ""
    number: int | None = None
    updated: dt.datetime | None = None
    author: Author | None = None
    intro: str = ""
    intro_line: int = 0
    lines: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _loaders() -> tuple[type[Any], type[Any] | None]:
    """SafeLoader that leaves timestamps as strings, so bad dates get our own message; and the
    same over libyaml when PyYAML was built with it (yamlsafe.read says when it's used). Made
    on first use: a build whose front matter was read before doesn't import PyYAML."""
    import yaml

    from newsletter import yamlsafe

    class _Loader(yamlsafe.SafeLoader):
        """SafeLoader that leaves timestamps as strings."""

    _Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    if not yamlsafe.HAS_LIBYAML:
        return _Loader, None

    class _CLoader(yamlsafe.CSafeLoader):
        """_Loader's rules, parsed in C."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    return _Loader, _CLoader


#: libyaml reads front matter when PyYAML has it and the text is safe for it (yamlsafe.read);
#: the tests turn it off to compare with PyYAML's own reading.
LIBYAML = True

#: Per key, as the front matter's node tree has it: [key, its 0-based line, the 0-based line
#: its value starts on (a block scalar's, after "key: |")].
KeyLines = list[list[Any]]


def _read(text: str) -> tuple[KeyLines | None, Any]:
    """(each key's lines, or None when the front matter is not a mapping; the data as
    yaml.load(text, Loader=_Loader) builds it). Text read before by any process comes from
    newsletter/yamlmemo.py, without importing PyYAML. Raises _Unreadable for text that isn't YAML."""
    from newsletter.yamlmemo import MEMO

    known = MEMO.recall("front matter", text)
    if known is not None and (known[0] is None or (type(known[0]) is list and all(
            type(k) is list and len(k) == 3 and type(k[0]) is str and type(k[1]) is int and type(k[2]) is int
            for k in known[0]))):
        return known[0], known[1]
    import yaml

    from newsletter import yamlsafe

    def key_lines(node: Any) -> KeyLines | None:
        if not isinstance(node, yaml.MappingNode):
            return None
        return [[str(k.value), k.start_mark.line,
                 v.start_mark.line + (1 if getattr(v, "style", None) in ("|", ">") else 0)] for k, v in node.value]

    loader, fast_loader = _loaders()
    try:
        _node, keys, data = yamlsafe.read(text, loader, fast_loader if LIBYAML else None, key_lines)
    except yaml.YAMLError as e:
        raise _Unreadable(*yamlsafe.explain(text, e)) from None  # in an editor's words, at the line to fix
    MEMO.remember("front matter", text, keys, data)
    return keys, data


class _Unreadable(Exception):
    """The front matter isn't YAML: (0-based line, what is wrong, how to fix it)."""


def parse_front_matter(file: str, text: str, first_line: int, problems: list[Problem]) -> FrontMatter:
    """Parse front matter that starts at ``first_line`` of the file; append problems, never raise.

    The result depends on nothing else, so the last few are remembered: the preview rebuilds an
    issue on every save, and the front matter rarely changes (PyYAML reads it in pure Python,
    a few milliseconds). Each call gets its own copy."""
    fm, found = _parse_front_matter_memo(file, text, first_line)
    problems.extend(found)
    return dataclasses.replace(fm, lines=dict(fm.lines))


@lru_cache(maxsize=32)
def _parse_front_matter_memo(file: str, text: str, first_line: int) -> tuple[FrontMatter, tuple[Problem, ...]]:
    problems: list[Problem] = []
    try:
        fm = _parse_front_matter(file, text, first_line, problems)
    except RecursionError:
        # PyYAML's composer recurses for nested brackets; and aliases can nest a value deeper
        # than Python recurses without PyYAML recursing, which checking or printing it then
        # does (1,200 lines of "aN: &aN [*aN-1]").
        from newsletter import yamlsafe

        line = yamlsafe.too_deep_line(text)  # where it goes too deep, not where the front matter starts
        return FrontMatter(), (Problem(file, first_line + max(line, 0), "front matter is nested too deeply"),)
    return fm, tuple(problems)


def _quote_hint(value: object) -> str:
    """A number or true where text belongs (YAML read it as one): quoting it makes it text."""
    return "put it in quotes, e.g. subject: \"42\"" if isinstance(value, (int, float)) else ""


def _parse_front_matter(file: str, text: str, first_line: int, problems: list[Problem]) -> FrontMatter:
    fm = FrontMatter()
    try:
        # One parse serves both: the node tree (for line numbers) and the data built from it.
        keys, data = _read(text)
    except _Unreadable as e:
        line, reason, hint = e.args
        problems.append(Problem(file, first_line + line, f"invalid YAML in front matter: {reason}", hint))
        return fm
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(file, first_line, "front matter must be 'key: value' lines"))
        return fm
    for key, key_line, value_line in keys or ():
        if key in fm.lines:
            problems.append(Problem(file, first_line + key_line, f"front-matter key '{key}' is given twice",
                                    f"the first is on line {fm.lines[key]}; keep one"))
        fm.lines[key] = first_line + key_line
        if key == "intro":
            fm.intro_line = first_line + value_line

    def where(key: str) -> int:
        return fm.lines.get(key, first_line)

    for key in data:
        if str(key) not in KEYS:
            import difflib  # only for a did-you-mean

            near = difflib.get_close_matches(str(key), list(KEYS), n=1, cutoff=0.6)
            hint = f"did you mean '{near[0]}'?" if near else "known keys: " + ", ".join(KEYS)
            problems.append(Problem(file, where(str(key)), f"unknown front-matter key '{key}'", hint))
        # YAML escapes ("\x1b", "\0") can write control characters the source check never saw.
        values = data[key].values() if isinstance(data[key], dict) else [data[key]]
        for value in values:
            control = CONTROL_CHARS.search(value) if isinstance(value, str) else None
            if control:
                problems.append(control_problem(file, where(str(key)), control.group(0)))

    subject = data.get("subject")
    if subject is None or (isinstance(subject, str) and not subject.strip()):
        problems.append(Problem(file, where("subject") if "subject" in data else first_line,
                                "front matter needs 'subject'", "add: subject: \"...\""))
    elif not isinstance(subject, str):  # 42 or 3.14 as preheader: is refused: so as subject
        problems.append(Problem(file, where("subject"), "'subject' must be text", _quote_hint(subject)))
    else:
        fm.subject = " ".join(str(subject).split())

    raw_date = data.get("date")
    if raw_date is None:
        problems.append(Problem(file, first_line, "front matter needs 'date'", "add: date: YYYY-MM-DD"))
    else:
        try:
            # Only YYYY-MM-DD: Python also reads 20260602 and week dates (2026-W23-2).
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(raw_date).strip()):
                raise ValueError
            fm.date = dt.date.fromisoformat(str(raw_date).strip())
        except ValueError:
            problems.append(Problem(file, where("date"), f"'date' is not a real date: {raw_date!r}",
                                    "use YYYY-MM-DD, e.g. 2026-06-02"))

    for key in ("preheader", "intro"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(file, where(key), f"'{key}' must be text", _quote_hint(value)))
        elif value:
            setattr(fm, key, value if key == "intro" else " ".join(value.split()))

    number = data.get("number")
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            quoted = isinstance(number, str) and number.strip().isdigit()
            problems.append(Problem(file, where("number"), f"'number' must be a whole number, not {number!r}",
                                    "write it without quotes: number: " + number.strip() if quoted else ""))
        else:
            fm.number = number

    updated = data.get("updated")
    if updated is not None:
        try:
            fm.updated = dt.datetime.fromisoformat(str(updated).strip().replace("Z", "+00:00"))
        except ValueError:
            problems.append(Problem(file, where("updated"), f"'updated' is not a real date-time: {updated!r}",
                                    "use e.g. 2026-06-02T14:27:00-04:00"))

    author = data.get("author")
    if author is not None:
        fm.author = _author(author, file, where("author"), problems)
    return fm


def _author(value: Any, file: str, line: int, problems: list[Problem]) -> Author | None:
    if isinstance(value, str) and value.strip():
        return Author(value.strip())
    if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].strip():
        email = value.get("email") or ""
        if not isinstance(email, str):
            problems.append(Problem(file, line, "'author.email' must be text"))
            email = ""
        extra = set(value) - {"name", "email"}
        if extra:
            problems.append(Problem(file, line, f"unknown author key '{sorted(map(str, extra))[0]}'", "author has name and email"))
        return Author(value["name"].strip(), email.strip())
    problems.append(Problem(file, line, "'author' must be {name: ..., email: ...}"))
    return None
