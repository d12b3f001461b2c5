"""Post-processing of MRML's HTML: small steps in a fixed order.

The order matters:
1. inline_css      premailer copies the theme's email.css into style attributes. First,
                   while every element still has the classes the CSS selects on.
2. restore_text    the running text goes back in for its tokens, escaped as premailer
                   writes text (newsletter/render/texttokens.py). After premailer, which
                   never sees the words; before the web archive's page is taken.
3. restore_doctype premailer (lxml) drops MRML's lower-case ``<!doctype html>``.
4. restore_tags    email-service tags go back in for their tokens. Last, so that no
                   earlier step (escaping, URL encoding, inlining) can touch them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from newsletter.render.tags import TagVault
from newsletter.render.texttokens import TextTokens
from newsletter.steps.doctype import restore_doctype
from newsletter.steps.inline import inline_css_step
from newsletter.steps.tags import restore_tags
from newsletter.steps.text import restore_text


@dataclass
class StepInput:
    """What the post-processing steps share besides the HTML they pass along."""

    inline_css: str
    vault: TagVault
    #: The running text's tokens, when the HTML has them.
    texts: TextTokens | None = None
    #: Set by restore_text when there were tokens: the inlined HTML with them still in place
    #: (what the quality gate's layout rules are remembered by, newsletter/checks/layout.py).
    before_text: str = ""
    #: Set by restore_tags: the HTML with the tag tokens still in place (the web archive's
    #: page is made from it, newsletter/deliver/archive.py).
    before_tags: str = ""


Step = Callable[[str, StepInput], str]

STEPS: list[tuple[str, Step]] = [
    ("inline_css", inline_css_step),
    ("restore_text", restore_text),
    ("restore_doctype", restore_doctype),
    ("restore_tags", restore_tags),
]


def run_steps(html: str, data: StepInput) -> str:
    for _name, step in STEPS:
        html = step(html, data)
    return html
