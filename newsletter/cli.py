"""The command line: options and help only. Each command imports its module lazily
and makes one call, so `newsletter --help` stays fast."""

from __future__ import annotations

import atexit
import errno
import gc
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from newsletter import __version__

#: The youngest generation is collected after this many new objects, not Python's 700. A
#: command builds its whole stack (markdown-it, Jinja, premailer, the checks) as it starts:
#: with the default, a cold one-issue build ran 66 collections, 11 ms of its 270. Cycles are
#: still collected, in fewer and larger passes. The build's workers set their own
#: (newsletter/parallel.py), and the preview restores Python's once it serves.
GC_THRESHOLD = 50_000

WORKSPACE_HELP = "Workspace folder (default: the nearest folder with newsletter.yaml)."


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="newsletter")
def cli() -> None:
    """Turn Markdown issues into responsive, inlined, email-service-ready newsletters."""


F = TypeVar("F", bound=Callable[..., Any])


def workspace_option(f: F) -> F:
    # Any path: open_workspace says what is wrong with it, as an error (exit 1) like every other.
    return click.option("-C", "--workspace", "workspace", type=click.Path(path_type=Path),
                        default=None, help=WORKSPACE_HELP)(f)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=".")
def init(directory: Path) -> None:
    """Create a workspace in DIRECTORY: a commented newsletter.yaml and issues/ with one example."""
    from newsletter.commands.init import init_workspace

    init_workspace(directory)


@cli.command()
@click.argument("headline")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD", help="Issue date (default: today).")
@workspace_option
def new(headline: str, date: str | None, workspace: Path | None) -> None:
    """Create issues/<date>-<slug>.md from a skeleton with every section kind as a hint."""
    from newsletter.commands.new import new_issue

    new_issue(headline, date, workspace)


@cli.command()
@click.argument("issues", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--emit-mjml", is_flag=True, help="Also write out/<slug>/email.mjml (after Jinja, before MRML).")
@click.option("--force", is_flag=True, help="Rebuild every issue, ignoring the build cache (out/.cache.json).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Build N issues at once in separate processes (default: one per core).")
@workspace_option
@click.option("--strict", is_flag=True, help="Fail (exit 1) when the quality gate finds a warning or an error.")
def build(issues: tuple[Path, ...], emit_mjml: bool, force: bool, jobs: int | None, workspace: Path | None,
          strict: bool) -> None:
    """Build ISSUES (default: every issue in issues/) into out/<slug>/email.html, email.txt and email.eml.

    Issues whose inputs haven't changed since the last build are skipped."""
    from newsletter.commands.build import run_build

    run_build(list(issues), workspace=workspace, emit_mjml=emit_mjml, force=force, jobs=jobs, strict=strict)


@cli.command()
@click.argument("issues", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report as lines of text or as one JSON document (see docs/check.md).")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on errors.")
@click.option("--spam", is_flag=True, help="Also score the message with SpamAssassin (spamassassin -L -t).")
@click.option("--online", is_flag=True, help="Also fetch every link and image (off by default: offline-first).")
@click.option("-v", "--verbose", is_flag=True, help="Also list info findings in the text report.")
@workspace_option
def check(issues: tuple[Path, ...], fmt: str, strict: bool, spam: bool, online: bool, verbose: bool,
          workspace: Path | None) -> None:
    """Run the quality gate on ISSUES (default: every issue): size, structure, links, accessibility,
    inbox, compatibility, plain text, deliverability. Exit 1 on an error (or a warning with --strict)."""
    from newsletter.commands.check import run_check

    run_check(list(issues), workspace=workspace, fmt=fmt, strict=strict, spam=spam, online=online, verbose=verbose)


@cli.command()
@click.argument("issue", required=False, default=None)
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port to listen on (default: 8025).")
@click.option("--host", default=None, help="Address to bind (default: 127.0.0.1; anything else warns).")
@click.option("--open/--no-open", "open_browser", default=None,
              help="Open the page (ISSUE's, or the index) in the default browser.")
@workspace_option
def preview(issue: str | None, port: int | None, host: str | None, open_browser: bool | None,
            workspace: Path | None) -> None:
    """Serve a live-reloading preview of the issues (or ISSUE) until Ctrl-C."""
    from newsletter.commands.preview import run_preview

    run_preview(issue, host=host, port=port, open_browser=open_browser, workspace=workspace)


@cli.command("send-test")
@click.argument("issue")
@click.option("--to", "to", default=None, metavar="ADDR[,ADDR]", help="Recipients (default: smtp.to).")
@click.option("--smtp", "smtp", default=None, metavar="HOST:PORT", help="SMTP server (default: smtp.host and smtp.port).")
@click.option("--starttls", is_flag=True, help="Upgrade to TLS with STARTTLS (port 587).")
@click.option("--ssl", is_flag=True, help="TLS from the start (port 465).")
@click.option("--user", "user", default=None, help="Login user; the password comes from NEWSLETTER_SMTP_PASSWORD or a prompt.")
@click.option("--cafile", "cafile", default=None, type=click.Path(dir_okay=False),
              help="Trust this CA certificate (PEM) for the server's TLS certificate.")
@workspace_option
def send_test(issue: str, to: str | None, smtp: str | None, starttls: bool, ssl: bool, user: str | None,
              cafile: str | None, workspace: Path | None) -> None:
    """Build ISSUE and send it to yourself: [TEST] subject, merge tags as sample values."""
    if starttls and ssl:
        raise click.UsageError("--starttls and --ssl are two ways to use TLS: pass one of them")
    security = "starttls" if starttls else "ssl" if ssl else None
    from newsletter.commands.send_test import run_send_test

    run_send_test(issue, to=to, smtp=smtp, security=security, user=user, cafile=cafile, workspace=workspace)


def main() -> None:
    """The console script (and ``python -m newsletter``): run the command, then end the process."""
    gc.set_threshold(GC_THRESHOLD)
    try:
        cli(prog_name="newsletter")
    except SystemExit as e:
        _end_process(e.code)
    except OSError as e:  # standard output went away under a command (a full disk behind '> file')
        if not _printing(e):
            raise
        from newsletter.commands.build import silence_stdout

        silence_stdout()
        if e.errno != errno.EPIPE:  # a closed pipe ('| head') ends quietly, as command-line tools do
            sys.stderr.write(f"Error: cannot write to standard output: {e.strerror or type(e).__name__}\n")
        _end_process(1)
    _end_process(0)


def _printing(error: OSError) -> bool:
    """True when ``error`` came from printing (click.echo): every command prints through it,
    and writes its files through newsletter/output.py, whose errors say which file."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == "echo" and tb.tb_frame.f_globals.get("__name__") == "click.utils"


def _end_process(code: object) -> None:
    """Exit with ``code`` (as sys.exit would) without the interpreter's teardown.

    At exit the interpreter's garbage collector walks, and then frees one by one, every object
    still alive: the whole rendering stack after a build, 65-108 ms of a 320 ms one-issue build.
    By now every output is written and closed; the exit handlers still run (the CSS memo's
    save, logging's flush) and the standard streams are flushed. It also keeps the exit code
    the command chose: after a Ctrl-C that the preview caught and handled, the interpreter could
    still end the process as killed by SIGINT."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (>&-): nothing was written to it
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to say
            pass
    os._exit(status)
