"""YAML loaders whose every failure is a YAMLError that says where.

PyYAML's safe constructors let plain Python errors escape for an explicitly tagged value
that doesn't read as its tag (``!!int x``, ``!!float x``, ``!!timestamp x``: ValueError or
AttributeError, a traceback instead of a message). Here they become ConstructorErrors at
the value's line, like every other YAML mistake.
"""

from __future__ import annotations

from typing import Any

import yaml


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

if HAS_LIBYAML:
    class CSafeLoader(_ReadableErrors, yaml.CSafeLoader):
        """yaml.CSafeLoader, with readable construction errors."""
