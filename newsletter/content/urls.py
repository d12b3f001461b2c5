"""Which link and image targets content may use: https, http, mailto, tel, and email-service tags."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote, unquote

from newsletter.deliver.esp import ANY_TAG, has_tag, is_tag

LINK_SCHEMES = ("https", "http", "mailto", "tel")
IMAGE_SCHEMES = ("https", "http")

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")

#: An http(s) URL that markdown-it's normalizeLink returns as it is: a lower-case ASCII host
#: and only characters that need no percent-encoding (no "%", no host port or user part).
PLAIN_URL = re.compile(r"https?://[a-z0-9.\-]+(?:[/?#][A-Za-z0-9\-._~/?#&=+;:,@!$'()*]*)?\Z")


def page_url(web_url: str, slug: str) -> str:
    """An issue's web archive page, ``<web_url>/<slug>/``. The slug is the file's name, which
    may hold spaces, accents, '#', '?' or '%': percent-encoded, every part (HTML, text, the
    web archive's feed) links the same page, and its folder out/archive/<slug>/ serves it."""
    return f"{web_url.rstrip('/')}/{quote(slug, safe='')}/"


#: Characters a URL may hold as they are (RFC 3986's unreserved and reserved characters, and '%').
_URL_SAFE = "/:@!$&'()*+,;=?#[]~-._%"


def ascii_url(url: str) -> str:
    """``url`` with a host that isn't ASCII in its punycode form (xn--) and every other character
    that isn't printable ASCII percent-encoded as UTF-8, as a browser sends it; an email
    service's tags in it are kept as written. An https URL with accents in it, written into a
    mail header, would become an RFC 2047 encoded-word that no client follows."""
    if (url.isascii() and " " not in url) or is_tag(url):
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _encode_outside_tags(url)
    host_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, rest = rest[:host_end], rest[host_end:]
    user, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":") if not hostport.startswith("[") else (hostport, "", "")
    if not host.isascii() and not has_tag(host):
        # Each label as punycode, as markdown-it writes a link's host (IDNA 2008 keeps 'ß').
        host = ".".join(part if part.isascii() else "xn--" + part.lower().encode("punycode").decode("ascii")
                        for part in host.split("."))
    return f"{scheme}://{_encode_outside_tags(f'{user}{at}{host}{colon}{port}')}{_encode_outside_tags(rest)}"


def _encode_outside_tags(text: str) -> str:
    """``text`` percent-encoded where it isn't printable ASCII, but for the service tags in it."""
    out, pos = [], 0
    for tag in ANY_TAG.finditer(text):
        out += [quote(text[pos:tag.start()], safe=_URL_SAFE), tag.group(0)]
        pos = tag.end()
    out.append(quote(text[pos:], safe=_URL_SAFE))
    return "".join(out)


def _clean(url: str) -> str:
    """Undo the tricks used to hide a scheme: entities, percent-encoding, control and space characters."""
    previous = None
    value = url
    for _ in range(5):  # nested encodings: &amp;#106; and %26%23106%3B
        if value == previous:
            break
        previous = value
        value = unquote(html.unescape(value))
    if value.isascii() and value.isprintable() and " " not in value:
        return value  # nothing below would be removed: no control, format or space character
    return "".join(ch for ch in value if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")))


def url_problem(url: str, *, image: bool = False) -> str | None:
    """Why this URL may not be used, or None when it may."""
    if is_tag(url):
        return None if not image else "an image source can't be an email-service tag"
    cleaned = _clean(url)
    if not cleaned:
        return "empty URL"
    allowed = IMAGE_SCHEMES if image else LINK_SCHEMES
    m = _SCHEME.match(cleaned)
    if not m:
        if cleaned.startswith("#"):
            return None if not image else "an image needs an absolute https:// URL"
        return f"'{url[:60]}' is not an absolute URL (write https://...)"
    scheme = m.group(1).lower()
    if scheme not in allowed:
        what = "image" if image else "link"
        return f"{what} URL scheme '{scheme}:' is not allowed (use {', '.join(allowed)})"
    # A scheme that only looks allowed after cleaning must also be allowed as written.
    raw = _SCHEME.match(url.strip())
    if not raw or raw.group(1).lower() != scheme:
        return f"URL '{url[:60]}' hides its scheme with encoding or spaces"
    return None
