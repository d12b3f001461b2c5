"""Size: Gmail clips HTML over about 102 KB and drops <style> blocks over 16 KB or in <body>."""

from __future__ import annotations

from typing import Iterator

from newsletter.checks import Finding
from newsletter.checks.context import CheckContext
from newsletter.textbytes import utf8

KB = 1024
WARN_BYTES = 90 * KB
CLIP_BYTES = 102 * KB
STYLE_BYTES = 16 * KB


def check(ctx: CheckContext) -> Iterator[Finding]:
    size = len(utf8(ctx.html))
    if size > CLIP_BYTES:
        yield ctx.issue_finding("size", "error", f"HTML is {size / KB:.1f} KB: Gmail clips messages over 102 KB",
                                "shorten the issue or move stories to the web edition")
    elif size > WARN_BYTES:
        yield ctx.issue_finding("size", "warning", f"HTML is {size / KB:.1f} KB, over the 90 KB budget "
                                "(Gmail clips at 102 KB)", "shorten the issue")
    for style in ctx.doc.iter("style"):
        text = style.text or ""
        n = len(text.encode("utf-8"))
        first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")[:60]
        if n > STYLE_BYTES:
            yield ctx.finding("size", "error", f"a <style> block is {n / KB:.1f} KB: Gmail ignores blocks over 16 KB",
                              "keep media queries and dark-mode rules short; everything else is inlined",
                              template=first, el=style)
        if any(a.tag == "body" for a in style.iterancestors()):
            yield ctx.finding("size", "error", "<style> inside <body>: Gmail removes it",
                              "put CSS in responsive.css.j2 (it goes in <head>)",
                              template="<style", el=style)
