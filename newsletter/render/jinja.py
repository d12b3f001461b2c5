"""The Jinja environment: the workspace's templates/ over the packaged default theme.

A workspace overrides any theme file by giving a file of the same name, as MkDocs'
``custom_dir`` does. One environment per (workspace, theme) is reused across builds; its
templates are forgotten whenever a file is added to, removed from or renamed in the
workspace's folders (see ``get_environment``).
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup

from newsletter.render.text import capitals, wrap
from newsletter.settings import NOT_IN_CSS
from newsletter.render.theme import folder_stamp, search_path
from newsletter.usercache import user_cache_dir


#: Compiled templates depend on these Environment options: change this text when they change.
_COMPILE_OPTIONS = "select_autoescape(mjml.j2 html.j2 xml.j2 mjml html xml) trim lstrip keep_newline strict"


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept on disk, so a fresh process doesn't compile the theme again
    (about a quarter of a cold build's first render). Jinja checks each file against the
    template's source; any error reading or writing one just means compiling as usual."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - a damaged cache file is never worse than no cache
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache_dir() -> Path | None:
    """Where compiled templates are kept: a folder of user_cache_dir() per version and options."""
    base = user_cache_dir()
    if base is None:
        return None
    from newsletter import __version__

    tag = hashlib.sha256(f"{__version__} {jinja2.__version__} {_COMPILE_OPTIONS}".encode()).hexdigest()[:16]
    return base / f"jinja-{tag}"


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    folder = bytecode_cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return _QuietBytecodeCache(str(folder))


class _ThemeLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, with a template file that isn't UTF-8 reported at its own path and line
    (Jinja's error names no file, and it may be a partial that another template includes)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as e:
            from newsletter.errors import Problem, TemplateError

            path = next((str(Path(folder) / template) for folder in self.searchpath
                         if (Path(folder) / template).is_file()), template)
            line = bytes(e.object[:e.start]).count(b"\n") + 1
            raise TemplateError(Problem(path, line, f"template error: the file isn't UTF-8 text ({e.reason})",
                                        "save it as UTF-8")) from None


@lru_cache(maxsize=8)
def environment(dirs: tuple[Path, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_ThemeLoader([str(d) for d in dirs]),
        bytecode_cache=_bytecode_cache(),
        autoescape=jinja2.select_autoescape(enabled_extensions=("mjml.j2", "html.j2", "xml.j2", "mjml", "html", "xml"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    env.filters["wrap"] = wrap
    env.filters["upper"] = capitals  # the words, not a tag or URL in them
    env.filters["css"] = css_value
    return env


def css_value(value: object) -> Markup:
    """A setting (a font stack) for a CSS declaration in an HTML page's <style> block. Autoescape
    would write its quotes as '&#39;', which CSS doesn't decode: the declaration is then dropped."""
    return Markup(NOT_IN_CSS.sub("", str(value)))


#: Folder stamps each environment's cached templates were loaded under (see get_environment).
_STAMPS: dict[tuple[Path, ...], tuple[tuple[tuple[str, int], ...], ...]] = {}
_STAMPS_LOCK = threading.Lock()


def get_environment(workspace_templates: Path | None) -> jinja2.Environment:
    """The environment for these folders, its template cache cleared when their listing changed.

    Jinja checks a cached template only against the file it was loaded from: a theme file
    cached before the workspace gained a file of the same name would keep being used (the
    preview would ignore a new override until restarted). Adding, removing or renaming a
    file changes its folder's modification time, so a stamp of the workspace's folders
    says when to look again. The theme (always last) shadows nothing, so it isn't stamped.
    """
    dirs = tuple(search_path(workspace_templates))
    env = environment(dirs)
    stamp = tuple(folder_stamp(folder) for folder in dirs[:-1])
    with _STAMPS_LOCK:
        if _STAMPS.get(dirs) != stamp:
            if env.cache is not None:
                env.cache.clear()
            _STAMPS[dirs] = stamp
    return env
