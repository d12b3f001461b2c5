"""The web archive: out/archive/ with an index page, one web page per issue, and an Atom feed.

Each issue's page is the email itself, rendered with a "web" flavour of the settings:
the generic profile (placeholders show their fallback), no unsubscribe or preferences
links, no UTM tagging. Any tag still in the HTML (one written straight into the content,
such as ``*|FNAME|*``) is swapped for a web-safe equivalent or removed, so no merge tag
reaches a public page. Pages live at out/archive/<slug>/index.html, which is the
``<web_url>/<slug>/`` the emails' "Read on the web" link points at once out/archive/ is
published at web_url.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as html_lib
import re
from pathlib import Path

from newsletter.build import BuildResult, render_issue
from newsletter.content import model as m
from newsletter.content.parse import parse_issue_file
from newsletter.content.urls import page_url
from newsletter.deliver.eml import issue_datetime, published_datetime
from newsletter.deliver.esp import PLACEHOLDER, clean_fallback, has_tag, is_link_tag, replace_tags
from newsletter.errors import NewsletterError, Problem, TemplateError
from newsletter.output import write_all_atomic, write_atomic
from newsletter.render.context import format_date
from newsletter.render.jinja import get_environment
from newsletter.render.mjml import render_template
from newsletter.render.theme import search_path
from newsletter.render.tags import TagVault
from newsletter.settings import Settings, Utm
from newsletter.workspace import Workspace

ARCHIVE_DIR = "archive"
INDEX_TEMPLATE = "archive/index.html.j2"
FEED_TEMPLATE = "archive/feed.xml.j2"

_FIRST_NAMES = {"fname", "first_name", "firstname", "name"}


def web_settings(settings: Settings) -> Settings:
    """The settings a web page is rendered with: no service tags, no unsubscribe, no UTM."""
    return dataclasses.replace(settings, esp="generic", unsubscribe_url="", preferences_url="",
                               unsubscribe_email="", utm=Utm(source=""))


def web_safe(html: str, page: str) -> str:
    """Every merge tag in ``html`` (one tag, as the tag vault holds it) replaced: link tags by
    the page's URL, a first name by "reader", a placeholder by its fallback, anything else
    removed."""

    def value(name: str, fallback: str, raw: str) -> str:
        if is_link_tag(name):
            return page
        if fallback:
            return fallback
        return "reader" if name in _FIRST_NAMES else ""

    return replace_tags(html, lambda n, f, r: html_lib.escape(value(n, f, r), quote=True))


_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
#: lxml quotes an attribute value holding '"' with "'".
_ARIA_LABEL = re.compile(r"""aria-label=(?:"([^"]*)"|'([^']*)')""")


def _public_title(html: str) -> str:
    """The page's <title>, and the aria-label MRML copies it to, as a public listing shows the
    subject: a placeholder as its fallback (the email's title keeps the subject as written)."""
    found = _TITLE.search(html)
    if found is None:
        return html
    raw = html_lib.unescape(found.group(1))
    public = _no_tags(raw)
    if public == " ".join(raw.split()):
        return html
    html = html[:found.start(1)] + html_lib.escape(public, quote=False) + html[found.end(1):]
    return _ARIA_LABEL.sub(lambda m: f'aria-label="{html_lib.escape(public)}"'
                           if html_lib.unescape(m.group(1) or m.group(2) or "") == raw else m.group(0), html)


_HEAD_END = re.compile(r"</head>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def web_page(email_html: str, settings: Settings, issue: m.Issue) -> str:
    """The email HTML, its tags already web-safe (``email_as_web_html``, ``web_html``), as a
    public page: a public title, a feed link and a way back to the index."""
    page = page_url(settings.web_url, issue.slug)
    out = _public_title(email_html)
    # The masthead's "Read on the web" would link the page to itself: drop it and its separator.
    if "Read on the web</a>" in out:  # usually gone already (the theme's web_hide markers)
        self_link = re.compile(r"(?:[ \xa0]*\|[ \xa0]*)?<a\b[^>]*\bhref=\"" + re.escape(html_lib.escape(page))
                               + r"\"[^>]*>Read on the web</a>")
        out = self_link.sub("", out, count=1)
    colors = settings.theme.colors
    # The way back sits on the page's background, outside the email's dark rules: its own.
    name = html_lib.escape(settings.name)
    head = (f'<link rel="canonical" href="{html_lib.escape(page)}">'
            f'<link rel="alternate" type="application/atom+xml" title="{name}" href="../feed.xml">'
            f'<style>@media (prefers-color-scheme: dark) {{ .nl-webnav a {{ color: {colors.dark_link} !important; }} }}'
            '</style>')
    out = _HEAD_END.sub(lambda _: head + "</head>", out, count=1)
    nav = (f'<div class="nl-webnav" style="max-width:600px;margin:0 auto;padding:12px 28px;box-sizing:border-box;'
           f'font-family:{html_lib.escape(settings.theme.fonts.sans)};font-size:14px;">'
           f'<a href="../" style="color:{colors.link};">&larr; All issues of {name}</a></div>')
    return _BODY_START.sub(lambda mt: mt.group(0) + nav, out, count=1)


@dataclasses.dataclass
class Entry:
    """One issue as the archive's index and feed list it."""

    issue: m.Issue
    url: str
    #: Its 'updated' time, or when it was published.
    updated: dt.datetime
    #: 06:00 on its date: a correction days later changes 'updated' only.
    published: dt.datetime

    @property
    def date(self) -> str:
        return format_date(self.issue.date)


def _sort_key(e: Entry) -> tuple[dt.date, dt.datetime, str]:
    return (e.issue.date, e.updated, e.issue.slug)


def build_archive(ws: Workspace, paths: list[Path] | None = None) -> list[Path]:
    """Write out/archive/ for ``paths`` (default: every issue). Returns the paths written.

    An issue that fails to build is left out (the build already reported it)."""
    written: list[Path] = []
    issues: list[m.Issue] = []
    for path in paths if paths is not None else ws.issue_files():
        try:
            target, issue = archive_page(ws, path)
        except NewsletterError:
            continue
        written.append(target)
        issues.append(issue)
    return [*write_index(ws, issues), *written]


def archive_page(ws: Workspace, path: Path, issue: m.Issue | None = None,
                 email: BuildResult | None = None) -> tuple[Path, m.Issue]:
    """Render and write one issue's web page, out/archive/<slug>/index.html; returns it and the issue."""
    target, page, issue = render_archive_page(ws, path, issue, email)
    write_atomic(target, page)
    return target, issue


def render_archive_page(ws: Workspace, path: Path, issue: m.Issue | None = None,
                        email: BuildResult | None = None) -> tuple[Path, str, m.Issue]:
    """One issue's web page: where it goes (out/archive/<slug>/index.html), its HTML, the issue.

    The per-issue part of the archive: `newsletter build` runs it in its build workers
    and caches it with the issue's email (newsletter/parallel.py), passing the ``email`` it
    just built. The page is made from that email's HTML when the theme marks what a page
    leaves out (see ``email_as_web_html``); otherwise the issue (``issue``, or ``path``) is
    rendered again with the web settings, HTML only."""
    html = email_as_web_html(email, ws.settings) if email is not None else None
    if html is None:
        web_ws = Workspace(ws.root, web_settings(ws.settings))
        result = render_issue(web_ws, path, issue=issue if email is None else email.issue, extras=False, text_part=False)
        html, issue = web_html(result, ws.settings), result.issue
    else:
        assert email is not None  # html comes only from an email
        issue = email.issue
    target = ws.out_dir / ARCHIVE_DIR / issue.slug / "index.html"
    return target, web_page(html, ws.settings, issue), issue


_HREF = re.compile(r'href="([^"]*)"')


def web_html(result: BuildResult, settings: Settings) -> str:
    """A web render's HTML with each of its tags web-safe (``web_safe``)."""
    assert result.web_source is not None  # set by every render
    return _restore_web(result.web_source.vault, result.web_source.html, settings, result.issue)


def _restore_web(vault: TagVault, html: str, settings: Settings, issue: m.Issue) -> str:
    page = page_url(settings.web_url, issue.slug)
    return vault.restore_web(html, lambda tag: web_safe(tag, page))


def email_as_web_html(email: BuildResult, settings: Settings) -> str | None:
    """The email's HTML as the web settings would render it, without rendering again; None
    when the theme's templates don't bracket what a page leaves out.

    From the email's HTML with its tag tokens still in place (one MJML compile and one
    premailer run serve both): the parts between the theme's ``web_hide`` markers ("Read on
    the web", the unsubscribe and preferences links) are removed, UTM-tagged links get their
    URL as written back, placeholders their fallback, and other tokens their tag (which
    ``web_page`` then makes web-safe)."""
    source = email.web_source
    if source is None:
        return None
    vault = source.vault
    start, end = vault.marker("web-hide-start"), vault.marker("web-hide-end")
    html = source.html
    if start not in html or html.count(start) != html.count(end):
        return None
    html = re.sub(re.escape(start) + ".*?" + re.escape(end), "", html, flags=re.DOTALL)
    if start in html or end in html:
        return None
    # A template (a workspace's own, say) that shows the unsubscribe or preferences link
    # outside the markers: render the page with the web settings instead, which have none.
    if any(link in html or link.replace("&", "&amp;") in html for link in source.hidden):
        return None
    if source.untagged:
        def untag(mt: re.Match[str]) -> str:
            url = source.untagged.get(html_lib.unescape(mt.group(1)))
            # Escaped as premailer (lxml) writes an href: "&" and '"' only.
            return mt.group(0) if url is None else 'href="' + url.replace("&", "&amp;").replace('"', "&quot;") + '"'

        html = _HREF.sub(untag, html)
    return _restore_web(vault, html, settings, email.issue)


def write_index(ws: Workspace, issues: list[m.Issue]) -> list[Path]:
    """Write the archive's index.html and feed.xml listing ``issues``; returns [index, feed].

    Only the issues' front matter is used (subject, date, preheader, author, slug), so the
    build passes the cached issues' headers here without parsing every issue again."""
    folder = ws.out_dir / ARCHIVE_DIR
    tz = ws.settings.timezone
    entries = [Entry(i, page_url(ws.settings.web_url, i.slug), issue_datetime(i, tz), published_datetime(i, tz))
               for i in issues]
    entries.sort(key=_sort_key, reverse=True)
    env = get_environment(ws.templates_dir)
    base = ws.settings.web_url.rstrip("/") + "/"
    newest = max((e.updated for e in entries), default=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    context = {
        "settings": ws.settings, "entries": entries, "web_url": base, "feed_url": base + "feed.xml",
        "updated": _rfc3339(newest), "colors": ws.settings.theme.colors, "fonts": ws.settings.theme.fonts,
        "rfc3339": _rfc3339, "no_tags": _no_tags,
    }
    index, feed = folder / "index.html", folder / "feed.xml"
    index_html = render_template(env, INDEX_TEMPLATE, context)
    feed_xml = render_template(env, FEED_TEMPLATE, context)
    _well_formed(feed_xml, ws)
    write_all_atomic([(index, index_html), (feed, feed_xml)])  # both or neither
    return [index, feed]


def _well_formed(feed_xml: str, ws: Workspace) -> None:
    """A feed reader refuses a feed that isn't XML: a template of the workspace's own that
    writes one is an error, and the last good feed stays."""
    import xml.etree.ElementTree as ET

    try:
        ET.fromstring(feed_xml.encode("utf-8"))
    except ET.ParseError as e:
        template = next((d / FEED_TEMPLATE for d in search_path(ws.templates_dir) if (d / FEED_TEMPLATE).is_file()),
                        Path(FEED_TEMPLATE))
        line = e.position[0]
        text = feed_xml.split("\n")[line - 1].strip() if 0 < line <= feed_xml.count("\n") + 1 else ""
        try:  # the template line that reads the same, when one does
            at = [t.strip() for t in template.read_text(encoding="utf-8").split("\n")].index(text) + 1 if text else 0
        except (OSError, ValueError):
            at = 0
        raise TemplateError(Problem(str(template), at, f"the feed it writes is not well-formed XML: {e} "
                                    f"(feed.xml line {line}: {text[:60]!r})",
                                    "feed readers refuse it; the last good feed.xml is kept")) from None


def _rfc3339(t: dt.datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat(timespec="seconds")


def _no_tags(text: str) -> str:
    """A subject or preheader for a public listing: placeholders as their fallback, any merge tag removed."""
    text = PLACEHOLDER.sub(lambda m: clean_fallback(m.group(2) or "") or ("reader" if m.group(1) in _FIRST_NAMES else ""), text)
    if not has_tag(text):
        return " ".join(text.split())
    return " ".join(replace_tags(text, lambda n, f, r: f or ("reader" if n in _FIRST_NAMES else "")).split())
