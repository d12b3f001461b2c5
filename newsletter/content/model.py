"""The content model: what an issue *is*, independent of HTML or text.

Both outputs render from these objects: the MJML theme and the plain-text
template walk the same tree, so every paragraph and link reaches both parts.
Every node keeps the 1-based source line it came from, for error messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterator, Union

# ---- inline content -------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Plain text, as written (escaped when rendered)."""

    text: str


@dataclass(frozen=True)
class Code:
    """``inline code``."""

    text: str


@dataclass(frozen=True)
class Break:
    """A hard line break inside a paragraph."""


@dataclass(frozen=True)
class MergeTag:
    """An email-service tag written in content, e.g. ``*|FNAME|*``: output byte-exact, never parsed."""

    raw: str


@dataclass(frozen=True)
class Placeholder:
    """A recipient placeholder written ``%%name%%`` or ``%%name|fallback%%`` in content; the
    build writes it in the email service's own form (``*|FNAME|*``, ``{{ subscriber.metadata.x }}``...)."""

    name: str
    fallback: str = ""


@dataclass(frozen=True)
class Emphasis:
    """``*emphasis*``."""

    children: tuple["Inline", ...]


@dataclass(frozen=True)
class Strong:
    """``**strong**``."""

    children: tuple["Inline", ...]


@dataclass(frozen=True)
class Link:
    """``[text](https://...)``; ``url`` is checked when the issue is read."""

    url: str
    children: tuple["Inline", ...]
    title: str = ""
    #: False for links marked ``{.no-track}``: UTM tagging leaves them as written.
    track: bool = True


Inline = Union[Text, Code, Break, MergeTag, Placeholder, Emphasis, Strong, Link]

# ---- blocks -----------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline content."""

    inlines: tuple[Inline, ...]
    line: int


@dataclass(frozen=True)
class Subhead:
    """``### Subhead`` inside a section."""

    inlines: tuple[Inline, ...]
    line: int


@dataclass(frozen=True)
class ListBlock:
    """A bulleted or numbered list; each item is a tuple of blocks."""

    ordered: bool
    items: tuple[tuple["Block", ...], ...]
    line: int
    start: int = 1


@dataclass(frozen=True)
class Quote:
    """A ``>`` block quote."""

    blocks: tuple["Block", ...]
    line: int


@dataclass(frozen=True)
class Rule:
    """A ``---`` horizontal rule."""

    line: int


@dataclass(frozen=True)
class Figure:
    """An image: ``![alt](https://... "Caption"){credit="..."}``."""

    src: str
    alt: str
    line: int
    caption: str = ""
    credit: str = ""
    decorative: bool = False
    link: str = ""


Block = Union[Paragraph, Subhead, ListBlock, Quote, Rule, Figure]

# ---- sections, stories, callouts ---------------------------------------------

#: Recognised Semaform section kinds, in their usual order. ``plain`` is any other ``##``.
SECTION_KINDS = (
    "news",
    "scoop",
    "know_more",
    "step_back",
    "view",
    "disagreement",
    "view_from",
    "notable",
    "plain",
)


@dataclass(frozen=True)
class Section:
    """A ``##`` section of a story. ``kind`` is one of SECTION_KINDS, or ``lede`` for the text
    between the headline and the first ``##``. ``title`` is the heading as the editor wrote it."""

    kind: str
    title: str
    blocks: tuple[Block, ...]
    line: int


@dataclass(frozen=True)
class Story:
    """A ``#`` headline and its sections, numbered from 1 in the issue."""

    number: int
    headline: str
    sections: tuple[Section, ...]
    line: int

    @property
    def anchor(self) -> str:
        return f"story-{self.number}"


#: Fenced ``::: name`` containers, always drawn outside story cards.
CALLOUT_KINDS = ("sponsor", "signup", "sitrep", "quote")


@dataclass(frozen=True)
class Callout:
    """A ``::: kind [label]`` block. For ``quote`` the attribution is a final ``-- Name`` line."""

    kind: str
    blocks: tuple[Block, ...]
    line: int
    label: str = ""
    attribution: str = ""


Item = Union[Story, Callout]


@dataclass(frozen=True)
class Author:
    """The issue's author from front matter (``author:``), shown in the byline."""

    name: str
    email: str = ""


@dataclass
class Issue:
    """One parsed issue file."""

    path: str
    slug: str
    subject: str
    date: dt.date
    preheader: str
    intro: tuple[Block, ...]
    items: tuple[Item, ...]
    number: int | None = None
    updated: dt.datetime | None = None
    author: Author | None = None
    #: True when the preheader came from front matter rather than the first story.
    preheader_given: bool = False
    #: The file's text, for checks that quote it and for choosing tag tokens content can't forge.
    source: str = ""
    #: front-matter key -> line, for checks that point at the front matter.
    front_matter_lines: dict[str, int] = field(default_factory=dict)

    @property
    def stories(self) -> tuple[Story, ...]:
        return tuple(i for i in self.items if isinstance(i, Story))

    @property
    def callouts(self) -> tuple[Callout, ...]:
        return tuple(i for i in self.items if isinstance(i, Callout))


def walk_blocks(issue: Issue) -> Iterator[Block]:
    """Every block of the issue in document order, list items and quotes included (depth first).

    Iterative, so content nested thousands of levels deep can't exhaust the stack."""
    stack: list[Block] = []

    def push(blocks: tuple[Block, ...]) -> None:
        stack.extend(reversed(blocks))

    roots: list[tuple[Block, ...]] = [issue.intro]
    for item in issue.items:
        if isinstance(item, Story):
            roots.extend(section.blocks for section in item.sections)
        else:
            roots.append(item.blocks)
    for blocks in roots:
        push(blocks)
        while stack:
            block = stack.pop()
            yield block
            if isinstance(block, ListBlock):
                for item_blocks in reversed(block.items):
                    stack.extend(reversed(item_blocks))
            elif isinstance(block, Quote):
                push(block.blocks)
