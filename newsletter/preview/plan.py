"""Which issues a set of file changes rebuilds. Pure: paths in, a plan out, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from newsletter.settings import CONFIG_NAME
from newsletter.workspace import is_issue_name


class Kind(Enum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


@dataclass(frozen=True)
class Plan:
    """What the preview has to do after a batch of file changes."""

    #: newsletter.yaml changed: load it again before building.
    reload_settings: bool = False
    #: A template or the settings changed: every issue is affected.
    rebuild_all: bool = False
    #: Issue files to build again (when not rebuild_all).
    issues: frozenset[Path] = frozenset()
    #: Issue files that are gone: forget their builds.
    removed: frozenset[Path] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.reload_settings or self.rebuild_all or self.issues or self.removed)


def is_issue_file(path: Path, root: Path) -> bool:
    """An issue is a visible ``*.md`` file directly inside ``issues/``, as `build` lists them
    (newsletter.workspace.issue_files_in): not an editor's lock file (``.#x.md``) or backup."""
    return path.parent == root / "issues" and is_issue_name(path.name)


def plan_rebuild(changes: Iterable[tuple[Kind, Path]], root: Path) -> Plan:
    """Decide what to rebuild for ``changes`` (absolute paths) in the workspace at ``root``.

    issues/X.md rebuilds X only (or forgets X when deleted); anything under templates/
    rebuilds every issue; newsletter.yaml reloads the settings and rebuilds every issue.
    Everything else (out/, editor swap files, other folders) is ignored.
    A file both deleted and added in one batch is rebuilt.
    """
    reload_settings = rebuild_all = False
    issues: set[Path] = set()
    removed: set[Path] = set()
    templates = root / "templates"
    for kind, path in changes:
        if path == root / CONFIG_NAME:
            reload_settings = rebuild_all = True
        elif path == templates or templates in path.parents:
            rebuild_all = True
        elif is_issue_file(path, root):
            # Editors that save by rename report a delete and an add in one batch (in no
            # particular order): any sign of life means rebuild; the builder checks the disk.
            if kind is Kind.DELETED:
                removed.add(path)
            else:
                issues.add(path)
    removed -= issues
    return Plan(reload_settings, rebuild_all, frozenset(issues), frozenset(removed))
