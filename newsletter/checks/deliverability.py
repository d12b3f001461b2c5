"""Deliverability: a visible unsubscribe link in the HTML (Gmail and Yahoo require one from bulk
senders, besides the List-Unsubscribe header)."""

from __future__ import annotations

import html
import re
from typing import Iterator
from urllib.parse import unquote

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext, template_file, text_of, visible
from newsletter.deliver.esp import is_tag

#: The HTML footer, where the default theme links to the unsubscribe URL.
FOOTER = "partials/footer.mjml.j2"


def check(ctx: CheckContext) -> Iterator[Finding]:
    target = ctx.links.unsubscribe
    if not target:
        yield ctx.finding("deliverability", "error", "no unsubscribe URL is configured",
                          "set 'unsubscribe_url:' in newsletter.yaml, or an email-service profile with 'esp:'",
                          settings="esp:", html="<body")
        return
    # The theme's link to the unsubscribe URL, not any link that says "unsubscribe": an
    # article about unsubscribing unsubscribes nobody.
    links = [a for a in ctx.body.iter("a") if _leads_to(ctx, (a.get("href") or "").strip(), target)]
    if any(" ".join(text_of(a).split()) and visible(a) for a in links):
        return
    hint = (f"the link to the unsubscribe URL ({target}) is hidden or has no words: give it readable text "
            "where readers can see it" if links else
            "the footer template should link to links.unsubscribe with readable text")
    yield _missing(ctx, "the HTML has no visible unsubscribe link", hint)


def _leads_to(ctx: CheckContext, href: str, target: str) -> bool:
    """True when ``href`` is the unsubscribe URL as the HTML may write it: UTM-tagged,
    escaped, percent-encoded or not, or an email-service tag spaced or cased differently."""
    if not href:
        return False
    if href == target or ctx.written_url(href) == target:
        return True
    if is_tag(target):
        return _tag_key(html.unescape(href)) == _tag_key(target)
    return unquote(html.unescape(ctx.written_url(href))) == unquote(target)


def _tag_key(tag: str) -> str:
    return re.sub(r"\s+", "", unquote(tag)).lower()


def _missing(ctx: CheckContext, message: str, hint: str) -> Finding:
    """At the HTML template line that links to links.unsubscribe; else at the footer template
    (a workspace's own that dropped the link), else at the built HTML."""
    found = ctx.finding("deliverability", "error", message, hint, template="links.unsubscribe",
                        templates="*.mjml.j2", html="</body")
    if found.file != ctx.html_file:
        return found
    footer = template_file(ctx.search_dirs, FOOTER)
    return Finding("deliverability", "error", message, str(footer), 0, hint) if footer else found
