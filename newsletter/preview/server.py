"""The HTTP side: a standard-library threading server with a fixed set of routes.

It serves only what it generated (the outputs of known issues, from memory or out/<slug>/)
and its own static assets, never a path taken from the request. Requests must name a
loopback host or the bound host in their Host header (DNS rebinding), and every email
response carries a CSP that forbids script.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from newsletter.content.urls import page_url
from newsletter.preview.pages import SEGMENT, index_page, issue_summary
from newsletter.preview.state import PreviewState
from newsletter.preview.variants import (
    VIEWS,
    apply_views,
    links_in_new_tabs,
    source_page,
    text_page,
)

EMAIL_CSP = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'")
#: How long a long-poll waits before answering "nothing new" (the page asks again at once).
POLL_SECONDS = 20.0

STATIC = {
    "preview.css": "text/css; charset=utf-8",
    "preview.js": "text/javascript; charset=utf-8",
    "index.js": "text/javascript; charset=utf-8",
    "preview.html": "text/html; charset=utf-8",
}
#: Built files served as they are on disk, with their content types.
OUTPUTS = {
    "email.html": "text/html; charset=utf-8",
    "email.txt": "text/plain; charset=utf-8",
    "email.eml": "message/rfc822",
}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def static_asset(name: str) -> bytes:
    return resources.files("newsletter.preview").joinpath("static", name).read_bytes()


def host_allowed(header: str | None, bound_host: str) -> bool:
    """Host header names localhost, 127.0.0.1, [::1] or the bound host, with an optional port."""
    if not header:
        return False
    host = header.strip().lower()
    m = re.fullmatch(r"(\[[0-9a-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?", host)
    if not m:
        return False
    name = m.group(1)
    bound = bound_host.lower()
    allowed = LOOPBACK_HOSTS | {bound, f"[{bound}]"}
    return name in allowed


def split_path(raw: str) -> list[str] | None:
    """The request path as safe segments, or None when it tries anything clever.

    Decoded once; invalid UTF-8, dot segments, backslashes, NUL and empty segments in the
    middle are refused. A '%' left after that is a character of the name ('100%-growth.md'
    is linked as 100%25-growth) and is never decoded again: a segment is only ever compared
    with the names of known issues, assets and outputs, so '%2e%2e' can't mean '..'.
    """
    path = urlsplit(raw).path
    if not path.startswith("/"):
        return None
    try:
        decoded = unquote(path, errors="strict") if "%" in path else path
    except UnicodeDecodeError:
        return None
    if "\\" in decoded or "\x00" in decoded:
        return None
    segments = decoded.split("/")[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    for s in segments:
        if not SEGMENT.match(s) or s in (".", ".."):  # names are then looked up in a whitelist
            return None
    return segments


def attachment(filename: str) -> str:
    """A Content-Disposition for downloading ``filename``, whatever its characters.

    Header values are Latin-1 on the wire, so the name goes twice (RFC 6266): an ASCII
    ``filename`` for old clients (a quote, backslash, control or non-ASCII character as
    '_'), and ``filename*`` in UTF-8, percent-encoded (RFC 5987), which browsers prefer.
    """
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    # A name that isn't UTF-8 on disk holds its bytes as lone surrogates: each becomes U+FFFD.
    encoded = quote(filename.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), safe="!#$&+^`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


class Handler(BaseHTTPRequestHandler):
    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "newsletter-preview"
    sys_version = ""
    #: Whether this request's status line has been sent (then no other may follow).
    _answered = False

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a request log would drown the build messages

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._answered = False
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # noqa: BLE001 - one bad request must not stop the server
            self.server.state.log(f"Error: preview server: {type(e).__name__}: {e}")
            self._fail()

    def _fail(self) -> None:
        """Answer 500, unless a status line already went out: a second one would be read as
        the start of the next response, so the connection is closed instead (the client sees
        a short body)."""
        if self._answered:
            self.close_connection = True
            return
        self._headers_buffer: list[bytes] = []  # a status line and headers started, not sent
        try:
            self._send(500, b"internal error\n", "text/plain; charset=utf-8")
        except OSError:
            pass

    def end_headers(self) -> None:
        self._answered = True  # from here on, bytes may have reached the client
        super().end_headers()

    def _route(self) -> None:
        if not host_allowed(self.headers.get("Host"), self.server.bound_host):
            self._send(400, b"Bad Host header: open the preview at http://127.0.0.1 or localhost\n",
                       "text/plain; charset=utf-8")
            return
        segments = split_path(self.path)
        if segments is None:
            self._send(400, b"bad path\n", "text/plain; charset=utf-8")
            return
        state = self.server.state
        match segments:
            case []:
                self._send(200, index_page(state).encode(), "text/html; charset=utf-8", csp=PAGE_CSP)
            case ["static", name] if name in STATIC:
                self._send(200, static_asset(name), STATIC[name])
            case ["issue", slug] if state.entry(slug):
                self._send(200, static_asset("preview.html"), STATIC["preview.html"], csp=PAGE_CSP)
            case ["api", "issue", slug] if state.entry(slug):
                entry = state.entry(slug)
                assert entry is not None
                self._json(issue_summary(state, entry))
            case ["api", "wait"]:
                self._wait()
            case ["email", slug, name] if state.entry(slug):
                self._email(slug, name)
            case _:
                self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def _wait(self) -> None:
        try:
            seen = int(self._query().get("epoch", ["-1"])[0])
        except ValueError:
            seen = -1
        state = self.server.state
        epoch = state.wait(seen, POLL_SECONDS)
        answer: dict[str, Any] = {"epoch": epoch}
        # The issue page names its slug, and gets its summary in the same answer (one round trip less).
        entry = state.entry(self._query().get("slug", [""])[0])
        if entry is not None:
            answer["issue"] = issue_summary(state, entry)
        self._json(answer)

    def _email(self, slug: str, name: str) -> None:
        state = self.server.state
        entry = state.entry(slug)
        assert entry is not None
        if name in OUTPUTS:
            path = state.root / "out" / slug / name
            if not path.is_file():
                self._send(404, b"not built yet\n", "text/plain; charset=utf-8")
                return
            extra = {"Content-Disposition": attachment(f"{slug}.eml")} if name == "email.eml" else {}
            self._send(200, path.read_bytes(), OUTPUTS[name], csp=EMAIL_CSP, headers=extra)
            return
        result = entry.result
        if result is None:
            self._send(404, b"not built yet\n", "text/plain; charset=utf-8")
            return
        if name == "view.html":
            views = [v for v in self._query().get("views", [""])[0].split(",") if v in VIEWS]
            body = links_in_new_tabs(apply_views(result.html, views))
        elif name == "text.html":
            body = text_page(result.text, page=self._page_url(result))
        elif name == "source.html":
            body = source_page(result.html)
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")
            return
        self._send(200, body.encode("utf-8"), "text/html; charset=utf-8", csp=EMAIL_CSP)

    def _page_url(self, result: Any) -> str:
        """The issue's web page: what a link tag is filled with when the text view measures lines."""
        settings = self.server.state.settings
        return page_url(settings.web_url, result.issue.slug) if settings is not None else ""

    def _json(self, data: dict[str, Any]) -> None:
        self._send(200, json.dumps(data).encode(), "application/json")

    def _send(self, status: int, body: bytes, ctype: str, *, csp: str | None = None,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class PreviewHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    #: The listen backlog: a page, its frame, assets and long-polls can arrive together.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: PreviewState) -> None:
        self.state = state
        self.bound_host = address[0]
        if ":" in address[0]:
            self.address_family = __import__("socket").AF_INET6
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that goes away mid-request (a reload, a closed tab) is not an error worth a
        traceback; anything else is logged on one line and the server keeps answering."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        self.state.log(f"Error: preview server: {type(error).__name__}: {error}")


class PreviewServer:
    """The server, the watcher and the state together; start() returns once it is listening."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8025,
                 log: Any = None) -> None:
        self.state = PreviewState(root, log)
        self.host = host
        self.port = port
        self.httpd: PreviewHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, before_serving: Callable[[], None] | None = None) -> None:
        """Bind (raises OSError when the port is taken), build every issue, then serve and watch.

        ``before_serving`` runs after the first build and before the first request is answered
        (the command prints its "Previewing ..." line there, so the line always comes first)."""
        from newsletter.preview.watcher import snapshot, watch_workspace

        self.httpd = PreviewHTTPServer((self.host, self.port), self.state)
        self.port = self.httpd.server_address[1]
        baseline = snapshot(self.state.root)  # before building: an edit during the build is caught
        self.state.build_everything()
        if before_serving is not None:
            before_serving()
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="preview-http", daemon=True)
        watch = threading.Thread(target=watch_workspace, args=(self.state, self._stop, baseline),
                                 name="preview-watch", daemon=True)
        self._threads = [serve, watch]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Stop serving and watching; safe to call at any point after construction, and twice."""
        self._stop.set()
        self.state.close()
        if self.httpd is not None:
            if self._threads and self._threads[0].is_alive():
                self.httpd.shutdown()  # waits for serve_forever, so only when it runs
            self.httpd.server_close()
        for t in self._threads:
            if t.ident is not None:  # started (Ctrl-C can land between two starts)
                t.join(timeout=2)
