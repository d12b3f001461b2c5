"""YAML loaders whose every failure is a YAMLError that says where.

PyYAML's safe constructors let plain Python errors escape for an explicitly tagged value
that doesn't read as its tag (``!!int x``, ``!!float x``, ``!!timestamp x``: ValueError or
AttributeError, a traceback instead of a message). Here they become ConstructorErrors at
the value's line, like every other YAML mistake.
"""

from __future__ import annotations

import re
from typing import Any, Callable, TypeVar

import yaml

T = TypeVar("T")


class _ReadableErrors:
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception:  # noqa: BLE001 - whatever a constructor raises for a value it can't read
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            raise yaml.constructor.ConstructorError(
                None, None, f"the value {str(getattr(node, 'value', ''))[:40]!r} can't be read as {tag}",
                node.start_mark) from None


class SafeLoader(_ReadableErrors, yaml.SafeLoader):
    """yaml.SafeLoader, with readable construction errors."""


#: Whether PyYAML was built with libyaml (then CSafeLoader exists: C, about five times faster).
HAS_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))

FastLoader: type[Any] | None = None
if HAS_LIBYAML:
    class CSafeLoader(_ReadableErrors, yaml.CSafeLoader):
        """yaml.CSafeLoader, with readable construction errors."""

    FastLoader = CSafeLoader


# ---- libyaml where it reads as PyYAML does, PyYAML otherwise -------------------------------

#: libyaml's composer recurses in C without a limit (100,000 nested brackets crash the
#: process): it reads only text with few brackets and of limited length (10,000 levels of
#: "- - - x" compose fine). What nests deeper than 50 levels is read again by PyYAML, whose
#: RecursionError callers report as "nested too deeply".
FAST_MAX_BRACKETS, FAST_MAX_CHARS, FAST_MAX_DEPTH = 64, 20_000, 50
#: Where the two parsers are known to differ, or might: tabs (libyaml accepts some PyYAML
#: refuses), a block scalar's '|' or '>' followed by something other than its indicators,
#: tags, anchors and aliases, directives and document markers, escapes and unusual line
#: breaks. Such text is read by PyYAML alone; front matter and settings rarely have any.
#: So is text with a '?' and a bracket: inside brackets libyaml reads "Who knows?" as plain
#: text where PyYAML refuses the '?' (``_may_differ``).
NOT_FAST = re.compile("[\t\\\x85\u2028\u2029\ufeff]|[|>](?:[+-][0-9]?|[0-9][+-]?)?+\\S|(?:^|[\\s\\[{,])[!&*%]|^(?:---|\\.\\.\\.)",
                      re.MULTILINE)


def deeper_than(node: Any, limit: int) -> bool:
    """True when collections nest more than ``limit`` levels below ``node`` (walked without
    recursion; text with aliases never reaches libyaml, so the nodes form a tree)."""
    stack = [(node, 0)] if node is not None else []
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(current, yaml.MappingNode):
            stack.extend((part, depth + 1) for pair in current.value for part in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in current.value)
    return False


def _may_differ(text: str) -> bool:
    """Whether libyaml might read ``text`` otherwise than PyYAML, or recurse too deep in C."""
    brackets = text.count("[") + text.count("{")
    return (len(text) > FAST_MAX_CHARS or brackets > FAST_MAX_BRACKETS or (brackets > 0 and "?" in text)
            or NOT_FAST.search(text) is not None)


def read(text: str, loader: type[Any], fast_loader: type[Any] | None,
         inspect: Callable[[Any], T]) -> tuple[Any, T, Any]:
    """(node, ``inspect(node)``, data) for one YAML document, the data as
    ``yaml.load(text, Loader=loader)`` builds it, in one parse. ``fast_loader`` (libyaml, about
    five times faster, and without PyYAML's first-use cost of compiling its printable-character
    pattern) reads it when the text is safe for it; text it refuses is read again by ``loader``,
    so that errors always say what PyYAML's own parser says. ``inspect`` sees the node before
    the data is built: building flattens '<<' merge keys in the node's own lists. It may run
    twice (once per parser), so it should return what it finds rather than record it."""
    loaders: list[type[Any]] = [loader]
    if fast_loader is not None and not _may_differ(text):
        loaders.insert(0, fast_loader)
    for loader_class in loaders:
        reader = loader_class(text)
        try:
            node = reader.get_single_node()
            if loader_class is fast_loader and deeper_than(node, FAST_MAX_DEPTH):
                continue  # PyYAML's own reading (and its RecursionError) decides
            found = inspect(node)
            data = reader.construct_document(node) if node is not None else None
            return node, found, data
        except yaml.YAMLError:
            if loader_class is loader:
                raise
        finally:
            reader.dispose()
    raise AssertionError("unreachable")  # pragma: no cover


# ---- YAML mistakes in an editor's words ------------------------------------------------------


def explain(text: str, error: yaml.YAMLError) -> tuple[int, str, str]:
    """(0-based line, what is wrong, how to fix it) for a YAML error in ``text``.

    PyYAML names its own states ("expected <block end>, but found '<scalar>'") and marks where
    it gave up, often lines after the mistake: an unclosed quote is found at the next quote
    mark. The mistakes editors make in front matter and settings are told in their words, at
    the line to fix; anything else keeps PyYAML's wording."""
    problem = str(getattr(error, "problem", None) or "cannot be read")
    context = str(getattr(error, "context", None) or "")
    mark, context_mark = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    line = mark.line if mark is not None else context_mark.line if context_mark is not None else 0
    lines = _LINE_BREAK.split(text)  # as PyYAML counts lines
    lines += [""] * (line + 1 - len(lines))
    here = lines[line]
    if "scanning a quoted scalar" in context and context_mark is not None:
        return context_mark.line, "a quoted value is never closed", "end it with the quote mark it starts with"
    if problem == "mapping values are not allowed here" and mark is not None:
        key, _, value = here.partition(":")
        if 0 <= here.find(":") < mark.column:  # a second ':' on the line: in the value
            if key.strip() and not key.lstrip().startswith(("-", "#", '"', "'")):
                return (line, "a value with ': ' in it must be in quotes",
                        f"write {key.strip()}: {_quoted(value.strip())}")
            return line, "a ':' inside a value", "put the value in quotes"
        # The line's own key ran on from the line above: that one has no ':' of its own, or
        # this one is indented under it, and so reads as more of its value.
        above = next((n for n in range(line - 1, -1, -1) if lines[n].strip()), line)
        if here[:1].isspace() and ":" in lines[above]:
            return line, "this line is indented, so it reads as more of the value above", "start it at the margin"
        return above, "a line that isn't 'key: value'", "write key: value, or start the line with '#' for a comment"
    if problem.startswith("expected <block end>, but found '<scalar>'") and mark is not None:
        quoted = _last_quoted(text, mark.index)
        if quoted is not None and quoted.start_mark.line < quoted.end_mark.line:
            # The quote ran on until the next quote mark, lines below.
            return (quoted.start_mark.line, "a quoted value is not closed on its line",
                    "end it with the quote mark it starts with")
        if quoted is not None:
            hint = ("inside '...', write an apostrophe twice (It''s), or use double quotes"
                    if quoted.style == "'" else "put all of the value inside the quotes")
            return line, "text follows a quoted value", hint
    if problem.startswith("expected <block end>, but found '<block mapping start>'"):
        return (line, "this line is indented deeper than the key above it",
                "line it up with that key; in newsletter.yaml, uncomment the keys it belongs under too")
    if "'\\t'" in problem and "cannot start any token" in problem:
        return line, "a tab character: YAML indents with spaces", "replace the tab with spaces"
    if problem == "could not find expected ':'":
        start = context_mark.line if context_mark is not None else line  # where the key began
        return start, "a line that isn't 'key: value'", "write key: value, or start the line with '#' for a comment"
    return line, problem, ""


#: What PyYAML counts as a line break (its marks' line numbers count these).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _quoted(value: str) -> str:
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _last_quoted(text: str, before: int) -> Any:
    """The last quoted scalar PyYAML's scanner reads that ends before ``before``, or None."""
    last = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.index >= before:
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
                last = token
    except yaml.YAMLError:
        pass
    return last


#: Collection tokens that open a level of nesting, and those that close one.
_OPENS = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken, yaml.BlockSequenceStartToken,
          yaml.BlockMappingStartToken)
_CLOSES = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


def too_deep_line(text: str, limit: int = FAST_MAX_DEPTH) -> int:
    """The 0-based line of ``text`` where collections first nest more than ``limit`` levels
    deep, for an error that names it; -1 when they don't (or the text doesn't scan). PyYAML's
    scanner doesn't recurse, so it reads what its composer can't."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _OPENS):
                depth += 1
                if depth > limit:
                    return int(token.start_mark.line)
            elif isinstance(token, _CLOSES):
                depth -= 1
    except yaml.YAMLError:
        pass
    return -1
