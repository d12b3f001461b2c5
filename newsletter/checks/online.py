"""--online: fetch every link and image of the issue (off by default: the tool is offline-first).

A small thread pool with a timeout and one retry; reports 4xx/5xx answers, unreachable hosts,
redirects that can't be followed (a loop, no Location header), https links that redirect to
http, and images over 1 MB.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator

from newsletter import __version__
from newsletter.checks import Finding
from newsletter.checks.context import CheckContext
from newsletter.deliver.esp import has_tag

IMAGE_LIMIT = 1024 * 1024
USER_AGENT = f"newsletter-check/{__version__} (link checker)"


@dataclass
class Fetched:
    """What one link's request found: status, final URL after redirects, size, or the error."""

    url: str
    status: int = 0
    final_url: str = ""
    size: int | None = None
    error: str = ""
    chain: list[str] = field(default_factory=list)
    #: Why following the redirects failed (a loop, no Location header), or "".
    redirect: str = ""


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, chain: list[str]) -> None:
        self.chain = chain

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        self.chain.append(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, image: bool, timeout: float, context: ssl.SSLContext | None, retries: int = 1) -> Fetched:
    """GET one URL (reading at most 1 MB + 1 byte of an image); one retry on network errors and 5xx."""
    result = Fetched(url)
    for attempt in range(retries + 1):
        result = Fetched(url)
        opener = urllib.request.build_opener(_Redirects(result.chain), urllib.request.HTTPSHandler(context=context))
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        try:
            with opener.open(request, timeout=timeout) as response:
                result.status = response.status
                result.final_url = response.geturl()
                if image:
                    length = response.headers.get("Content-Length")
                    result.size = int(length) if length and length.isdigit() else len(response.read(IMAGE_LIMIT + 1))
            return result
        except urllib.error.HTTPError as e:
            result.status, result.final_url = e.code, e.geturl() or url
            if 300 <= e.code < 400:  # urllib gave up on a redirect: it carries the 3xx, no answer
                result.redirect = _redirect_problem(e.code, e.headers, [url, *result.chain])
            if e.code < 500:
                return result
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            result.error = str(reason) or type(e).__name__
        if attempt == retries:
            return result
    return result


def _redirect_problem(code: int, headers: Any, chain: list[str]) -> str:
    """What went wrong following a redirect, in a reader's words: the URLs are in ``chain``."""
    if headers is None or not (headers.get("Location") or headers.get("URI")):
        return f"answers HTTP {code} (a redirect) without a Location header to go to"
    seen: dict[str, int] = {}
    for i, step in enumerate(chain):
        if step in seen:
            loop = " -> ".join(u[:60] for u in chain[seen[step]:i + 1])
            return f"redirects in a loop ({loop})"
        seen[step] = i
    return f"redirects more than {len(chain) - 1} times without arriving"


def targets(ctx: CheckContext) -> list[tuple[str, bool]]:
    """(url, is_image) for every http(s) link and image of the built HTML, once each."""
    seen: dict[str, bool] = {}
    for a in ctx.body.iter("a"):
        href = (a.get("href") or "").strip()
        if href.lower().startswith(("https://", "http://")) and not has_tag(href):
            seen.setdefault(href, False)
    for img in ctx.body.iter("img"):
        src = (img.get("src") or "").strip()
        if src.lower().startswith(("https://", "http://")):
            seen[src] = True
    return list(seen.items())


def check(ctx: CheckContext, *, timeout: float = 10.0, workers: int = 6, context: ssl.SSLContext | None = None,
          retries: int = 1) -> Iterator[Finding]:
    todo = targets(ctx)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(lambda t: fetch(t[0], image=t[1], timeout=timeout, context=context,
                                                retries=retries), todo))
    for (url, image), r in zip(todo, results):
        what = "image" if image else "link"
        # At the issue line that wrote the URL (as written: before UTM tagging), else the setting or template.
        written = ctx.written_url(url)
        where: dict[str, Any] = dict(line=ctx.url_line(written), content=written, settings=written,
                                     template=url, html=url)
        shown, short = ctx.shown_url(url), ctx.shown_url(url, 60)
        if r.redirect:
            yield ctx.finding("online", "error", f"{what} {r.redirect}: {shown}",
                              "link to the page's final address, or ask the site to fix its redirect", **where)
        elif r.error:
            yield ctx.finding("online", "error", f"{what} unreachable: {shown} ({r.error})",
                              "check the address", **where)
        elif r.status >= 400:
            severity = "warning" if r.status in (401, 403, 429) else "error"
            yield ctx.finding("online", severity, f"{what} answers HTTP {r.status}: {shown}",
                              "fix or remove the link" if severity == "error" else "the site may refuse robots; "
                              "check it in a browser", **where)
        if url.lower().startswith("https://") and any(u.lower().startswith("http://") for u in r.chain):
            yield ctx.finding("online", "warning", f"{what} redirects to http: {short} -> "
                              f"{next(u for u in r.chain if u.lower().startswith('http://'))[:60]}",
                              "link to the final https address, or ask the site to fix the redirect",
                              **where)
        if image and r.size is not None and r.size > IMAGE_LIMIT:
            yield ctx.finding("online", "warning", f"image is over 1 MB: {shown}",
                              "resize or compress it: phones download every image", **where)
