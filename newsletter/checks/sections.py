"""Section labels: a '## ' heading that is almost one of the format's labels ('## Know Mroe',
'## The News:', '## Ruths View') is read as a plain section, without its marker or colour.
The parser can't tell a typo from a label of the editor's own, so the gate asks."""

from __future__ import annotations

import difflib
import re
from typing import Iterator

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext
from newsletter.content import model as m
from newsletter.content.parse import section_kind

#: The fixed labels as an editor writes them (content/parse.py reads them case-insensitively).
LABELS = ("The News", "The Scoop", "Know More", "Step Back", "Room for Disagreement", "Notable")
#: How alike a heading must be to a label to be taken for a typo of it (difflib's ratio):
#: 'Know Mroe' is 0.89 and 'Notible' 0.86; 'The Newsroom', a label of its own, is 0.80.
CUTOFF = 0.85
_BY_KEY = {label.lower(): label for label in LABELS}
_TRAILING = re.compile(r"[\s:.!;,\-–—]+$")
_VIEW_NO_APOSTROPHE = re.compile(r"^(?P<name>\S+?)s\s+view$", re.IGNORECASE)


def check(ctx: CheckContext) -> Iterator[Finding]:
    for item in ctx.issue.items:
        if not isinstance(item, m.Story):
            continue
        for section in item.sections:
            if section.kind != "plain" or not section.title:
                continue
            meant = suggestions(section.title)
            if meant:
                options = " or ".join(f"'## {label}'" for label in meant)
                yield ctx.issue_finding(
                    "sections", "warning", f"'## {section.title}' is read as a section of your own, "
                    f"not as '{meant[0]}': it gets no marker or label style", f"did you mean {options}?",
                    line=section.line)


def suggestion(title: str) -> str | None:
    """The label ``title`` looks like a slip of, or None when it reads as a label of its own."""
    found = suggestions(title)
    return found[0] if found else None


def suggestions(title: str) -> list[str]:
    """The labels ``title`` looks like a slip of, likeliest first (a view's name may be read
    two ways); empty when it reads as a label of its own."""
    key = " ".join(title.split()).lower()
    bare = _TRAILING.sub("", key)
    if bare in _BY_KEY:  # '## The News:' or '## Step back.'
        return [_BY_KEY[bare]]
    if bare != key and section_kind(bare) != "plain":  # "## Reed's View:"
        return [_TRAILING.sub("", " ".join(title.split()))]
    near = difflib.get_close_matches(bare, list(_BY_KEY), n=1, cutoff=CUTOFF)
    if near:
        return [_BY_KEY[near[0]]]
    if _VIEW_NO_APOSTROPHE.match(bare):  # '## Ruths View', '## Chris View'
        return [f"{owner} View" for owner in view_owners(title.split()[0])]
    words = bare.split()
    if len(words) > 3 and words[:3] != ["the", "view", "from"] and difflib.SequenceMatcher(
            None, " ".join(words[:3]), "the view from").ratio() >= CUTOFF:  # '## The View Form Lagos'
        return ["The View From " + " ".join(title.split()[3:])]
    return []


def view_owners(word: str) -> list[str]:
    """The possessives a view's name without its apostrophe may stand for: 'Ruths' is Ruth's;
    'Chris' and 'Jess' are names of their own (Chris's, or Chris'); 'Mikes' is Mike's or
    Mikes's, 'Thomas' Thoma's or Thomas's, so both are offered."""
    stem = word[:-1]
    if word.lower().endswith("ss") or stem[-1:].lower() in ("i", "o", "u"):
        return [f"{word}'s", f"{word}'"]
    if stem[-1:].lower() in ("a", "e", "y"):
        return [f"{stem}'s", f"{word}'s"]
    return [f"{stem}'s"]
