"""--spam: score the message with SpamAssassin, offline (``spamassassin -L -t``).

The message is the issue's .eml (text and HTML as multipart/alternative) as the build made it;
when there is none, one is composed here the same way. It is addressed to a sample reader, as
the email service sends it, not to the file's "undisclosed-recipients". A score over 5 is an
error, over 1 a warning; every rule hit is reported, and MPART_ALT_DIFF (the two parts
differ) is a warning.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Iterator

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext

ERROR_SCORE, WARNING_SCORE = 5.0, 1.0
TIMEOUT = 120
_SCORE = re.compile(r"Content analysis details:\s+\((-?\d+(?:\.\d+)?) points?, (-?\d+(?:\.\d+)?) required\)")
_HIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")
ALWAYS_WARN = {"MPART_ALT_DIFF", "MPART_ALT_DIFF_COUNT", "HTML_MESSAGE_TOO_BIG"}


#: The .eml's To, which the email service replaces with each reader's address.
_UNDISCLOSED = b"\r\nTo: undisclosed-recipients:;\r\n"
#: Who the scored copy is addressed to, as a reader's copy is: SpamAssassin counts a message to
#: undisclosed recipients that mentions sums of money as spam (UNDISC_MONEY), and news does.
SAMPLE_TO = b"\r\nTo: reader@example.com\r\n"


def message_bytes(ctx: CheckContext) -> bytes:
    """The issue's message file as the build made it (or composed the same way), addressed
    to a reader as the email service sends it."""
    message = ctx.result.eml
    if not message:
        from newsletter.deliver.eml import build_eml

        message = build_eml(html=ctx.html, text=ctx.text, issue=ctx.issue, settings=ctx.settings,
                            unsubscribe_url=ctx.links.unsubscribe)
    head, sep, body = message.partition(b"\r\n\r\n")
    head = (b"\r\n" + head + b"\r\n").replace(_UNDISCLOSED, SAMPLE_TO, 1)[2:-2]
    return head + sep + body


def score(message: bytes, executable: str = "spamassassin") -> tuple[float, float, list[tuple[float, str, str]]]:
    """(score, required, [(points, rule, description)]) from a local-only SpamAssassin run."""
    out = subprocess.run([executable, "-L", "-t"], input=message, capture_output=True, timeout=TIMEOUT)
    report = out.stdout.decode("utf-8", "replace")
    m = _SCORE.search(report)
    if not m:
        raise RuntimeError(f"it gave no score ({_why(out)})")
    hits: list[tuple[float, str, str]] = []
    table = report[m.end():].split("\n")
    started = False
    for line in table:
        if line.startswith(" ---- ") or line.startswith("---- "):
            started = True
            continue
        if not started:
            continue
        hit = _HIT.match(line)
        if hit:
            hits.append((float(hit.group(1)), hit.group(2), hit.group(3).strip()))
        elif line.startswith(" " * 20) and hits:
            p, r, d = hits[-1]
            hits[-1] = (p, r, f"{d} {line.strip()}")
        elif not line.strip():
            break
    return float(m.group(1)), float(m.group(2)), hits


def _why(out: subprocess.CompletedProcess[bytes]) -> str:
    """What a run without a score said: its exit status and the first line it wrote (its
    error output first, where a failing run says why)."""
    said = ""
    for stream in (out.stderr, out.stdout):
        said = next((line.strip() for line in stream.decode("utf-8", "replace").splitlines() if line.strip()), "")
        if said:
            break
    status = f"exit status {out.returncode}"
    return f"{status}: {said[:200]}" if said else f"{status}, no output"


def check(ctx: CheckContext, executable: str = "spamassassin") -> Iterator[Finding]:
    path = ctx.issue.path
    if shutil.which(executable) is None:
        yield Finding("spam", "error", "SpamAssassin is not installed, so --spam cannot score the message", path, 0,
                      "install it (Debian/Ubuntu: apt-get install spamassassin) or run check without --spam")
        return
    try:
        total, required, hits = score(message_bytes(ctx), executable)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        yield Finding("spam", "error", f"SpamAssassin failed: {e}", path, 0, "run 'spamassassin -L -t < email.eml'")
        return
    severity = "error" if total > ERROR_SCORE else "warning" if total > WARNING_SCORE else "info"
    rules = ", ".join(r for _, r, _ in hits) or "none"
    yield Finding("spam", severity, f"SpamAssassin score {total:.1f} (spam at {required:.1f}; "
                  f"this gate: warning over {WARNING_SCORE:g}, error over {ERROR_SCORE:g}); rules hit: {rules}",
                  path, 0, "see the rule findings" if hits else "")
    for points, rule, description in hits:
        level = "warning" if rule in ALWAYS_WARN or points >= 1.0 else "info"
        yield Finding("spam", level, f"SpamAssassin rule {rule} ({points:+.1f}): {description}", path, 0,
                      "MPART_ALT_DIFF: the text part must carry the same words as the HTML"
                      if rule.startswith("MPART_ALT_DIFF") else "")
