"""The Jinja environment: the workspace's templates/ over the packaged default theme.

A workspace overrides any theme file by giving a file of the same name, as MkDocs'
``custom_dir`` does. One environment per (workspace, theme) is reused across builds.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from newsletter.render.text import wrap


def theme_dir() -> Path:
    """The default theme: packaged as newsletter/theme in a wheel, templates/ in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "theme"
    if packaged.is_dir():
        return packaged
    return here.parent / "templates"


def search_path(workspace_templates: Path | None) -> list[Path]:
    dirs = []
    if workspace_templates is not None and workspace_templates.is_dir():
        dirs.append(workspace_templates)
    theme = theme_dir()
    if not dirs or dirs[0].resolve() != theme.resolve():
        dirs.append(theme)
    return dirs


@lru_cache(maxsize=8)
def environment(dirs: tuple[Path, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("mjml.j2", "html.j2", "xml.j2", "mjml", "html", "xml"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    env.filters["wrap"] = wrap
    return env


def get_environment(workspace_templates: Path | None) -> jinja2.Environment:
    return environment(tuple(search_path(workspace_templates)))
