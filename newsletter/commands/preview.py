"""`newsletter preview`: serve the workspace's issues with live reload until Ctrl-C or SIGTERM."""

from __future__ import annotations

import errno
import gc
import ipaddress
import signal
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import click

from newsletter.errors import NewsletterError, Problem
from newsletter.preview.pages import UNADDRESSABLE, UNADDRESSABLE_HINT, issue_link
from newsletter.preview.server import PreviewServer
from newsletter.workspace import find_root, issue_files_in

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _root(workspace: Path | None) -> Path:
    """The workspace folder. A broken newsletter.yaml is shown in the page, so only its absence stops us."""
    if workspace is not None:
        root = workspace.resolve()
        if not (root / "newsletter.yaml").is_file():
            raise NewsletterError(Problem(str(root / "newsletter.yaml"), 0, "no newsletter.yaml in this folder"))
        return root
    found = find_root(Path.cwd())
    if found is None:
        raise NewsletterError(f"no newsletter.yaml found in this folder or any parent: {Path.cwd()} "
                              "(run 'newsletter init' to create a workspace, or pass -C DIR)")
    return found


def _check_issue(issue: str, root: Path) -> None:
    """Refuse an ISSUE that names no issue before anything is built (or written to out/)."""
    slug = Path(issue).stem
    if not any(p.stem == slug for p in issue_files_in(root / "issues")):
        raise _no_such_issue(issue)
    if issue_link(slug) is None:  # its page would be refused: say so before anything is built
        raise NewsletterError(Problem(issue, 0, UNADDRESSABLE, UNADDRESSABLE_HINT))


def _no_such_issue(issue: str) -> NewsletterError:
    return NewsletterError(Problem(issue, 0, "no such issue in issues/", "name a file in issues/ or its slug"))


#: Python's default collection thresholds, for the preview's long run.
LONG_RUNNING_GC = (700, 10, 10)


def run_preview(issue: str | None, *, host: str | None, port: int | None, open_browser: bool | None,
                workspace: Path | None) -> None:
    host = (host or DEFAULT_HOST).strip("[]")
    port = DEFAULT_PORT if port is None else port
    root = _root(workspace)
    if issue is not None:
        _check_issue(issue, root)
    if not is_loopback(host):
        click.echo(f"Warning: serving on {host}, not a loopback address: anyone who can reach "
                   "this machine can read your drafts", err=True)
    server = PreviewServer(root, host, port, log=lambda msg: click.echo(msg, err=True))
    # Installed before the first build, so a SIGTERM during startup still stops cleanly.
    stop = threading.Event()

    def interrupted(_signum: int, _frame: object) -> None:
        # Remembered as well as raised: a KeyboardInterrupt that lands in code that swallows
        # exceptions (a finalizer during the first build, say) must still stop the server.
        # Once stopping has begun, another Ctrl-C must not cut the shutdown short.
        if stop.is_set():
            return
        stop.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    previous_int = signal.signal(signal.SIGINT, interrupted)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = quiet_interrupts(stop, previous_hook)
    try:
        _start_and_serve(server, issue, open_browser, root, stop)
    except KeyboardInterrupt:  # Ctrl-C before serving began (during the first build)
        server.stop()
        click.echo("Stopped.", err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        sys.unraisablehook = previous_hook


def quiet_interrupts(stop: threading.Event, hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """A sys.unraisablehook that says nothing of the Ctrl-C that ``interrupted`` raised where it
    can't propagate (a weakref callback of the import system, a finalizer): Python would print
    "Exception ignored in ..." and a traceback, though ``stop`` already stops the server."""

    def unraisable(args: Any) -> None:
        if isinstance(args.exc_value, KeyboardInterrupt) and stop.is_set():
            return
        hook(args)

    return unraisable


def _start_and_serve(server: PreviewServer, issue: str | None, open_browser: bool | None, root: Path,
                     stop: threading.Event) -> None:
    host, port = server.host, server.port
    url = ""

    def announce() -> None:
        nonlocal url
        # From here on a process that runs for hours: Python's own collection thresholds again.
        # The console script raised them to start faster (newsletter/cli.py); kept, each
        # rebuild's reference cycles would wait a dozen rebuilds to be freed.
        gc.set_threshold(*LONG_RUNNING_GC)
        url = server.url + "/"
        if issue is not None:
            slug = Path(issue).stem
            if server.state.entry(slug) is None:  # removed during the first build
                raise _no_such_issue(issue)
            url += "issue/" + quote(slug)
        click.echo(f"Previewing {root} at {url}  (Ctrl-C to stop)", err=True)

    try:
        server.start(before_serving=announce)
    except OSError as e:
        server.stop()
        if e.errno == errno.EADDRINUSE:
            raise NewsletterError(f"port {port} is in use (try --port {port + 1})") from None
        raise NewsletterError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    except NewsletterError:
        server.stop()
        raise
    if open_browser:
        webbrowser.open(url)
    _serve_until_stopped(server, stop)


def _serve_until_stopped(server: PreviewServer, stop: threading.Event) -> None:
    """Wait for Ctrl-C (KeyboardInterrupt) or SIGTERM (``stop``), then shut everything down."""
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("Stopped.", err=True)
