"""Where the templates are: the workspace's templates/ over the packaged default theme.

Kept apart from newsletter/render/jinja.py so that working out a build's cache key (which
hashes these folders) doesn't import Jinja.
"""

from __future__ import annotations

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
