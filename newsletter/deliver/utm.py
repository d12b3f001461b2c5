"""UTM link tagging: ``utm_source``, ``utm_medium`` and ``utm_campaign`` on outbound links.

Only absolute http(s) links are tagged. mailto:, tel:, in-page anchors, email-service
tags (and URLs with a tag inside them), and links the editor marked ``{.no-track}`` are
left exactly as written. A parameter the link already has is never overwritten, the
rest of the query string and the fragment are kept, so tagging twice changes nothing.
"""

from __future__ import annotations

from typing import Callable, Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from newsletter.content import model as m
from newsletter.deliver.esp import has_tag
from newsletter.settings import Utm

#: The class that keeps a link untagged: ``[text](https://...){.no-track}``.
NO_TRACK_CLASS = "no-track"


def utm_params(utm: Utm, slug: str) -> list[tuple[str, str]]:
    """The parameters to add, in order; empty when tagging is off (no source set)."""
    if not utm.source.strip():
        return []
    params = [("utm_source", utm.source.strip())]
    if utm.medium.strip():
        params.append(("utm_medium", utm.medium.strip()))
    params.append(("utm_campaign", utm.campaign.strip() or slug))
    return params


def tag_url(url: str, params: list[tuple[str, str]]) -> str:
    """``url`` with ``params`` added to its query string (those it lacks), or unchanged."""
    if not params or has_tag(url):
        return url
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    present = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    missing = [(k, v) for k, v in params if k not in present]
    if not missing:
        return url
    added = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in missing)
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="-_.~")


def untracked_urls(issue: m.Issue) -> set[str]:
    """URLs of the links marked ``{.no-track}`` anywhere in the issue."""
    found: set[str] = set()

    def inlines(nodes: Iterable[m.Inline]) -> None:
        for node in nodes:
            if isinstance(node, m.Link):
                if not getattr(node, "track", True):
                    found.add(node.url)
                inlines(node.children)
            elif isinstance(node, (m.Emphasis, m.Strong)):
                inlines(node.children)

    for block in m.walk_blocks(issue):
        if isinstance(block, (m.Paragraph, m.Subhead)):
            inlines(block.inlines)
    return found


def link_tagger(issue: m.Issue, utm: Utm) -> Callable[[str], str] | None:
    """The ``link_url`` function for build_context, or None when tagging is off."""
    params = utm_params(utm, issue.slug)
    if not params:
        return None
    skip = untracked_urls(issue)

    def tag(url: str) -> str:
        return url if url in skip else tag_url(url, params)

    return tag
