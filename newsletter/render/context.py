"""Content model + settings -> the variables the theme templates see.

The templates only lay things out: every string they get is either plain text
(escaped by Jinja's autoescape) or Markup built here from escaped content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from newsletter.content import model as m
from newsletter.content.markdown import plain_text
from newsletter.content.urls import page_url
from newsletter.deliver.esp import PROFILES, Profile, attribute_safe, has_tag
from newsletter.render.html import HtmlRenderer
from newsletter.render.tags import TagVault
from newsletter.render.text import TextRenderer, words_in
from newsletter.render.texttokens import TextTokens
from newsletter.settings import Settings

#: Marker drawn before each Semaform section label (plain Unicode: no images to block).
MARKERS = {
    "news": "■",
    "scoop": "★",
    "know_more": "✚",
    "step_back": "◀",
    "view": "●",
    "disagreement": "◆",
    "view_from": "▲",
    "notable": "»",
    "plain": "▪",
}

#: Invisible filler after the preheader so inbox previews don't pull body text.
PREHEADER_FILLER = "&#847;&zwnj;&nbsp;" * 90


@dataclass
class Links:
    """The footer's and header's links, as the email has them (URLs or the service's tags)."""

    view_online: str
    unsubscribe: str
    preferences: str
    signup: str


@dataclass
class Context:
    """Everything one issue's templates need, for the HTML and the text part."""

    html: dict[str, Any]
    text: dict[str, Any]
    vault: TagVault
    words: int
    links: Links
    #: The running text the HTML context holds as tokens (None: it holds the text).
    texts: TextTokens | None = None


def profile_of(settings: Settings) -> Profile:
    return PROFILES[settings.esp]


def issue_links(issue: m.Issue, settings: Settings) -> Links:
    profile = profile_of(settings)
    return Links(
        view_online=profile.view_online or page_url(settings.web_url, issue.slug),
        unsubscribe=profile.unsubscribe or settings.unsubscribe_url,
        preferences=profile.preferences or settings.preferences_url,
        signup=settings.signup_url,
    )


def format_date(d: dt.date) -> str:
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


def format_updated(t: dt.datetime, tz_name: str) -> str:
    """'Updated Jun 2, 2026, 2:27pm EDT' (zone abbreviation when a timezone is set). A time
    written without an offset is taken to be in that timezone."""
    if tz_name:
        try:
            zone_info = ZoneInfo(tz_name)
            t = t.astimezone(zone_info) if t.tzinfo is not None else t.replace(tzinfo=zone_info)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    hour = t.hour % 12 or 12
    zone = t.tzname() or ""  # "EDT" with a timezone setting, else "UTC-04:00"
    ampm = "am" if t.hour < 12 else "pm"
    return f"Updated {t:%b} {t.day}, {t.year}, {hour}:{t:%M}{ampm}{(' ' + zone) if zone else ''}"


def count_words(issue: m.Issue) -> int:
    """Words a reader reads: headlines, section titles, text, list items, quotes and captions."""
    words = sum(words_in(story.headline) + sum(words_in(s.title) for s in story.sections)
                for story in issue.stories)
    for block in m.walk_blocks(issue):
        if isinstance(block, (m.Paragraph, m.Subhead)):
            words += words_in(plain_text(block.inlines))
        elif isinstance(block, m.Figure):
            words += words_in(block.caption)
    return words


def build_context(issue: m.Issue, settings: Settings, link_url: Callable[[str], str] | None = None,
                  *, text_part: bool = True, text_tokens: bool = False) -> Context:
    """The template variables for one issue. ``link_url`` rewrites outbound links (UTM tagging).
    ``text_part=False``: the text part's items and intro are left empty (a web page needs none).
    ``text_tokens``: the HTML's running text as tokens (newsletter/render/texttokens.py)."""
    profile = profile_of(settings)
    vault = TagVault(avoid=issue.source)
    texts = TextTokens(avoid=issue.source) if text_tokens else None
    tag_link = link_url or (lambda u: u)

    def html_href(url: str) -> str:
        return vault.token(attribute_safe(url)) if has_tag(url) else tag_link(url)

    def text_href(url: str) -> str:
        return url if has_tag(url) else tag_link(url)

    html = HtmlRenderer(vault, profile.placeholder, html_href, texts)
    text = TextRenderer(profile.placeholder, text_href)
    links = issue_links(issue, settings)

    def protect(url: str) -> str:
        return vault.token(attribute_safe(url)) if url and has_tag(url) else url

    html_links = Links(*(protect(u) for u in (links.view_online, links.unsubscribe, links.preferences, links.signup)))

    plain = html.plain  # a plain field's tags through the vault, as paragraphs' are (the HTML only)
    toc = [{"number": s.number, "headline": s.headline, "anchor": s.anchor} for s in issue.stories]
    html_items: list[dict[str, Any]] = []
    text_items: list[dict[str, Any]] = []
    for item in issue.items:
        if isinstance(item, m.Story):
            html_items.append({
                "type": "story", "number": item.number, "first": not html_items, "headline": plain(item.headline),
                "anchor": item.anchor,
                "sections": [
                    {"kind": s.kind, "title": plain(s.title), "marker": MARKERS.get(s.kind, ""),
                     "parts": html.parts(s.blocks, lede_first=(n == 0), subhead="h3" if s.kind == "lede" else "h4")}
                    for n, s in enumerate(item.sections)
                ],
            })
            if text_part:
                text_items.append({
                    "type": "story", "number": item.number, "headline": item.headline,
                    "sections": [{"kind": s.kind, "title": s.title, "body": text.blocks(s.blocks)} for s in item.sections],
                })
        else:
            html_items.append({
                "type": "callout", "kind": item.kind, "label": plain(item.label), "attribution": plain(item.attribution),
                "parts": html.parts(item.blocks, subhead="h3"),
            })
            if text_part:
                text_items.append({
                    "type": "callout", "kind": item.kind, "label": item.label, "attribution": item.attribution,
                    "body": text.blocks(item.blocks),
                })

    words = count_words(issue)
    common = {
        "settings": settings,
        "issue": issue,
        "date": format_date(issue.date),
        "updated": format_updated(issue.updated, settings.timezone) if issue.updated else "",
        "toc": toc,
        "toc_title": settings.toc_title,
        "words": words,
        "reading_minutes": max(1, round(words / max(1, settings.reading_wpm))),
        "profile": profile.name,
    }
    html_toc = [dict(entry, headline=plain(s.headline)) for entry, s in zip(toc, issue.stories)]
    html_ctx = dict(common, toc=html_toc, items=html_items, intro=Markup(html.blocks(issue.intro, subhead="h2")),
                    links=html_links,
                    preheader=plain(issue.preheader), preheader_filler=Markup(PREHEADER_FILLER),
                    colors=settings.theme.colors, fonts=settings.theme.fonts,
                    # Brackets around what the web archive's page leaves out (self link, unsubscribe):
                    # tokens that vanish from the email (newsletter/deliver/archive.py).
                    web_hide={"start": vault.marker("web-hide-start"), "end": vault.marker("web-hide-end")})
    text_ctx = dict(common, items=text_items, intro=text.blocks(issue.intro) if text_part else "", links=links)
    return Context(html=html_ctx, text=text_ctx, vault=vault, words=words, links=links, texts=texts)
