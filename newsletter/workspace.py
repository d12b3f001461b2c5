"""A workspace: a folder with newsletter.yaml, issues/, optional templates/, and out/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import Problem, SettingsError
from newsletter.settings import CONFIG_NAME, Settings, load_settings


@dataclass
class Workspace:
    """A newsletter folder: newsletter.yaml (read) and the issues/, templates/ and out/ beside it."""

    root: Path
    settings: Settings

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    def issue_files(self) -> list[Path]:
        return issue_files_in(self.issues_dir)

    def out_for(self, slug: str) -> Path:
        return self.out_dir / slug

    def issue_arg(self, path: Path) -> Path:
        """An ISSUE named on the command line: from the current folder, as typed; a relative
        path that isn't there is looked for in the workspace (``-C ws issues/x.md``)."""
        if path.is_absolute() or path.exists() or path.is_symlink():
            return path
        inside = self.root / path
        return inside if inside.exists() or inside.is_symlink() else path


def issue_files_in(folder: Path) -> list[Path]:
    """Every issue file in ``folder`` (a workspace's issues/), sorted by name (dated names sort
    oldest first). What ``build`` builds and the preview shows."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if is_issue_name(p.name) and is_issue_path(p))


def is_issue_name(name: str) -> bool:
    """A visible ``*.md`` name: not an editor's lock file (``.#x.md``) or other hidden file."""
    return name.endswith(".md") and not name.startswith(".")


def is_issue_path(path: Path) -> bool:
    """A file, or a link whose target is gone: building that says so instead of skipping it.
    (A folder named x.md is not an issue.)"""
    return path.is_file() or (path.is_symlink() and not path.exists())


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding newsletter.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def open_workspace(directory: Path | None = None) -> Workspace:
    """The workspace at ``directory`` (``-C``), or found from the current folder upwards."""
    if directory is not None:
        root = directory.resolve()
        if not root.is_dir():
            what = "is a file, not a folder" if root.exists() else "no such folder"
            raise SettingsError(Problem(str(directory), 0, what, "-C names an existing workspace folder"))
        if not (root / CONFIG_NAME).is_file():
            raise SettingsError(Problem(str(root / CONFIG_NAME), 0, "no newsletter.yaml in this folder",
                                        "run 'newsletter init' to create a workspace"))
    else:
        found = find_root(Path.cwd())
        if found is None:
            # No file to name: the message says where it looked.
            raise SettingsError(Problem("", 0, f"no {CONFIG_NAME} found in this folder or any parent: {Path.cwd()}",
                                        "run 'newsletter init' to create a workspace, or pass -C DIR"))
        root = found
    return Workspace(root, load_settings(root / CONFIG_NAME))
