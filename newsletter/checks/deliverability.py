"""Deliverability: a visible unsubscribe link in the HTML (Gmail and Yahoo require one from bulk
senders, besides the List-Unsubscribe header)."""

from __future__ import annotations

from typing import Iterator

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext, text_of, visible


def check(ctx: CheckContext) -> Iterator[Finding]:
    target = ctx.links.unsubscribe
    if not target:
        yield ctx.finding("deliverability", "error", "no unsubscribe URL is configured",
                          "set 'unsubscribe_url:' in newsletter.yaml, or an email-service profile with 'esp:'",
                          settings="esp:", html="<body")
        return
    for a in ctx.body.iter("a"):
        href = (a.get("href") or "").strip()
        text = " ".join(text_of(a).split())
        if (href == target or "unsubscribe" in text.lower()) and text and visible(a):
            return
    yield ctx.finding("deliverability", "error", "the HTML has no visible unsubscribe link",
                      "the footer should link to links.unsubscribe with readable text", template="links.unsubscribe",
                      html="</body")
