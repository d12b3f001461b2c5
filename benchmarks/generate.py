"""Generated workspaces for the benchmarks and the cache/parallel tests.

Every issue is built from a seeded random generator, so the same arguments always give
the same bytes. The prose is filler made from a small word list: it exercises the
pipeline (paragraphs, links, emphasis, sections, lists) without being anyone's writing.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

SETTINGS = """\
name: Harbour Notes
tagline: A generated newsletter for benchmarks.
language: en
sender:
  name: Harbour Notes
  email: desk@harbour.example
web_url: https://harbour.example/issues
signup_url: https://harbour.example/subscribe
postal_address: 1 Quay Road, Porttown
unsubscribe_url: https://harbour.example/unsubscribe
preferences_url: https://harbour.example/preferences
"""

_WORDS = (
    "harbour tide ferry council budget river bridge market grain rail port vote season "
    "report office planning water storm coast village engineer minister county district "
    "survey harvest school library museum route timber quarry lantern signal measure "
    "crossing channel weather schedule freight ledger archive inquiry treaty canal"
).split()
_SECTIONS = ("The News", "Know More", "Step Back", "Ana's View", "Room for Disagreement",
             "The View From the Coast", "Notable")


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    if n > 8 and rng.random() < 0.3:
        i = rng.randrange(2, n - 3)
        words[i] = f"[{words[i]} {words[i + 1]}](https://harbour.example/{words[i]}/{rng.randrange(10**6)})"
        del words[i + 1]
    elif n > 6 and rng.random() < 0.2:
        i = rng.randrange(1, n - 1)
        words[i] = f"*{words[i]}*"
    return " ".join(words) + "."


def _paragraph(rng: random.Random, words: int) -> tuple[str, int]:
    out, count = [], 0
    while count < words:
        n = rng.randrange(8, 20)
        out.append(_sentence(rng, n))
        count += n
    return " ".join(out), count


def issue_text(seed: int, words: int = 2000, stories: int = 4) -> str:
    """One issue of roughly ``words`` words: an intro and ``stories`` story cards with sections."""
    rng = random.Random(seed)
    date = dt.date(2024, 1, 1) + dt.timedelta(days=seed)
    lines = ["---", f'subject: "Issue {seed}: the {rng.choice(_WORDS)} {rng.choice(_WORDS)}"',
             f"date: {date.isoformat()}", f"number: {seed + 1}", "---"]
    budget = words
    intro, n = _paragraph(rng, 60)
    lines += [intro, ""]
    budget -= n
    per_story = max(budget // stories, 40)
    for s in range(stories):
        lines += [f"# Story {s + 1}: the {rng.choice(_WORDS)} {rng.choice(_WORDS)}", ""]
        sections = ["The News"] + rng.sample(_SECTIONS[1:-1], 2)
        per_section = max(per_story // len(sections), 20)
        for title in sections:
            lines += [f"## {title}", ""]
            left = per_section
            while left > 0:
                para, n = _paragraph(rng, min(left, rng.randrange(50, 90)))
                lines += [para, ""]
                left -= n
        if rng.random() < 0.5:
            lines += ["## Notable", ""]
            for _ in range(2):
                lines += [f"- [{rng.choice(_WORDS)} {rng.choice(_WORDS)}](https://harbour.example/n/{rng.randrange(10**6)}): "
                          + _sentence(rng, 8)]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def issue_name(seed: int) -> str:
    date = dt.date(2024, 1, 1) + dt.timedelta(days=seed)
    return f"{date.isoformat()}-issue-{seed:04d}.md"


def make_workspace(root: Path, issues: int, words: int = 2000, stories: int = 4) -> Path:
    """A workspace at ``root`` with ``issues`` generated issue files; returns ``root``."""
    (root / "issues").mkdir(parents=True, exist_ok=True)
    (root / "newsletter.yaml").write_text(SETTINGS, encoding="utf-8")
    for i in range(issues):
        (root / "issues" / issue_name(i)).write_text(issue_text(i, words, stories), encoding="utf-8")
    return root
