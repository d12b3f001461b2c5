"""The command line as a user meets it: --version, --help everywhere, usage errors, workspaces."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from newsletter import __version__
from newsletter.cli import cli

COMMANDS = sorted(cli.commands)


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), prog_name="newsletter")
    assert "Traceback" not in result.output
    return result


def test_version() -> None:
    result = run("--version")
    assert (result.exit_code, result.stdout) == (0, f"newsletter, version {__version__}\n")


def test_top_level_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        assert f"  {name} " in result.stdout
        assert command.help, f"{name} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_on_every_command(name: str, flag: str) -> None:
    result = run(name, flag)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: newsletter {name} [OPTIONS]")
    for param in cli.commands[name].params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.opts[-1] in result.stdout, f"{name} --help doesn't mention {param.opts[-1]}"
            assert param.help, f"{name} {param.opts[-1]} has no help text"


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["build", "--no-such-option"],
        ["new"],  # HEADLINE is required
        ["new", "Headline", "--date", "2026-02-30"],
        ["new", "Headline", "--date", "June 2"],
        ["new", "   "],
        ["init", "a", "b"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(workspace: Path, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage: newsletter" in result.stderr
    assert result.stdout == ""


def test_bad_date_names_the_option() -> None:
    result = run("new", "Headline", "--date", "2026-02-30")
    assert result.stderr.endswith(
        "Error: Invalid value for '--date': '2026-02-30' is not a real date in the form YYYY-MM-DD, e.g. 2026-06-02\n"
    )


def test_build_finds_newsletter_yaml_from_a_subfolder(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = workspace / "issues" / "drafts"
    sub.mkdir()
    monkeypatch.chdir(sub)
    result = run("build")
    assert result.exit_code == 0, result.output
    # Paths outside the current folder are printed in full.
    assert result.stdout.startswith(str(workspace.resolve() / "out" / "2026-06-02-tides" / "email.html") + "  ")
    assert (workspace / "out" / "2026-06-02-tides" / "email.txt").is_file()


def test_workspace_option(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for flag in ("-C", "--workspace"):
        result = run("build", flag, str(workspace))
        assert result.exit_code == 0, result.output
    assert (workspace / "out" / "2026-06-02-tides" / "email.html").is_file()
    assert not (elsewhere / "out").exists()


def test_no_workspace_is_an_error_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"Error: no newsletter.yaml found in this folder or any parent: {tmp_path.resolve()} "
                             "(run 'newsletter init' to create a workspace, or pass -C DIR)\n")
    result = run("build", "-C", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "no newsletter.yaml in this folder" in result.stderr


def test_build_prints_one_line_per_issue(workspace: Path) -> None:
    (workspace / "issues" / "2026-06-09-second.md").write_text(
        "---\nsubject: Two\ndate: 2026-06-09\n---\n# Second\n\nWords here.\n", encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if "/email.html" in line]
    assert [line.split()[0] for line in lines] == [
        "out/2026-06-02-tides/email.html", "out/2026-06-09-second/email.html"]
    for line in lines:
        assert " KB of 102 KB " in line and " words " in line and line.endswith(" min read")


def test_emit_mjml(workspace: Path) -> None:
    assert run("build", "--emit-mjml").exit_code == 0
    mjml = (workspace / "out" / "2026-06-02-tides" / "email.mjml").read_text(encoding="utf-8")
    assert mjml.lstrip().startswith("<mjml")
    # A build without the option leaves no email.mjml behind that no longer matches email.html.
    assert run("build").exit_code == 0
    assert not (workspace / "out" / "2026-06-02-tides" / "email.mjml").exists()
    assert (workspace / "out" / "2026-06-02-tides" / "email.html").is_file()


def test_preview_style_write_removes_an_old_mjml(workspace: Path) -> None:
    """write_issue (the preview's and send-test's write) does as a build does."""
    from newsletter.build import render_issue, write_issue
    from newsletter.workspace import open_workspace

    assert run("build", "--emit-mjml").exit_code == 0
    ws = open_workspace(workspace)
    write_issue(ws, render_issue(ws, workspace / "issues" / "2026-06-02-tides.md"))
    assert not (workspace / "out" / "2026-06-02-tides" / "email.mjml").exists()


def test_two_files_with_one_name_are_refused(workspace: Path) -> None:
    """issues/x.md and drafts/x.md would both build into out/x/: the second overwriting the first."""
    (workspace / "drafts").mkdir()
    draft = workspace / "drafts" / "2026-06-02-tides.md"
    draft.write_text((workspace / "issues" / "2026-06-02-tides.md").read_text(encoding="utf-8"), encoding="utf-8")
    result = run("build", "issues/2026-06-02-tides.md", "drafts/2026-06-02-tides.md")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("Error: drafts/2026-06-02-tides.md: has the same file name as issues/2026-06-02-tides.md:"
                             " both would build into out/2026-06-02-tides/ (rename one of them)\n")
    assert not (workspace / "out").exists()
    # One file named twice is still one issue.
    assert run("build", "issues/2026-06-02-tides.md", "./issues/2026-06-02-tides.md").exit_code == 0


def test_python_dash_m(workspace: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-m", "newsletter", "--version"], capture_output=True, text=True, check=False,
                         env=env, timeout=60)
    assert (out.returncode, out.stdout, out.stderr) == (0, f"newsletter, version {__version__}\n", "")
    out = subprocess.run([sys.executable, "-m", "newsletter", "build"], capture_output=True, text=True, check=False,
                         env=env, cwd=workspace, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("out/2026-06-02-tides/email.html")


def test_workspace_option_naming_a_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("build", "-C", "nowhere")
    assert (result.exit_code, result.stderr) == (
        1, "Error: nowhere: no such folder (-C names an existing workspace folder)\n")


def test_an_issue_path_with_workspace_option_is_found_in_the_workspace(workspace: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """'newsletter build -C ws issues/x.md' from elsewhere said 'file not found' (paths were only
    read from the current folder)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("build", "-C", str(workspace), "issues/2026-06-02-tides.md")
    assert result.exit_code == 0, result.output
    assert (workspace / "out" / "2026-06-02-tides" / "email.html").is_file()
    result = run("check", "-C", str(workspace), "issues/2026-06-02-tides.md")
    assert result.exit_code == 0, result.output
    missing = run("build", "-C", str(workspace), "issues/nope.md")
    assert (missing.exit_code, missing.stderr) == (1, "Error: issues/nope.md: file not found\n")


def test_workspace_option_naming_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error like a missing folder's (exit 1, one line), not click's usage error (exit 2)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    for command in ("build", "new", "send-test"):
        args = [command, "-C", "afile"] + (["Headline"] if command == "new" else ["x.md"] if command == "send-test" else [])
        result = run(*args)
        assert (result.exit_code, result.stderr) == (
            1, "Error: afile: is a file, not a folder (-C names an existing workspace folder)\n"), command
    result = run("check", "-C", "afile")  # check reports it as a finding, as it does every error
    assert result.exit_code == 1
    assert result.stdout.startswith("afile: error: is a file, not a folder [settings]")


class _Ended(Exception):
    pass


@pytest.mark.parametrize("argv, code", [
    (["newsletter", "--version"], 0),
    (["newsletter", "no-such-command"], 2),  # click's usage error
])
def test_the_console_script_ends_the_process_with_the_commands_code(monkeypatch: pytest.MonkeyPatch,
                                                                     argv: list[str], code: int) -> None:
    """main() skips the interpreter's teardown (65-108 ms after a build) but still runs the exit
    handlers and flushes the streams, and exits with the code the command chose."""
    import atexit
    import os
    import sys

    from newsletter.cli import main

    calls: list[str] = []
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: calls.append("exit handlers"))

    def end(status: int) -> None:
        calls.append(f"exit {status}")
        raise _Ended

    monkeypatch.setattr(os, "_exit", end)
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(_Ended):
        main()
    assert calls == ["exit handlers", f"exit {code}"]


def test_python_m_newsletter_exits_with_the_commands_code(tmp_path: Path) -> None:
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "newsletter", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("newsletter, version")
    bad = subprocess.run([sys.executable, "-m", "newsletter", "build"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: ")  # no workspace here: said, and flushed


# --- standard output that is closed, full or read by someone who stops -------------------------

def _newsletter(*args: str) -> list[str]:
    return [sys.executable, "-m", "newsletter", *args]


def _env() -> dict[str, str]:
    repo = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_a_reader_that_stops_reading_does_not_stop_the_build(workspace: Path) -> None:
    # `newsletter build | head -1` (here: a reader gone before the first line): the archive
    # index was skipped, exit 1, no message. Every output comes first; then a quiet exit.
    assert run("build").exit_code == 0
    index = workspace / "out" / "archive" / "index.html"
    before = index.read_text(encoding="utf-8")
    settings = workspace / "newsletter.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "A newsletter used by the tests.", "A tagline changed since."), encoding="utf-8")
    proc = subprocess.Popen(_newsletter("build", "-j1"), cwd=workspace, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == ""
    after = index.read_text(encoding="utf-8")
    assert after != before and "A tagline changed since." in after
    assert "A tagline changed since." in (workspace / "out" / "archive" / "feed.xml").read_text(encoding="utf-8")


def test_a_closed_stdout_is_no_traceback(workspace: Path) -> None:
    proc = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *_newsletter("build", "-j1")], cwd=workspace,
                          env=_env(), capture_output=False, stderr=subprocess.PIPE, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0
    assert (workspace / "out" / "2026-06-02-tides" / "email.html").is_file()


def test_a_full_stdout_is_a_clear_error(workspace: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(_newsletter("build", "-j1"), cwd=workspace, env=_env(), stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr == "Error: cannot write the report to standard output: No space left on device\n"
    assert (workspace / "out" / "archive" / "index.html").is_file()  # the build itself went through


@pytest.mark.parametrize("command", [("check",), ("new", "Printed into a full disk"), ("--help",)])
def test_every_command_says_when_stdout_is_full(workspace: Path, command: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(_newsletter(*command), cwd=workspace, env=_env(), stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert proc.stderr.endswith("Error: cannot write to standard output: No space left on device\n"), proc.stderr


@pytest.mark.parametrize("blocker", ["cache-folder", "out-file"])
def test_a_cache_that_cannot_be_saved_still_reports_every_issue(workspace: Path, blocker: str) -> None:
    if blocker == "cache-folder":
        (workspace / "out" / ".cache.json").mkdir(parents=True)
    else:
        (workspace / "out").write_text("not a folder")
    result = run("build", "-j1")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    if blocker == "cache-folder":
        assert result.stdout.startswith("out/2026-06-02-tides/email.html  ")
        assert "  check: " in result.stdout
        assert errors == ["Error: out/.cache.json: cannot write output: a folder is in the way (move it away)"]
    else:  # the issue can't be written either: its error first, then the cache's
        assert len(errors) == 2 and errors[0].startswith("Error: out/2026-06-02-tides/")
        assert errors[1].startswith("Error: out/.cache.json: cannot write output: out is a file")


def test_build_help_names_every_file_it_writes() -> None:
    assert "email.html, email.txt and email.eml" in " ".join(run("build", "--help").stdout.split())


def test_the_console_script_collects_garbage_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command allocates its whole rendering stack at start; Python's default threshold (700)
    ran dozens of collections during a one-issue build. Cycles must still be collected."""
    import gc
    import os
    import sys

    from newsletter.cli import GC_THRESHOLD, main

    seen: list[tuple[int, ...]] = []

    def end(status: int) -> None:
        seen.append(gc.get_threshold())
        raise _Ended

    before = gc.get_threshold()
    monkeypatch.setattr(os, "_exit", end)
    monkeypatch.setattr(sys, "argv", ["newsletter", "--version"])
    try:
        with pytest.raises(_Ended):
            main()
    finally:
        gc.set_threshold(*before)
    assert seen and seen[0][0] == GC_THRESHOLD >= 10_000
    assert gc.isenabled()
