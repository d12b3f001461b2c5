"""A process that has already imported the pipeline and forks one `newsletter build` per request
(test_kill.py), so each of the 50 kill rounds doesn't pay the interpreter's start-up and imports.

Protocol, one line each way: the test writes "<workspace>\\t<stderr file>\\n"; this process forks
a child that starts its own session (so its process group, pool workers included, can be
killed as one), redirects stdout to /dev/null and stderr to the file, and runs the real CLI
entry point as `newsletter build` in the workspace. Once the child's session exists it writes
"<pid>\\n"; when the child has ended it writes "<exit code>\\n" (negative: killed by that signal).
A traceback from the CLI lands in the stderr file, as it would from `python -m newsletter build`.
"""

from __future__ import annotations

import os
import sys
import traceback

# What `newsletter build` imports on its way to the first output.
import mjml  # noqa: F401

import newsletter.build  # noqa: F401
import newsletter.cli
import newsletter.commands.build  # noqa: F401
import newsletter.parallel  # noqa: F401
import newsletter.render.inline  # noqa: F401
import newsletter.render.jinja  # noqa: F401


def _child(root: str, stderr_path: str, ready: int) -> None:
    code = 1
    try:
        os.setsid()
        os.write(ready, b"x")
        os.close(ready)
        os.chdir(root)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        sys.argv = ["newsletter", "build"]
        try:
            newsletter.cli.main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported like the interpreter would
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> None:
    for line in sys.stdin:
        root, stderr_path = line.rstrip("\n").split("\t")
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            _child(root, stderr_path, ready_w)
        os.close(ready_w)
        os.read(ready_r, 1)  # the child's process group exists: it can be killed as a group
        os.close(ready_r)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
