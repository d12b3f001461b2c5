"""One exception family for everything a user can get wrong.

Every error carries the file and line it comes from, so the CLI prints
``Error: issues/x.md:12: what is wrong (hint)`` and exits 1, never a traceback.
Content errors are collected (a file may have several) and raised together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click


def display_path(path: str | os.PathLike[str] | None) -> str:
    """A path as the user should read it: relative to the current folder when it is inside it.

    The path is never resolved: a link names the file the user named (issues/x.md), not the
    file it points to, and a dangling link still names itself. Only the folder an absolute
    path is in is resolved, to tell whether it is inside the current folder."""
    if path is None:
        return "<input>"
    text = os.fspath(path)
    if not os.path.isabs(text):
        return str(Path(text))  # as the user gave it ("./x.md" reads "x.md")
    cwd = os.getcwd().rstrip(os.sep)  # already free of symlinks and dots
    if ".." not in text and text.startswith(cwd + os.sep):  # the common case, without asking the disk
        return text[len(cwd) + 1:]
    p = Path(text)
    try:
        return str(p.parent.resolve().relative_to(Path(cwd)) / p.name)
    except (ValueError, OSError, RuntimeError):
        return str(p)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, at a line (1-based; 0 when the whole file is meant)."""

    file: str
    line: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = display_path(self.file) + (f":{self.line}" if self.line else "")
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class NewsletterError(click.ClickException):
    """Base of every error the user can cause; click prints it as ``Error: ...`` with exit 1."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str, *, warnings: list[str] | None = None) -> None:
        #: Warnings found before the error (unknown keys): shown first, so none is lost.
        self.warnings: list[str] = list(warnings or [])
        if isinstance(problems, str):
            problems = [Problem("", 0, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        lines = [str(p) if p.file else f"{p.message} ({p.hint})" if p.hint else p.message for p in self.problems]
        # click prefixes the first line with "Error: "; give every other problem the same prefix.
        return "\nError: ".join(lines)

    def show(self, file: Any = None) -> None:
        for warning in self.warnings:
            click.echo(f"Warning: {warning}", err=True)
        super().show(file)

    @property
    def file(self) -> str:
        return self.problems[0].file

    @property
    def line(self) -> int:
        return self.problems[0].line


class ContentError(NewsletterError):
    """An issue file can't be built: bad front matter, bad Markdown, forbidden URL, missing alt."""


class SettingsError(NewsletterError):
    """newsletter.yaml is missing, unreadable, or has a wrong or missing key."""


class TemplateError(NewsletterError):
    """A theme template failed to render or produced MJML that MRML rejects."""

    #: When MRML rejected it: the issue's slug and the MJML (what --emit-mjml writes).
    rejected_mjml: tuple[str, str] | None = None


class OutputError(NewsletterError):
    """out/ could not be written (read-only, full disk)."""
