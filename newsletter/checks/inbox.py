"""Inbox: what the list view shows. Subject length, preheader length and filler."""

from __future__ import annotations

from typing import Iterator

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext, text_of
from newsletter.content import model as m

SUBJECT_MAX = 60
PREHEADER_MIN, PREHEADER_MAX = 40, 140
FILLER = "\u034f\u200c\u00a0\u200b\u2007\u00ad"
MIN_FILLER = 10


def check(ctx: CheckContext) -> Iterator[Finding]:
    issue = ctx.issue
    lines = issue.front_matter_lines
    subject = " ".join(issue.subject.split())
    if len(subject) > SUBJECT_MAX:
        yield ctx.issue_finding("inbox", "warning", f"subject is {_characters(len(subject))}; phones show about "
                                f"{SUBJECT_MAX}", "put the news in the first 60 characters", lines.get("subject", 0))
    pre = " ".join(issue.preheader.split())
    # A preheader not given in front matter is the first sentence of a paragraph: point there
    # (its words may be a headline's too, and its Markdown is gone: the model knows the line).
    where = lines.get("preheader", 0) if issue.preheader_given else _derived_line(issue)
    hint = "set 'preheader:' in the front matter" if not issue.preheader_given else "rewrite 'preheader:'"
    if not pre:  # at the subject, which the preheader goes under
        yield ctx.issue_finding("inbox", "warning", "no preheader: the inbox shows the first text of the body",
                                "add 'preheader:' to the front matter", where or lines.get("subject", 0))
    elif not PREHEADER_MIN <= len(pre) <= PREHEADER_MAX:
        yield ctx.issue_finding("inbox", "warning", f"preheader is {_characters(len(pre))}; "
                                f"{PREHEADER_MIN}-{PREHEADER_MAX} fill the inbox preview", hint, where)
    if pre and pre.casefold() == subject.casefold():
        yield ctx.issue_finding("inbox", "warning", "preheader repeats the subject", hint, where)
    if pre:
        yield from _filler(ctx, pre)


def _characters(n: int) -> str:
    return f"{n} character" + ("" if n == 1 else "s")


def _derived_line(issue: m.Issue) -> int:
    from newsletter.content.parse import preheader_paragraph

    paragraph = preheader_paragraph(issue)
    return paragraph.line if paragraph is not None else 0


def _filler(ctx: CheckContext, pre: str) -> Iterator[Finding]:
    for el in ctx.body.iter():
        if not isinstance(el.tag, str) or "display:none" not in (el.get("style") or "").replace(" ", ""):
            continue
        text = text_of(el)
        if pre[:20] not in " ".join(text.split()):
            continue
        tail = text[text.find(pre[-10:]) + 10:] if pre[-10:] in text else ""
        if sum(ch in FILLER for ch in tail) < MIN_FILLER:
            yield ctx.finding("inbox", "warning", "the preheader is not followed by filler: the inbox preview "
                              "will continue with body text", "add &#847;&zwnj;&nbsp; repeated after it",
                              template="preheader", el=el)
        return
    yield ctx.finding("inbox", "warning", "no hidden preheader element in the HTML",
                      "the theme's preheader partial should write it first in <body>", template="preheader")
