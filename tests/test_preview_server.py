"""The preview server over plain HTTP: routes, safety (traversal, Host header), state after
failed builds, the command's port and signal handling."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINIMAL_ISSUE, REPO, free_port

from newsletter.cli import cli
from newsletter.preview.plan import Kind, plan_rebuild
from newsletter.preview.server import EMAIL_CSP, PreviewServer, host_allowed, split_path

SLUG = "2026-06-02-tides"


@pytest.fixture
def server(workspace: Path) -> Iterator[PreviewServer]:
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        yield s
    finally:
        s.stop()


def get(server: PreviewServer, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """A raw request: the path is sent exactly as given (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        if host is None:
            host = f"127.0.0.1:{server.port}"
        if host:
            conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_index_lists_issues_newest_first_with_subject_date_size_and_warnings(workspace: Path) -> None:
    older = MINIMAL_ISSUE.replace("Tide tables for the week", "Older one").replace("2026-06-02", "2026-05-01")
    (workspace / "issues" / "2026-05-01-older.md").write_text(older, encoding="utf-8")
    # A file name that sorts last but whose front matter is the newest date.
    newest = MINIMAL_ISSUE.replace("Tide tables for the week", "Newest one").replace("2026-06-02", "2026-07-01")
    (workspace / "issues" / "a-undated-name.md").write_text(newest, encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        status, headers, body = get(s, "/")
        result = s.state.entry(SLUG).result  # type: ignore[union-attr]
        serious = [f for f in result.findings if f.severity in ("warning", "error")]  # type: ignore[union-attr]
        expected_warnings = len(result.warnings) + len(serious)  # type: ignore[union-attr]
    finally:
        s.stop()
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    order = [page.index(t) for t in ("Newest one", "Tide tables for the week", "Older one")]
    assert order == sorted(order)
    assert f'href="/issue/{SLUG}"' in page and "2026-06-02" in page
    size_kb = (workspace / "out" / SLUG / "email.html").stat().st_size / 1024
    assert f"{size_kb:.1f} KB" in page
    row = page[page.index(f'href="/issue/{SLUG}"'):]
    assert row.split("</tr>")[0].endswith(f"<td>{expected_warnings}</td>")


def test_issue_api_describes_the_build(server: PreviewServer, workspace: Path) -> None:
    status, _, body = get(server, f"/api/issue/{SLUG}")
    data = json.loads(body)
    assert status == 200
    assert data["subject"] == "Tide tables for the week"
    assert data["sender"] == {"name": "Test Dispatch", "email": "desk@dispatch.example"}
    assert data["preheader"] == "The lede sentence comes first."
    assert data["html_bytes"] == (workspace / "out" / SLUG / "email.html").stat().st_size
    assert data["limit_bytes"] == 102 * 1024
    assert data["words"] > 0 and data["reading_minutes"] >= 1
    assert data["errors"] == [] and data["built"] is True


def test_built_files_are_served_byte_for_byte_with_a_csp_that_forbids_script(server: PreviewServer,
                                                                             workspace: Path) -> None:
    for name, ctype in (("email.html", "text/html"), ("email.txt", "text/plain")):
        status, headers, body = get(server, f"/email/{SLUG}/{name}")
        assert status == 200 and headers["content-type"].startswith(ctype)
        assert body == (workspace / "out" / SLUG / name).read_bytes()
        assert headers["content-security-policy"] == EMAIL_CSP
    for view in ("view.html?views=dark,nostyles,imagesoff", "text.html", "source.html"):
        status, headers, _ = get(server, f"/email/{SLUG}/{view}")
        assert status == 200 and headers["content-security-policy"] == EMAIL_CSP


def test_the_issue_page_frame_is_sandboxed_without_scripts(server: PreviewServer) -> None:
    status, headers, body = get(server, f"/issue/{SLUG}")
    page = body.decode()
    assert status == 200
    sandbox = re.search(r'<iframe id="frame"[^>]*sandbox="([^"]*)"', page)
    assert sandbox is not None
    assert set(sandbox.group(1).split()) == {"allow-same-origin", "allow-popups", "allow-popups-to-escape-sandbox"}
    assert "script-src 'self'" in headers["content-security-policy"]
    for label in ("Desktop", "Mobile", "Dark", "No styles", "Images off", "Text", "Source",
                  "Copy HTML", "Copy text", "Download .eml"):
        assert f">{label}<" in page


TRAVERSALS = [
    f"/email/{SLUG}/../../newsletter.yaml",
    f"/email/{SLUG}/%2e%2e/%2e%2e/newsletter.yaml",
    f"/email/{SLUG}/%2E%2E%2F%2E%2E%2Fnewsletter.yaml",
    f"/email/{SLUG}/%252e%252e%252f%252e%252e%252fnewsletter.yaml",
    f"/email/{SLUG}/..%5c..%5cnewsletter.yaml",
    "/email/..%2f..%2fnewsletter.yaml/email.html",
    "/email/%2e%2e/email.html",
    "/static/../server.py",
    "/static/%2e%2e%2fserver.py",
    "/static/%252e%252e%252fserver.py",
    "/static/..%2f..%2f..%2fsettings.py",
    "//etc/passwd",
    "/issues/2026-06-02-tides.md",
    "/newsletter.yaml",
    "/out/",
    f"/out/{SLUG}/email.html",
    f"/email/{SLUG}/",
    f"/email/{SLUG}/.email.html.tmp",
    "/static/",
    "/email/",
    "/email/no-such-issue/email.html",
    "/issue/no-such-issue",
    "/static/%00preview.css",
    "/issue/%ff%fe",
    f"/email/{SLUG}/.%2e/.%2e/newsletter.yaml",
    f"/email/{SLUG}/email.html%00",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_and_listing_attempts_are_refused(server: PreviewServer, path: str) -> None:
    status, _, body = get(server, path)
    assert status in (400, 404)
    assert b"postal_address" not in body and b"import " not in body and b"root:" not in body
    assert b"<html" not in body.lower()  # no listing page either


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example",
                                  "localhost.evil.example:{port}", "192.168.1.10:{port}", ""])
def test_a_foreign_or_missing_host_header_is_refused(server: PreviewServer, host: str) -> None:
    status, _, body = get(server, f"/email/{SLUG}/email.html", host=host.format(port=server.port) or "")
    assert status == 400
    assert b"<" not in body


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST:{port}"])
def test_loopback_host_headers_are_accepted(server: PreviewServer, host: str) -> None:
    status, _, _ = get(server, "/", host=host.format(port=server.port))
    assert status == 200


def test_host_check_accepts_the_bound_host() -> None:
    assert host_allowed("10.1.2.3:8025", "10.1.2.3")
    assert not host_allowed("10.1.2.4:8025", "10.1.2.3")
    assert host_allowed("[::1]", "::1")


def test_split_path_decodes_once_and_refuses_dot_segments() -> None:
    assert split_path("/email/a-b/email.html?x=1") == ["email", "a-b", "email.html"]
    assert split_path("/") == []
    assert split_path("/email/%2e%2e/x") is None
    # A '%' left after the one decoding is a literal character of the name, never decoded
    # again: the segment only ever matches a known issue, asset or output name.
    assert split_path("/email/%252e/x") == ["email", "%2e", "x"]
    assert split_path("/a/../b") is None


def test_an_issue_file_name_with_spaces_and_accents_is_reachable(workspace: Path) -> None:
    (workspace / "issues" / "2026-06-03 café notes.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        assert 'href="/issue/2026-06-03%20caf%C3%A9%20notes"' in get(s, "/")[2].decode()
        assert get(s, "/issue/2026-06-03%20caf%C3%A9%20notes")[0] == 200
        assert get(s, "/email/2026-06-03%20caf%C3%A9%20notes/email.html")[0] == 200
    finally:
        s.stop()


def raw_get(port: int, path: str) -> bytes:
    """Everything the server sends for one request (it closes the connection after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


NAMES = ["2026-06-04-日本", "2026-06-09-őz", "2026-06-10-café", '2026-06-11-say "hi"']


def test_the_download_name_has_an_ascii_fallback_and_the_full_name_in_utf8() -> None:
    from newsletter.preview.server import attachment

    assert attachment("a.eml") == "attachment; filename=\"a.eml\"; filename*=UTF-8''a.eml"
    assert attachment('say "hi" \\ 100% caf\u00e9.eml') == (
        "attachment; filename=\"say _hi_ _ 100% caf_.eml\"; filename*=UTF-8''say%20%22hi%22%20%5C%20100%25%20caf%C3%A9.eml")
    assert attachment(os.fsdecode(b"\xff.eml")).endswith("filename*=UTF-8''%EF%BF%BD.eml")


def test_the_eml_of_any_issue_name_downloads_with_its_name(workspace: Path) -> None:
    """A name outside Latin-1 failed in the header (a 200, then a second status line with a
    500); a quote made the fallback name malformed."""
    from urllib.parse import quote, unquote

    for name in NAMES:
        (workspace / "issues" / f"{name}.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        for name in NAMES:
            response = raw_get(s.port, f"/email/{quote(name)}/email.eml")
            head, _, body = response.partition(b"\r\n\r\n")
            assert response.count(b"HTTP/1.1 ") == 1 and head.startswith(b"HTTP/1.1 200 "), response[:300]
            assert body == (workspace / "out" / name / "email.eml").read_bytes()
            value = next(line.split(b":", 1)[1].strip().decode("ascii") for line in head.split(b"\r\n")
                         if line.lower().startswith(b"content-disposition:"))
            fallback = re.fullmatch(r'attachment; filename="([\x20-\x7e]*)"; filename\*=UTF-8\'\'(\S+)', value)
            assert fallback is not None, value
            assert '"' not in fallback.group(1) and "\\" not in fallback.group(1)
            assert unquote(fallback.group(2), errors="strict") == f"{name}.eml"
    finally:
        s.stop()


@pytest.mark.parametrize("flushed", [False, True])
def test_an_error_while_answering_never_sends_a_second_status_line(server: PreviewServer,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   flushed: bool) -> None:
    """An error after the status line was started got a 500 appended to it: two responses
    for one request. Before the headers go out the 500 replaces the answer; after, the
    connection is closed instead."""
    from newsletter.preview.server import Handler

    def broken(self: Handler, slug: str, name: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if flushed:
            self.send_header("Content-Length", "100")
            self.end_headers()
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(Handler, "_email", broken)
    response = raw_get(server.port, f"/email/{SLUG}/email.html")
    assert response.count(b"HTTP/1.1 ") == 1, response
    assert response.startswith(b"HTTP/1.1 200 " if flushed else b"HTTP/1.1 500 ")
    assert get(server, "/")[0] == 200  # and the server still answers


def test_every_issue_the_index_links_to_opens(workspace: Path) -> None:
    """A '%' in a file name (linked as %25) was refused as double encoding."""
    names = ["2026-06-06-100%-growth", "2026-06-07-100%25", "2026-06-08-%2e%2e", "2026-06-09-a%2fb"]
    for name in names:
        (workspace / "issues" / f"{name}.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        links = re.findall(r'href="(/issue/[^"]+)"', get(s, "/")[2].decode())
        assert len(links) == len(names) + 1
        for link in links:
            slug = link.split("/")[2]
            assert get(s, link)[0] == 200, link
            assert get(s, f"/api/issue/{slug}")[0] == 200, link
            assert get(s, f"/email/{slug}/email.html")[0] == 200, link
        assert get(s, "/email/2026-06-07-100%2525/email.html")[2] == \
            (workspace / "out" / "2026-06-07-100%25" / "email.html").read_bytes()
        # decoded once only: these name the issue literally called '%2e%2e', not a parent folder
        assert get(s, "/email/2026-06-08-%252e%252e/email.html")[0] == 200
        assert get(s, "/email/2026-06-08-%2e%2e/email.html")[0] == 404
        assert get(s, "/email/%252e%252e/email.html")[0] == 404
    finally:
        s.stop()


def test_an_issue_whose_name_isnt_utf8_is_listed_with_its_error(workspace: Path) -> None:
    """The index failed with a 500 (a surrogate in the link); it lists the file as `build`
    reports it, without a link (the name can't be a UTF-8 address)."""
    name = os.fsdecode(b"2026-12-03-\xff.md")  # as Python names it: the byte as a lone surrogate
    with _index_with(workspace, name, MINIMAL_ISSUE) as (s, text):
        row = next(line for line in text.split("\n") if "2026-12-03-" in line)
        assert "build error" in row and "<a " not in row
        problem = s.state.entry(name[:-3]).problems[0]  # type: ignore[union-attr]
        assert problem.message in html_unescape(row)  # what `build` says about it
        assert "2026-12-03-\\udcff.md" in html_unescape(row)


@contextmanager
def _index_with(workspace: Path, name: str, issue: str) -> Iterator[tuple[PreviewServer, str]]:
    """A preview of the workspace with one more issue file, ``name``: the server and its index
    page (which still links the workspace's own issue)."""
    (workspace / "issues" / name).write_text(issue, encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        status, _, page = get(s, "/")
        assert status == 200
        text = page.decode("utf-8")
        assert f'href="/issue/{SLUG}"' in text  # the others are listed as before
        yield s, text
    finally:
        s.stop()


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_a_failed_build_keeps_the_last_good_one_and_says_where(server: PreviewServer, workspace: Path) -> None:
    issue = workspace / "issues" / f"{SLUG}.md"
    good_html = (workspace / "out" / SLUG / "email.html").read_bytes()
    issue.write_text(MINIMAL_ISSUE.replace('subject: "Tide tables for the week"', 'subject: "unterminated'),
                     encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, issue)], workspace))
    data = json.loads(get(server, f"/api/issue/{SLUG}")[2])
    assert data["built"] is True and data["subject"] == "Tide tables for the week"
    assert data["errors"][0]["file"] == f"issues/{SLUG}.md" and data["errors"][0]["line"] >= 2
    assert get(server, f"/email/{SLUG}/email.html")[2] == good_html
    issue.write_text(MINIMAL_ISSUE.replace("Tide tables", "Fixed tables"), encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, issue)], workspace))
    data = json.loads(get(server, f"/api/issue/{SLUG}")[2])
    assert data["errors"] == [] and data["subject"] == "Fixed tables for the week"


def test_a_settings_error_is_reported_on_every_issue_and_clears_when_fixed(server: PreviewServer,
                                                                           workspace: Path) -> None:
    config = workspace / "newsletter.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good + "theme:\n  colors: [unclosed\n", encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, config)], workspace))
    data = json.loads(get(server, f"/api/issue/{SLUG}")[2])
    assert data["errors"][0]["file"] == "newsletter.yaml" and data["errors"][0]["line"] > 0
    assert data["built"] is True
    assert b"Settings error" in get(server, "/")[2]
    config.write_text(good, encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, config)], workspace))
    assert json.loads(get(server, f"/api/issue/{SLUG}")[2])["errors"] == []


def test_settings_warnings_are_on_the_pages_not_only_in_the_terminal(server: PreviewServer, workspace: Path) -> None:
    """A misspelt key (a silently blank sender name) warned only in the server's terminal, and
    next to a settings error ('postal_adress': 'postal_address is missing') not even there."""
    config = workspace / "newsletter.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good + "sender_nmae: Desk\n", encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, config)], workspace))
    data = json.loads(get(server, f"/api/issue/{SLUG}")[2])
    warning = f"newsletter.yaml:{good.count(chr(10)) + 1}: unknown setting 'sender_nmae'"
    assert [w for w in data["settings_warnings"] if w.startswith(warning)] and data["errors"] == []
    assert b"Settings warning" in get(server, "/")[2]
    address = next(line for line in good.split("\n") if line.startswith("postal_address:"))
    config.write_text(good.replace(address, address.replace("postal_address", "postal_adress")), encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, config)], workspace))
    data = json.loads(get(server, f"/api/issue/{SLUG}")[2])
    assert "required setting 'postal_address' is missing" in data["errors"][0]["message"]
    assert any("unknown setting 'postal_adress' (did you mean 'postal_address'?)" in w for w in data["settings_warnings"])
    page = get(server, "/")[2]
    assert b"Settings error" in page and b"postal_adress" in page
    config.write_text(good, encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, config)], workspace))
    data = json.loads(get(server, f"/api/issue/{SLUG}")[2])
    assert data["settings_warnings"] == [] and data["errors"] == []


def test_an_issue_broken_from_the_start_is_listed_and_served_with_its_error(workspace: Path) -> None:
    (workspace / "issues" / "2026-06-09-broken.md").write_text("---\nsubject: [\n---\nBody\n", encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        assert b"build error" in get(s, "/")[2]
        data = json.loads(get(s, "/api/issue/2026-06-09-broken")[2])
        assert data["built"] is False and data["errors"][0]["file"] == "issues/2026-06-09-broken.md"
        assert get(s, "/email/2026-06-09-broken/view.html")[0] == 404
        assert get(s, f"/api/issue/{SLUG}")[0] == 200  # the good issue is unaffected
    finally:
        s.stop()


def test_a_link_whose_file_is_gone_is_listed_with_its_error_as_build_reports_it(workspace: Path) -> None:
    # The preview dropped such a link silently, like a deleted file, while `build` reported it.
    from newsletter.preview.watcher import differences, snapshot

    link = workspace / "issues" / "2026-06-09-moved.md"
    link.symlink_to("../drafts/2026-06-09-moved.md")
    assert differences({}, snapshot(workspace)).count((Kind.ADDED, link)) == 1  # the watcher sees it too
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        data = json.loads(get(s, "/api/issue/2026-06-09-moved")[2])
        assert data["built"] is False
        assert data["errors"][0]["message"] == "is a link to ../drafts/2026-06-09-moved.md, which doesn't exist"
        # the file comes back, and the editor saves through the link: it builds
        (workspace / "drafts").mkdir()
        (workspace / "drafts" / "2026-06-09-moved.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
        s.state.apply(plan_rebuild([(Kind.MODIFIED, link)], workspace))
        data = json.loads(get(s, "/api/issue/2026-06-09-moved")[2])
        assert data["built"] is True and data["errors"] == []
        # gone again: the error is back, and the last good build is still served
        (workspace / "drafts" / "2026-06-09-moved.md").unlink()
        s.state.apply(plan_rebuild([(Kind.MODIFIED, link)], workspace))
        data = json.loads(get(s, "/api/issue/2026-06-09-moved")[2])
        assert data["built"] is True and "which doesn't exist" in data["errors"][0]["message"]
        # the link itself removed: the entry goes
        link.unlink()
        s.state.apply(plan_rebuild([(Kind.DELETED, link)], workspace))
        assert get(s, "/api/issue/2026-06-09-moved")[0] == 404
    finally:
        s.stop()


def test_long_poll_answers_when_the_epoch_moves(server: PreviewServer, workspace: Path) -> None:
    epoch = json.loads(get(server, "/api/wait?epoch=-1")[2])["epoch"]
    issue = workspace / "issues" / f"{SLUG}.md"
    server.state.apply(plan_rebuild([(Kind.MODIFIED, issue)], workspace))
    answer = json.loads(get(server, f"/api/wait?epoch={epoch}&slug={SLUG}")[2])
    assert answer["epoch"] > epoch
    assert epoch < answer["issue"]["version"] <= answer["epoch"]  # the frame is told to reload
    assert answer["issue"]["subject"] == "Tide tables for the week"


def test_the_full_pass_updates_findings_without_reloading_the_frame(server: PreviewServer, workspace: Path) -> None:
    issue = workspace / "issues" / f"{SLUG}.md"
    server.state.apply(plan_rebuild([(Kind.MODIFIED, issue)], workspace))
    entry = server.state.entry(SLUG)
    assert entry is not None and entry.result is not None
    # The stored build is the full one (.eml and findings), and the frame's version is the
    # epoch of the first (HTML-only) pass, one before the full pass's.
    assert entry.result.eml is not None
    assert entry.version == server.state.epoch - 1


def test_the_preview_writes_what_build_writes(server: PreviewServer, workspace: Path) -> None:
    """The second pass adds the .eml and the findings to the first pass's render: the files it
    writes are byte for byte the ones `newsletter build` writes."""
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8") + "\nOne more line for the preview.\n", encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, issue)], workspace))
    out = workspace / "out" / SLUG
    previewed = {name: (out / name).read_bytes() for name in ("email.html", "email.txt", "email.eml")}
    assert b"One more line for the preview." in previewed["email.txt"]
    for name in previewed:
        (out / name).unlink()
    assert CliRunner().invoke(cli, ["build", "--force", f"issues/{SLUG}.md"]).exit_code == 0
    assert {name: (out / name).read_bytes() for name in previewed} == previewed
    findings = server.state.entry(SLUG).result.findings  # type: ignore[union-attr]
    from newsletter.build import render_issue
    from newsletter.workspace import open_workspace

    assert findings == render_issue(open_workspace(workspace), issue).findings


def test_port_in_use_is_one_clear_line(workspace: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["preview", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output == f"Error: port {port} is in use (try --port {port + 1})\n"


def test_unknown_issue_argument_is_an_error(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", "nope", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "Error: nope: no such issue in issues/" in result.output


def test_an_unknown_issue_argument_is_reported_before_anything_is_built(workspace: Path) -> None:
    """It was found out only after every issue had been built and written to out/."""
    result = CliRunner().invoke(cli, ["preview", "nosuch", "--port", str(free_port())])
    assert result.exit_code == 1
    assert result.output == "Error: nosuch: no such issue in issues/ (name a file in issues/ or its slug)\n"
    assert not (workspace / "out").exists()


def _start(workspace: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "newsletter", "preview", "--port", str(port), *args],
                            cwd=workspace, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:  # answers once the first build is done and the page can be served
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                conn.close()
                break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.communicate()[1])
            time.sleep(0.1)
    return proc, port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_stop_the_server_cleanly(workspace: Path, sig: signal.Signals) -> None:
    proc, port = _start(workspace)
    try:
        # A long-poll in flight must not hold the server open.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/wait?epoch=999", headers={"Host": "127.0.0.1"})
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert err.rstrip().endswith("Stopped.")
    assert f"Previewing {workspace} at http://127.0.0.1:{port}/" in err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_first_build_still_stops_cleanly(workspace: Path, sig: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "newsletter", "preview", "--port", str(port)],
                            cwd=workspace, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _accepts(port) or proc.poll() is not None, timeout=30)  # bound: now building
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and err.rstrip().endswith("Stopped.")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def test_a_non_loopback_host_warns(workspace: Path) -> None:
    from newsletter.commands.preview import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")


def test_the_warning_for_a_non_loopback_host_is_printed(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Binds loopback (tests never use other addresses) but treats it as foreign to see the warning."""
    import newsletter.commands.preview as cmd

    monkeypatch.setattr(cmd, "is_loopback", lambda host: False)
    monkeypatch.setattr(cmd, "_serve_until_stopped", lambda server, stop: server.stop())
    result = CliRunner().invoke(cli, ["preview", "--port", str(free_port())], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Warning: serving on 127.0.0.1, not a loopback address" in result.output


def test_issue_argument_opens_that_page(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--open with ISSUE opens /issue/<slug>; the server is stopped right after by a fake SIGTERM."""
    import newsletter.commands.preview as cmd

    opened: list[str] = []
    monkeypatch.setattr(cmd.webbrowser, "open", lambda url: opened.append(url) or True)
    monkeypatch.setattr(cmd, "_serve_until_stopped", lambda server, stop: server.stop())
    port = free_port()
    result = CliRunner().invoke(cli, ["preview", f"issues/{SLUG}.md", "--open", "--port", str(port)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert opened == [f"http://127.0.0.1:{port}/issue/{SLUG}"]


def _wait_for(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_a_new_template_folder_is_watched_and_rebuilds_every_issue(workspace: Path) -> None:
    other = MINIMAL_ISSUE.replace("2026-06-02", "2026-06-09")
    (workspace / "issues" / "2026-06-09-other.md").write_text(other, encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        partial = (REPO / "templates" / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
        assert "{{ settings.footer_reason }}" in partial
        (workspace / "templates" / "partials").mkdir(parents=True)
        (workspace / "templates" / "partials" / "footer.mjml.j2").write_text(
            partial.replace("{{ settings.footer_reason }}", "Template marker 4417."), encoding="utf-8")
        for slug in (SLUG, "2026-06-09-other"):
            _wait_for(lambda slug=slug: b"Template marker 4417." in get(s, f"/email/{slug}/email.html")[2])
        # and an edit inside the now-watched subfolder rebuilds again
        path = workspace / "templates" / "partials" / "footer.mjml.j2"
        path.write_text(path.read_text(encoding="utf-8").replace("4417", "4418"), encoding="utf-8")
        _wait_for(lambda: b"Template marker 4418." in get(s, f"/email/{SLUG}/email.html")[2])
    finally:
        s.stop()


def test_an_override_added_to_an_existing_templates_folder_is_used_at_once(workspace: Path) -> None:
    """The theme's compiled template was kept in memory and checked only against its own file,
    so an override that now shadows it (in a templates/ folder that was there from the start)
    went unseen until a restart; removing it again must bring the theme's file back."""
    (workspace / "templates" / "partials").mkdir(parents=True)
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        footer = workspace / "templates" / "partials" / "footer.mjml.j2"
        partial = (REPO / "templates" / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
        footer.write_text(partial.replace("{{ settings.footer_reason }}", "Footer marker 5521."), encoding="utf-8")
        _wait_for(lambda: b"Footer marker 5521." in get(s, f"/email/{SLUG}/email.html")[2])
        assert b"Footer marker 5521." in (workspace / "out" / SLUG / "email.html").read_bytes()
        text = workspace / "templates" / "email.txt.j2"
        text.write_text((REPO / "templates" / "email.txt.j2").read_text(encoding="utf-8") + "Text marker 5522.\n",
                        encoding="utf-8")
        _wait_for(lambda: b"Text marker 5522." in get(s, f"/email/{SLUG}/email.txt")[2])
        footer.unlink()
        text.rename(workspace / "templates" / "email.txt.j2.bak")  # renamed away: no longer an override
        _wait_for(lambda: b"Text marker 5522." not in get(s, f"/email/{SLUG}/email.txt")[2])
        assert b"Footer marker 5521." not in get(s, f"/email/{SLUG}/email.html")[2]
    finally:
        s.stop()


def test_an_issue_linked_from_elsewhere_is_rebuilt_when_its_file_is_saved(workspace: Path) -> None:
    # Saving through the link writes the file in its own folder: a watch on issues/ saw nothing.
    (workspace / "drafts").mkdir()
    draft = workspace / "drafts" / "2026-06-09-linked.md"
    draft.write_text(MINIMAL_ISSUE.replace("Tide tables", "Linked marker 1"), encoding="utf-8")
    (workspace / "issues" / "2026-06-09-linked.md").symlink_to("../drafts/2026-06-09-linked.md")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        page = "/email/2026-06-09-linked/email.html"
        assert b"Linked marker 1" in get(s, page)[2]
        (workspace / "issues" / "2026-06-09-linked.md").write_text(
            MINIMAL_ISSUE.replace("Tide tables", "Linked marker 2"), encoding="utf-8")  # through the link
        _wait_for(lambda: b"Linked marker 2" in get(s, page)[2])
        spare = workspace / "drafts" / ".2026-06-09-linked.md.tmp"  # an editor that saves by rename
        spare.write_text(MINIMAL_ISSUE.replace("Tide tables", "Linked marker 3"), encoding="utf-8")
        spare.replace(draft)
        _wait_for(lambda: b"Linked marker 3" in get(s, page)[2])
        # the link pointed at another file in the same folder: that file is the one watched now
        other = workspace / "drafts" / "2026-06-09-other.md"
        other.write_text(MINIMAL_ISSUE.replace("Tide tables", "Linked marker 4"), encoding="utf-8")
        (workspace / "issues" / "2026-06-09-linked.md").unlink()
        (workspace / "issues" / "2026-06-09-linked.md").symlink_to("../drafts/2026-06-09-other.md")
        _wait_for(lambda: b"Linked marker 4" in get(s, page)[2])
        other.write_text(MINIMAL_ISSUE.replace("Tide tables", "Linked marker 5"), encoding="utf-8")
        _wait_for(lambda: b"Linked marker 5" in get(s, page)[2])
        other.unlink()
        _wait_for(lambda: "which doesn't exist" in json.dumps(json.loads(get(s, "/api/issue/2026-06-09-linked")[2])))
    finally:
        s.stop()


def test_a_links_folder_that_comes_back_with_its_file_rebuilds_the_issue(workspace: Path, tmp_path: Path) -> None:
    # The folder wasn't there to watch: the file arrives with it (mv, git checkout) unseen.
    (workspace / "issues" / "2026-06-09-linked.md").symlink_to("../drafts/2026-06-09-linked.md")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        api = "/api/issue/2026-06-09-linked"
        assert "which doesn't exist" in json.loads(get(s, api)[2])["errors"][0]["message"]
        # a save the watch sees first: past its start, when it compares with the files as they were
        (workspace / "issues" / f"{SLUG}.md").write_text(MINIMAL_ISSUE.replace("Tide tables", "Live marker"),
                                                         encoding="utf-8")
        _wait_for(lambda: b"Live marker" in get(s, f"/email/{SLUG}/email.html")[2])
        _drafts_folder(tmp_path, "Back marker").rename(workspace / "drafts")
        _wait_for(lambda: b"Back marker" in get(s, "/email/2026-06-09-linked/email.html")[2])
        assert json.loads(get(s, api)[2])["errors"] == []
    finally:
        s.stop()


def test_a_links_folder_that_appears_is_found_while_another_file_is_written_all_the_time(
        workspace: Path, tmp_path: Path) -> None:
    # An editor's swap file beside newsletter.yaml, written every 0.15 s: watchfiles dropped
    # those batches (filtered out) without yielding, and never timed out either, so the
    # watcher never looked for the link's folder again.
    # The folder is outside the workspace: no watched folder has an event when it appears.
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "issues" / "2026-06-09-linked.md").symlink_to(outside / "drafts" / "2026-06-09-linked.md")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    quiet = threading.Event()

    def noise() -> None:
        n = 0
        while not quiet.wait(0.15):
            (workspace / ".newsletter.yaml.swp").write_text(str(n), encoding="utf-8")
            n += 1

    writer = threading.Thread(target=noise, daemon=True)
    writer.start()
    try:
        _live(s, workspace, "Live marker")
        _drafts_folder(tmp_path, "Busy marker").rename(outside / "drafts")
        _wait_for(lambda: b"Busy marker" in get(s, "/email/2026-06-09-linked/email.html")[2])
    finally:
        quiet.set()
        writer.join()
        s.stop()


def _drafts_folder(tmp_path: Path, marker: str) -> Path:
    """A folder made elsewhere holding the linked issue's file, to be moved into place at once."""
    folder = tmp_path / "kept-drafts"
    folder.mkdir()
    (folder / "2026-06-09-linked.md").write_text(MINIMAL_ISSUE.replace("Tide tables", marker), encoding="utf-8")
    return folder


def _live(s: PreviewServer, workspace: Path, marker: str) -> None:
    """A save the watch sees, so what follows happens to a live watch."""
    (workspace / "issues" / f"{SLUG}.md").write_text(MINIMAL_ISSUE.replace("Tide tables", marker), encoding="utf-8")
    _wait_for(lambda: marker.encode() in get(s, f"/email/{SLUG}/email.html")[2])


def _linked_draft(workspace: Path) -> tuple[Path, PreviewServer]:
    """issues/x.md, a link to drafts/x.md, and a started server; returns (drafts, server)."""
    drafts = workspace / "drafts"
    drafts.mkdir()
    (drafts / "x.md").write_text(MINIMAL_ISSUE.replace("Tide tables", "Draft one"), encoding="utf-8")
    (workspace / "issues" / "x.md").symlink_to("../drafts/x.md")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    return drafts, s


def test_a_folder_made_again_under_the_same_name_is_watched_again(workspace: Path) -> None:
    # Deleted and made again at once (often with the same inode): the old watch saw nothing in it.
    drafts, s = _linked_draft(workspace)
    try:
        _live(s, workspace, "Live one")
        import shutil

        shutil.rmtree(drafts)
        drafts.mkdir()
        (drafts / "x.md").write_text(MINIMAL_ISSUE.replace("Tide tables", "Draft two"), encoding="utf-8")
        _wait_for(lambda: b"Draft two" in get(s, "/email/x/email.html")[2])
        _live(s, workspace, "Live two")  # the watch has settled on the new folder
        (drafts / "x.md").write_text(MINIMAL_ISSUE.replace("Tide tables", "Draft three"), encoding="utf-8")
        _wait_for(lambda: b"Draft three" in get(s, "/email/x/email.html")[2])
    finally:
        s.stop()


def test_what_changes_in_a_folder_while_it_is_moved_away_is_rebuilt_when_it_comes_back(workspace: Path) -> None:
    drafts, s = _linked_draft(workspace)
    try:
        _live(s, workspace, "Live one")
        drafts.rename(workspace / "drafts.away")  # the link's file is gone: as build would, say so
        _wait_for(lambda: "which doesn't exist" in json.dumps(json.loads(get(s, "/api/issue/x")[2])))
        issues = workspace / "issues"
        issues.rename(workspace / "issues.away")  # edited while away, where no watch looks
        away = workspace / "issues.away" / f"{SLUG}.md"
        away.write_text(MINIMAL_ISSUE.replace("Tide tables", "Edited away"), encoding="utf-8")
        (workspace / "drafts.away" / "x.md").write_text(MINIMAL_ISSUE.replace("Tide tables", "Draft away"),
                                                        encoding="utf-8")
        time.sleep(0.7)
        (workspace / "issues.away").rename(issues)
        (workspace / "drafts.away").rename(drafts)
        _wait_for(lambda: b"Edited away" in get(s, f"/email/{SLUG}/email.html")[2])
        _wait_for(lambda: b"Draft away" in get(s, "/email/x/email.html")[2])
    finally:
        s.stop()


def test_a_link_into_a_folder_watchfiles_cant_watch_leaves_the_rest_watched(workspace: Path) -> None:
    # A folder name that isn't UTF-8 failed the whole watch: no save anywhere was rebuilt.
    odd = Path(os.fsdecode(bytes(workspace / "drafts") + b"-caf\xe9"))
    odd.mkdir()
    (odd / "x.md").write_text(MINIMAL_ISSUE.replace("Tide tables", "Odd draft"), encoding="utf-8")
    (workspace / "issues" / "x.md").symlink_to(odd / "x.md")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        assert b"Odd draft" in get(s, "/email/x/email.html")[2]
        _live(s, workspace, "Still live")  # it was never rebuilt: the watch failed on every start
    finally:
        s.stop()


def test_the_server_starts_with_broken_settings_and_builds_once_they_are_fixed(workspace: Path) -> None:
    config = workspace / "newsletter.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace("web_url:", "web_url: [", 1), encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        data = json.loads(get(s, f"/api/issue/{SLUG}")[2])
        assert data["built"] is False and data["errors"][0]["file"] == "newsletter.yaml"
        assert b"Settings error" in get(s, "/")[2]
        config.write_text(good, encoding="utf-8")  # the real watcher picks this up
        _wait_for(lambda: json.loads(get(s, f"/api/issue/{SLUG}")[2])["built"])
        assert json.loads(get(s, f"/api/issue/{SLUG}")[2])["errors"] == []
    finally:
        s.stop()


def test_a_settings_error_at_startup_is_shown_and_printed_once(workspace: Path) -> None:
    """Each issue stored the settings error as its own, and the summary added the settings
    error on top: every issue page listed it twice, and the terminal printed it per issue."""
    (workspace / "issues" / "2026-06-09-other.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    config = workspace / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("name: Test Dispatch\n", "name: [broken\n", 1),
                      encoding="utf-8")
    lines: list[str] = []
    s = PreviewServer(workspace, "127.0.0.1", free_port(), log=lines.append)
    s.start()
    try:
        for slug in (SLUG, "2026-06-09-other"):
            errors = json.loads(get(s, f"/api/issue/{slug}")[2])["errors"]
            assert [e["file"] for e in errors] == ["newsletter.yaml"], errors
        assert len([line for line in lines if "newsletter.yaml" in line]) == 1, lines
        assert get(s, "/")[2].count(b"build error") == 2  # not built: each row still says so
        # saving an issue meanwhile says once more why nothing is built
        s.state.apply(plan_rebuild([(Kind.MODIFIED, workspace / "issues" / f"{SLUG}.md")], workspace))
        assert len([line for line in lines if "newsletter.yaml" in line]) == 2, lines
    finally:
        s.stop()


def test_a_client_that_resets_its_connection_gets_no_traceback(workspace: Path) -> None:
    proc, port = _start(workspace)
    try:
        for _ in range(5):  # a reload or a closed tab: the socket goes away with a RST
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            time.sleep(0.05)  # the server thread is now waiting in readline
            sock.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Host": "127.0.0.1"})
        assert conn.getresponse().status == 200  # still answering
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err
    assert "Error" not in err
    assert err.rstrip().endswith("Stopped.")


#: A Ctrl-C sent to this process, and a loop in which its handler runs.
RING = """os.kill(os.getpid(), signal.SIGINT)
for _ in range(1000):
    sum(range(100))  # the handler runs here
"""


def preview_script(method: str, before: str) -> str:
    """A script running ``newsletter preview --port <argv[1]>`` with ``before`` run first in
    every call of PreviewServer.<method>."""
    return "\n".join([
        "import os, signal, sys, weakref",
        "from newsletter.preview import server as srv",
        f"real = srv.PreviewServer.{method}",
        "def patched(self, *args, **kwargs):",
        textwrap.indent(before, "    "),
        "    return real(self, *args, **kwargs)",
        f"srv.PreviewServer.{method} = patched",
        'sys.argv = ["newsletter", "preview", "--port", sys.argv[1]]',
        "from newsletter.cli import main",
        "main()",
    ])


def _stops_cleanly(workspace: Path, script: str) -> str:
    """Runs a preview_script that stops on its own; returns its stderr."""
    proc = subprocess.run([sys.executable, "-c", script, str(free_port())], cwd=workspace,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.rstrip().endswith("Stopped."), proc.stderr
    return proc.stderr


def test_a_ctrl_c_swallowed_during_the_first_build_still_stops_the_server(workspace: Path) -> None:
    # A Ctrl-C during the first build that some code swallows (a finalizer, say). Before the
    # fix the server went on serving: the run would time out.
    swallowed = "try:\n" + textwrap.indent(RING, "    ") + "except BaseException:\n    pass\n"
    assert "Traceback" not in _stops_cleanly(workspace, preview_script("start", swallowed))


def test_a_ctrl_c_python_can_only_ignore_prints_no_traceback(workspace: Path) -> None:
    # Python reports an exception raised in a weakref callback as "Exception ignored in ..."
    # with a traceback; the full suite once caught a Ctrl-C landing in the import system's.
    in_a_callback = ("class Thing:\n    pass\n"
                     "def ring(_ref):\n" + textwrap.indent(RING, "    ") +
                     "thing = Thing()\nref = weakref.ref(thing, ring)\n"
                     "del thing  # the callback runs now: what it raises, Python can only ignore\n")
    err = _stops_cleanly(workspace, preview_script("start", in_a_callback))
    assert "Traceback" not in err and "Exception ignored" not in err, err


#: An impatient second Ctrl-C, during the shutdown.
SECOND_CTRL_C = preview_script("stop", RING)


def _serve_then_ctrl_c(workspace: Path, script: str) -> tuple[int, str]:
    """Runs a preview_script until it serves, then presses Ctrl-C: (exit code, stderr)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", script, str(port)], cwd=workspace,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _answers(port) or proc.poll() is not None, timeout=30)  # serving
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def test_a_second_ctrl_c_during_the_shutdown_does_not_cut_it_short(workspace: Path) -> None:
    code, err = _serve_then_ctrl_c(workspace, SECOND_CTRL_C)
    assert code == 0, err
    assert "Traceback" not in err and "Aborted" not in err
    assert err.rstrip().endswith("Stopped.")


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/", headers={"Host": "127.0.0.1"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def test_once_serving_the_preview_collects_garbage_at_pythons_own_pace(workspace: Path) -> None:
    """The console script raises the collector's first threshold to start faster
    (newsletter/cli.py); a preview runs for hours, and what each rebuild leaves in reference
    cycles should not wait a dozen rebuilds to be freed (it nearly doubled the preview's memory)."""
    from newsletter.cli import GC_THRESHOLD
    from newsletter.commands.preview import LONG_RUNNING_GC

    assert LONG_RUNNING_GC[0] < GC_THRESHOLD
    script = preview_script("stop", "import gc\nsys.stderr.write(f'thresholds {gc.get_threshold()}\\n')")
    _, err = _serve_then_ctrl_c(workspace, script)
    assert f"thresholds {LONG_RUNNING_GC}" in err, err


def test_an_issue_whose_name_has_a_backslash_is_listed_without_a_link_that_would_fail(workspace: Path) -> None:
    """The server refuses a backslash in a path (a separator on some systems), so the index
    linked to a page that answered 400; the row now says why there is no page."""
    from newsletter.preview.pages import UNADDRESSABLE, UNADDRESSABLE_HINT

    name = "2026-12-04-a\\b.md"
    with _index_with(workspace, name, MINIMAL_ISSUE.replace("Tide tables", "Backslash tables")) as (s, text):
        row = next(line for line in text.split("\n") if "Backslash tables" in line)
        assert "<a " not in row and f"{UNADDRESSABLE}: {UNADDRESSABLE_HINT}" in html_unescape(row)
        assert s.state.entry(name[:-3]).problems == []  # type: ignore[union-attr]  # it builds


def test_previewing_an_issue_whose_name_has_a_backslash_is_refused_before_the_build(workspace: Path) -> None:
    (workspace / "issues" / "2026-12-04-a\\b.md").write_text(MINIMAL_ISSUE, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "newsletter", "preview", "--port", str(free_port()), "--no-open",
                          "issues/2026-12-04-a\\b.md"], cwd=workspace, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.startswith("Error: issues/2026-12-04-a\\b.md: the preview can't show a file whose name has a backslash")
    assert "Traceback" not in run.stderr and not (workspace / "out" / "2026-12-04-a\\b").exists()
