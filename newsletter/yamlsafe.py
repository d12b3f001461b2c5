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
