"""--online against local HTTP and HTTPS servers on 127.0.0.1 (never any other address)."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from check_helpers import GOOD_ISSUE, build_issue

from newsletter.checks import online
from newsletter.checks.context import CheckContext
from newsletter.render.jinja import search_path

BIG = 1024 * 1024 + 4096


class Handler(http.server.BaseHTTPRequestHandler):
    calls: dict[str, int] = {}
    http_port = 0

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        n = Handler.calls[self.path] = Handler.calls.get(self.path, 0) + 1
        if self.path == "/ok" or self.path.startswith("/site/"):
            self._send(200, b"<p>fine</p>", "text/html")
        elif self.path == "/flaky" and n == 1:
            self._send(503, b"busy", "text/plain")
        elif self.path == "/flaky":
            self._send(200, b"<p>fine now</p>", "text/html")
        elif self.path == "/to-http":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{Handler.http_port}/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path in ("/loop", "/a", "/b", "/no-location"):
            self.send_response(302)
            target = {"/loop": "/loop", "/a": "/b", "/b": "/a"}.get(self.path)
            if target:
                self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big.png":
            self._send(200, b"\x89PNG" + b"\0" * (BIG - 4), "image/png")
        elif self.path == "/small.png":
            self._send(200, b"\x89PNG" + b"\0" * 200, "image/png")
        else:
            self._send(404, b"not here", "text/plain")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(server: http.server.HTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, int, ssl.SSLContext]]:
    """(https port, http port, client context trusting the https server's self-signed certificate)."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    Handler.calls = {}
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.http_port = plain.server_address[1]
    secure = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    secure.socket = server_ctx.wrap_socket(secure.socket, server_side=True)
    threads = [_serve(plain), _serve(secure)]
    try:
        yield secure.server_address[1], plain.server_address[1], ssl.create_default_context(cafile=str(cert))
    finally:
        for server in (plain, secure):
            server.shutdown()
            server.server_close()
        for t in threads:
            t.join(5)


def _check(workspace: Path, body: str, context: ssl.SSLContext, tls: int) -> list:
    """Build an issue whose every URL (content and settings) is on the local servers, then go online."""
    site = f"https://127.0.0.1:{tls}/site"
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("https://dispatch.example", site), encoding="utf-8")
    issue = GOOD_ISSUE.replace("https://dispatch.example", site) + "\n" + body + "\n"
    ws, r = build_issue(workspace, issue)
    ctx = CheckContext(r, ws.settings, search_path(ws.templates_dir))
    urls = [url for url, _ in online.targets(ctx)]
    assert urls and all(urlsplit(u).hostname == "127.0.0.1" for u in urls), urls  # loopback only
    return list(online.check(ctx, timeout=5, workers=3, context=context))


def test_online_reports_4xx_and_passes_good_links(workspace: Path, servers: tuple[int, int, ssl.SSLContext]) -> None:
    tls, _plain, context = servers
    body = f"See [the live page](https://127.0.0.1:{tls}/ok) and [the old page](https://127.0.0.1:{tls}/gone)."
    found = _check(workspace, body, context, tls)
    assert [(f.severity, "HTTP 404" in f.message and "/gone" in f.message) for f in found] == [("error", True)]
    assert found[0].file.endswith(".md") and found[0].line > 0


def test_online_retries_once(workspace: Path, servers: tuple[int, int, ssl.SSLContext]) -> None:
    tls, _plain, context = servers
    found = _check(workspace, f"See [the busy page](https://127.0.0.1:{tls}/flaky).", context, tls)
    assert found == []
    assert Handler.calls["/flaky"] == 2


def test_online_reports_redirects_to_http(workspace: Path, servers: tuple[int, int, ssl.SSLContext]) -> None:
    tls, plain, context = servers
    found = _check(workspace, f"See [the moved page](https://127.0.0.1:{tls}/to-http).", context, tls)
    redirects = [f for f in found if "redirects to http" in f.message]
    assert len(redirects) == 1 and redirects[0].severity == "warning"
    assert f"http://127.0.0.1:{plain}/ok" in redirects[0].message
    found = _check(workspace, f"See [the live page](https://127.0.0.1:{tls}/ok).", context, tls)
    assert [f for f in found if "redirects" in f.message] == []


def test_online_reports_images_over_1_mb(workspace: Path, servers: tuple[int, int, ssl.SSLContext]) -> None:
    tls, _plain, context = servers
    body = (f"![A chart of the tides](https://127.0.0.1:{tls}/big.png)\n\n"
            f"![A small chart](https://127.0.0.1:{tls}/small.png)")
    found = _check(workspace, body, context, tls)
    assert len(found) == 1 and found[0].severity == "warning" and "over 1 MB" in found[0].message
    assert "big.png" in found[0].message


def test_online_unreachable_host_is_an_error(workspace: Path, servers: tuple[int, int, ssl.SSLContext]) -> None:
    tls, _plain, context = servers
    from conftest import free_port

    closed = free_port()
    found = _check(workspace, f"See [the dead page](https://127.0.0.1:{closed}/x).", context, tls)
    dead = [f for f in found if "unreachable" in f.message]
    assert len(dead) == 1 and dead[0].severity == "error"


def test_online_finding_with_utm_tagging_points_at_the_issue_line(workspace: Path,
                                                                   servers: tuple[int, int, ssl.SSLContext]) -> None:
    # The tagged URL was reported at email.html, with no line, quoted cut mid-word.
    tls, _plain, context = servers
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "utm:\n  source: dispatch\n", encoding="utf-8")
    found = _check(workspace, f"See [x](https://127.0.0.1:{tls}/gone?id=3).", context, tls)
    [gone] = [f for f in found if "HTTP 404" in f.message]
    assert gone.message.endswith(f"https://127.0.0.1:{tls}/gone?id=3") and "utm_" not in gone.message
    assert gone.file.endswith(".md") and "/gone?id=3" in Path(gone.file).read_text().split("\n")[gone.line - 1]


@pytest.mark.parametrize(("path", "words"), [("/loop", "redirects in a loop"), ("/a", "redirects in a loop"),
                                             ("/no-location", "without a Location header")])
def test_online_redirects_that_go_nowhere_are_errors(workspace: Path, servers: tuple[int, int, ssl.SSLContext],
                                                     path: str, words: str) -> None:
    tls, _plain, context = servers
    found = _check(workspace, f"See [the moving page](https://127.0.0.1:{tls}{path}).", context, tls)
    assert [f.severity for f in found] == ["error"]
    assert words in found[0].message and found[0].message.endswith(f"https://127.0.0.1:{tls}{path}")
    assert found[0].file.endswith(".md") and found[0].line > 0
