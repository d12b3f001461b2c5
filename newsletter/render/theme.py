"""Where the templates are: the workspace's templates/ over the packaged default theme.

Kept apart from newsletter/render/jinja.py so that working out a build's cache key (which
hashes these folders) doesn't import Jinja.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def theme_dir() -> Path:
    """The default theme: packaged as newsletter/theme in a wheel, templates/ in a checkout
    (where this installation is doesn't change while it runs)."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "theme"
    if packaged.is_dir():
        return packaged
    return here.parent / "templates"


def search_path(workspace_templates: Path | None) -> list[Path]:
    """The template folders in look-up order: the workspace's own first, then the theme."""
    dirs = []
    if workspace_templates is not None and workspace_templates.is_dir():
        dirs.append(workspace_templates)
    theme = theme_dir()
    if not dirs or dirs[0].resolve() != theme.resolve():
        dirs.append(theme)
    return dirs


def theme_files(search_dirs: list[Path], pattern: str = "*.j2") -> list[Path]:
    """Template files in search order; a workspace file shadows the theme file of the same name."""
    seen: set[str] = set()
    out: list[Path] = []
    for d in search_dirs:
        for path in _listing(d, pattern):
            rel = str(path.relative_to(d))
            if rel not in seen:
                seen.add(rel)
                out.append(path)
    return out


#: Each folder's last listing: (its folder stamp, the files).
_LISTINGS: dict[tuple[str, str], tuple[tuple[tuple[str, int], ...], tuple[Path, ...]]] = {}


def _listing(folder: Path, pattern: str) -> tuple[Path, ...]:
    """``sorted(folder.rglob(pattern))`` (nothing when it isn't a folder), remembered until a
    folder in it changes (``folder_stamp``). Every issue's checks list the theme; in a build
    or the preview it rarely changes."""
    key = (str(folder), pattern)
    stamp = folder_stamp(folder)
    known = _LISTINGS.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    # Files only: Jinja skips a link whose file is gone (the theme's own file is used), and so do the rules.
    files = tuple(sorted(p for p in folder.rglob(pattern) if p.is_file())) if folder.is_dir() else ()
    _LISTINGS[key] = (stamp, files)
    return files


#: Each folder's last stamp (see folder_stamp).
_STAMPS: dict[str, tuple[tuple[str, int], ...]] = {}


def folder_stamp(folder: Path) -> tuple[tuple[str, int], ...]:
    """Every folder in ``folder`` (itself included; links followed, as Jinja does, each once so
    that a link loop ends) with its modification time in nanoseconds: adding, removing or
    renaming a file changes its folder's. Remembered: the folders found last time get one
    stat each, and the tree is walked again only when one of them changed."""
    key = str(folder)
    known = _STAMPS.get(key)
    if known is not None and all(_mtime_ns(path) == mtime for path, mtime in known):
        return known
    out: list[tuple[str, int]] = []
    seen: set[tuple[int, int]] = set()
    for path, subfolders, _ in os.walk(folder, followlinks=True):
        try:
            st = os.stat(path)
        except OSError:
            subfolders.clear()
            continue
        if (st.st_dev, st.st_ino) in seen:
            subfolders.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        out.append((path, st.st_mtime_ns))
    stamp = tuple(out) or ((key, -1),)  # none yet: its appearing changes the stamp
    _STAMPS[key] = stamp
    return stamp


def _mtime_ns(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def theme_mjml_only(workspace_templates: Path | None) -> bool:
    """True when every MJML template comes from the default theme: the workspace's templates/
    has no ``*.mjml.j2`` of its own (its CSS, text or archive templates may differ). Our own
    templates never change a paragraph's text, so the renderer may hand it to them as tokens
    (newsletter/render/texttokens.py)."""
    dirs = search_path(workspace_templates)
    return not theme_files(dirs[:-1], "*.mjml.j2")


def check_workspace_templates(folder: Path) -> None:
    """Raise TemplateError when the workspace's templates/ is there but isn't a folder: a file,
    or a link whose folder is gone. The theme would otherwise be used in its place, the
    newsroom's own look lost without a word."""
    from newsletter.errors import Problem, TemplateError

    if folder.is_dir() or not (folder.is_symlink() or folder.exists()):
        return
    if folder.is_symlink():
        import os

        raise TemplateError(Problem(str(folder), 0, f"is a link to {os.readlink(folder)}, which isn't a folder",
                                    "point it at your templates folder, or remove it to use the default theme"))
    raise TemplateError(Problem(str(folder), 0, "is a file, not a folder of templates",
                                "move it away: the workspace's templates go in the folder templates/"))
