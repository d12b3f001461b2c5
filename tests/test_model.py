"""The content model's walker: every block once, in document order, at any depth."""

from __future__ import annotations

from newsletter.content import model as m
from newsletter.content.parse import parse_issue_text

ISSUE = """\
---
subject: "Walking the model"
date: 2026-06-02
---
Intro paragraph.

# A story

Lede.

- first item
- second item with a nested list:
  - nested item

> A quote.
>
> > A quote inside it.

::: sitrep
Sitrep text.
:::
"""


def texts(issue: m.Issue) -> list[str]:
    from newsletter.content.markdown import plain_text

    return [plain_text(b.inlines) for b in m.walk_blocks(issue) if isinstance(b, m.Paragraph)]


def test_walk_blocks_visits_every_paragraph_in_document_order() -> None:
    issue = parse_issue_text("issues/walk.md", ISSUE)
    assert texts(issue) == [
        "Intro paragraph.",
        "Lede.",
        "first item",
        "second item with a nested list:",
        "nested item",
        "A quote.",
        "A quote inside it.",
        "Sitrep text.",
    ]


def test_walk_blocks_handles_deep_nesting_without_recursion() -> None:
    block: m.Block = m.Paragraph((m.Text("deep"),), 1)
    for _ in range(5000):
        block = m.Quote((block,), 1)
    issue = m.Issue(path="x.md", slug="x", subject="s", date=__import__("datetime").date(2026, 1, 1),
                    preheader="", intro=(block,), items=())
    assert texts(issue) == ["deep"]
    assert sum(1 for _ in m.walk_blocks(issue)) == 5001
