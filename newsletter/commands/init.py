"""`newsletter init [DIR]`: scaffold a workspace without ever overwriting a file.

newsletter.yaml is generated from the settings schema (``iter_documented``), so it lists
every key with its documentation and can't drift from what the loader accepts.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from pathlib import Path
from typing import Any

import click

from newsletter.errors import NewsletterError, Problem, display_path
from newsletter.settings import CONFIG_NAME, iter_documented
from newsletter.settings import REQUIRED_KEYS as REQUIRED

#: Values written for keys the user must set (they are obviously placeholders).
EXAMPLE_VALUES: dict[str, str] = {
    "name": "The Example Letter",
    "tagline": "A short line about what this newsletter covers.",
    "sender.name": "The Example Letter",
    "sender.email": "editor@example.com",
    "web_url": "https://example.com/newsletter",
    "postal_address": "123 Example Street, Example City, EX 00000",
    "signup_url": "https://example.com/newsletter/subscribe",
    "unsubscribe_url": "https://example.com/newsletter/unsubscribe",
    "preferences_url": "https://example.com/newsletter/preferences",
}


HEADER = """\
# newsletter.yaml: settings shared by every issue of this newsletter.
#
# Every setting is listed below with what it does. Lines that are not commented
# out hold example values: replace them with your own (the ones marked REQUIRED
# must be set). Commented-out lines show the default; remove the '# ' to change one.
"""


def init_workspace(directory: Path) -> None:
    """Create newsletter.yaml and issues/<today>-welcome.md in ``directory``."""
    today = dt.date.today()
    files = {
        directory / CONFIG_NAME: settings_file(),
        directory / "issues" / f"{today.isoformat()}-welcome.md": example_issue(today),
    }
    for path in files:
        if path.exists() or path.is_symlink():
            raise NewsletterError(Problem(str(path), 0, "already exists; 'newsletter init' never overwrites a file",
                                          "choose an empty folder: newsletter init DIR"))
    if directory.exists() and not directory.is_dir():
        # The argument itself is wrong: a usage error (exit 2), as click reports a bad argument.
        raise click.BadParameter(f"{display_path(directory)} is a file, but the workspace needs a folder here "
                                 "(move it away, or choose another folder)",
                                 ctx=click.get_current_context(silent=True), param_hint="'DIRECTORY'")
    for folder in {path.parent for path in files}:
        if folder.exists() and not folder.is_dir():
            raise NewsletterError(Problem(str(folder), 0, "is a file, but the workspace needs a folder here",
                                          "move it away, or choose another folder"))
    created: list[Path] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8", newline="\n") as f:
                f.write(text)
            created.append(path)
    except FileExistsError as e:
        raise NewsletterError(Problem(str(e.filename), 0, "already exists; 'newsletter init' never overwrites a file")) from None
    except OSError as e:
        raise NewsletterError(Problem(str(e.filename or directory), 0, f"cannot create the workspace: {e.strerror}")) from None
    for path in created:
        click.echo(f"Created {display_path(path)}")
    where = "" if directory.resolve() == Path.cwd().resolve() else f" -C {shlex.quote(display_path(directory))}"
    click.echo(f"Next: edit {CONFIG_NAME}, then run: newsletter build{where}")


def settings_file() -> str:
    """A commented newsletter.yaml: every documented key, example values for the ones to set."""
    out = [HEADER.rstrip("\n")]
    entries = iter_documented()
    for key, default, doc in entries:
        depth = key.count(".")
        pad = "  " * depth
        leaf = key.rsplit(".", 1)[-1]
        is_group = default is None and any(k.startswith(key + ".") for k, _, _ in entries)
        note = " REQUIRED." if key in REQUIRED or (is_group and any(r.startswith(key + ".") for r in REQUIRED)) else ""
        if depth == 0:
            out.append("")
        out.append(f"{pad}# {doc}{note}")
        if is_group:
            live = any(k.startswith(key + ".") for k in EXAMPLE_VALUES)
            out.append(f"{pad}{'' if live else '# '}{leaf}:")
        elif key in EXAMPLE_VALUES:
            out.append(f"{pad}{leaf}: {_yaml(EXAMPLE_VALUES[key])}")
        else:
            out.append(f"{pad}# {leaf}: {_yaml(default)}")
    return "\n".join(out) + "\n"


def _yaml(value: Any) -> str:
    """A YAML scalar or flow list (JSON is valid YAML, and quotes what needs quoting)."""
    if isinstance(value, str) and value and value == value.strip() and value[0].isalnum() \
            and not any(c in value for c in ":#'\"{}[],&*!|>%@`"):
        return value
    return json.dumps(value, ensure_ascii=False)


def example_issue(date: dt.date) -> str:
    """A short example issue that builds as it is and shows the main constructs."""
    return f"""\
---
subject: "Welcome to the first issue"
date: {date.isoformat()}
preheader: "What this newsletter is, and how an issue file is put together."
---
Hello, and thank you for reading. This first issue is an example: it shows how an
issue file is written. Edit it, or make a fresh one with `newsletter new "Headline"`.

# How an issue file is put together

Each story starts with a headline written as `# Headline`. The paragraph right under
it is the lede, drawn in bold.

## The News

Sections start with `## Heading`. Some names get their own label style, like this
one; any other name becomes a plain section with its own title.

## Know More

Write with **bold**, *italics*, [links](https://example.com) and lists:

- one point per line,
- as many as you need.

<!-- Comments like this one never reach the email: use them for notes to yourself. -->

::: signup
Did someone forward this to you? [Sign up here](https://example.com/newsletter/subscribe).
:::
"""
