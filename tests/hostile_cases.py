"""The hostile corpus (tests/hostile/*.txt) and the issue file each vector is planted in.

Every field that reaches the email has a slot in ISSUE_TEMPLATE; ``issue_with(field, vector)``
fills one slot with the vector and the rest with ordinary text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.build import BuildResult
    from newsletter.errors import NewsletterError
    from newsletter.workspace import Workspace

CORPUS = Path(__file__).resolve().parent / "hostile"
_ESCAPES = {"{TAB}": "\t", "{LF}": "\n", "{CR}": "\r", "{FF}": "\f", "{NUL}": "\x00", "{VT}": "\v",
            "{ZWSP}": "\u200b", "{BOM}": "\ufeff", "{RLO}": "\u202e"}


@dataclass(frozen=True)
class Vector:
    family: str
    number: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.family}-{self.number:02d}"


def load_vectors() -> list[Vector]:
    vectors = []
    for path in sorted(CORPUS.glob("*.txt")):
        n = 0
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line.strip() or line.startswith("#"):
                continue
            for code, char in _ESCAPES.items():
                line = line.replace(code, char)
            n += 1
            vectors.append(Vector(path.stem, n, line))
    return vectors


def _yaml(value: str) -> str:
    """A YAML double-quoted scalar holding exactly ``value``."""
    return json.dumps(value, ensure_ascii=True)


def _title(value: str) -> str:
    """A Markdown link title / attribute value in double quotes, holding exactly ``value``."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


#: field name -> how to plant the vector ``v`` in the issue.
FIELDS = {
    "subject": lambda v: {"subject": _yaml(v)},
    "preheader": lambda v: {"preheader": _yaml(v)},
    "author": lambda v: {"author": "{name: " + _yaml(v) + "}"},
    "intro_front_matter": lambda v: {"intro": _yaml(v)},
    "intro": lambda v: {"intro_body": v},
    "headline": lambda v: {"headline": v},
    "section_title": lambda v: {"section": v},
    "body": lambda v: {"body": v},
    "list_item": lambda v: {"body": "- " + v + "\n- second item"},
    "blockquote": lambda v: {"body": "> " + v},
    "code": lambda v: {"body": "`" + v + "`"},
    "alt_text": lambda v: {"body": f"![{v}](https://img.example/photo.jpg)"},
    "caption": lambda v: {"body": f'![A photo](https://img.example/photo.jpg "{_title(v)}")'},
    "credit": lambda v: {"body": f'![A photo](https://img.example/photo.jpg){{credit="{_title(v)}"}}'},
    "link_text": lambda v: {"body": f"Read [{v}](https://ok.example/a) now."},
    "link_url": lambda v: {"body": f"Read [the report]({v}) now."},
    "link_url_angle": lambda v: {"body": f"Read [the report](<{v}>) now."},
    "link_title": lambda v: {"body": f'Read [the report](https://ok.example/a "{_title(v)}") now.'},
    "autolink": lambda v: {"body": f"See <{v}> now."},
    "image_url": lambda v: {"body": f"![A photo]({v})"},
    "image_link": lambda v: {"body": f'![A photo](https://img.example/photo.jpg){{link="{_title(v)}"}}'},
    "block_label": lambda v: {"block_label": v},
    "block_content": lambda v: {"block_body": v},
    "quote_attribution": lambda v: {"quote_by": v},
}

DEFAULTS = {
    "subject": '"An ordinary subject"',
    "preheader": '"An ordinary preheader."',
    "author": "{name: Pat Editor}",
    "intro": "",
    "intro_body": "Good morning. Here is the intro.",
    "headline": "An ordinary headline",
    "section": "The News",
    "body": "An ordinary paragraph of news.",
    "block_label": "Acme Widgets",
    "block_body": "Widgets for every occasion.",
    "quote_by": "A. Speaker",
}

ISSUE_TEMPLATE = """\
---
subject: {subject}
date: 2026-06-02
preheader: {preheader}
author: {author}
{intro_line}---
{intro_body}

# {headline}

The lede paragraph for *|FNAME|*.

## {section}

{body}

## Know More

Another paragraph.

::: sponsor {block_label}
{block_body}
:::

::: quote
Words worth quoting.

-- {quote_by}
:::
"""


def issue_with(field: str | None, vector: str) -> str:
    values = dict(DEFAULTS)
    if field is not None:
        values.update(FIELDS[field](vector))
    intro = values.pop("intro")
    values["intro_line"] = f"intro: {intro}\n" if intro else ""
    if intro:
        values["intro_body"] = ""
    return ISSUE_TEMPLATE.format(**values)


def make_workspace(root: Path, settings: str) -> "Workspace":
    from newsletter.workspace import open_workspace

    (root / "issues").mkdir(parents=True, exist_ok=True)
    (root / "newsletter.yaml").write_text(settings, encoding="utf-8")
    return open_workspace(root)


def build_text(ws: "Workspace", name: str, text: str, *,
               extras: bool = True) -> tuple[Path, "BuildResult | None", "NewsletterError | None"]:
    """Write ``text`` as issues/<name>.md and build it in process (``extras``: see render_issue)."""
    from newsletter.build import render_issue
    from newsletter.errors import NewsletterError

    path = ws.issues_dir / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    try:
        return path, render_issue(ws, path, extras=extras), None
    except NewsletterError as e:
        return path, None, e


#: Fields planted one at a time: URLs (one refused URL fails the whole build) and the
#: front-matter intro (which can't sit beside an intro written in the body).
SOLO_FIELDS = ("link_url", "link_url_angle", "autolink", "image_url", "image_link", "intro_front_matter")
TOGETHER_FIELDS = tuple(f for f in FIELDS if f not in SOLO_FIELDS)


def issue_with_all(vector: str, fields: tuple[str, ...] = TOGETHER_FIELDS) -> str:
    """One issue with ``vector`` in every field of ``fields`` at once."""
    values = dict(DEFAULTS)
    bodies = []
    for field in fields:
        planted = FIELDS[field](vector)
        if "body" in planted:
            bodies.append(planted.pop("body"))
        values.update(planted)
    if bodies:
        values["body"] = "\n\n".join(bodies)
    intro = values.pop("intro")
    values["intro_line"] = f"intro: {intro}\n" if intro else ""
    return ISSUE_TEMPLATE.format(**values)
