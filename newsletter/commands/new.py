"""`newsletter new "Headline" [--date YYYY-MM-DD]`: a new issue file from a skeleton.

The skeleton builds as it is: every section kind and block is there as a commented
hint (``<!-- ... -->``), which the reader drops before parsing, so no hint can reach
the email. Uncomment what the issue needs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import click

from newsletter.errors import NewsletterError, Problem, display_path
from newsletter.workspace import open_workspace

MAX_SLUG = 60


def new_issue(headline: str, date: str | None, workspace: Path | None) -> Path:
    """Create issues/<date>-<slug>.md; never overwrites. Returns the new file's path."""
    ctx = click.get_current_context(silent=True)
    headline = " ".join(headline.split())
    if not headline:
        raise click.BadParameter("the headline is empty", ctx=ctx, param_hint="'HEADLINE'")
    day = parse_date(date, ctx)
    ws = open_workspace(workspace)
    path = ws.issues_dir / f"{day.isoformat()}-{slugify(headline)}.md"
    if path.parent.exists() and not path.parent.is_dir():
        raise NewsletterError(Problem(str(path.parent), 0, "is a file, not a folder: issues go in the folder issues/",
                                      "move or rename that file"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as f:
            f.write(skeleton(headline, day))
    except FileExistsError:
        raise NewsletterError(Problem(str(path), 0, "already exists; 'newsletter new' never overwrites a file",
                                      "edit that file, or pick another headline or --date")) from None
    except OSError as e:
        raise NewsletterError(Problem(str(path), 0, f"cannot create the issue file: {e.strerror}")) from None
    click.echo(f"Created {display_path(path)}")
    return path


def parse_date(value: str | None, ctx: click.Context | None = None) -> dt.date:
    """--date as a real calendar date (today when not given); anything else is a usage error."""
    if value is None:
        return dt.date.today()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a real date in the form YYYY-MM-DD, e.g. 2026-06-02",
                                 ctx=ctx, param_hint="'--date'") from None


#: Letters without an accent to split off, as they are usually written in ASCII.
_LETTERS = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                          "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th",
                          "ı": "i", "ŋ": "ng", "Ŋ": "NG"})


def slugify(headline: str) -> str:
    """Lower-case ASCII words joined by hyphens, cut at a word boundary; 'issue' when nothing is left."""
    # NFKD splits accents off (é -> e); letters it can't split would be dropped (Straße -> strae).
    ascii_text = unicodedata.normalize("NFKD", headline.translate(_LETTERS)).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_SLUG:
            break
        slug = candidate
    return slug or (words[0][:MAX_SLUG] if words else "issue")


def skeleton(headline: str, day: dt.date) -> str:
    """The new issue's text: front matter, the headline, and every section kind and block as hints."""
    subject = json.dumps(headline, ensure_ascii=False)  # JSON strings are valid YAML scalars
    return f"""\
---
subject: {subject}
date: {day.isoformat()}
# preheader: "Inbox preview text (default: the first sentence of the first story)"
# number: 1
# updated: {day.isoformat()}T09:00:00-04:00
# author: {{name: "Your Name", email: "you@example.com"}}
---
<!--
The intro (optional): text here, before the first "# " heading, is the editor's
letter at the top of the email. Write it here or as 'intro: |' in the front matter,
not both. Everything between these comment marks is left out of the email:
remove the marks around a hint to use it.
-->

# {_heading_text(headline)}

<!--
The lede: one or two sentences right under the headline, drawn in bold.
-->

<!--
## The News

What happened, plainly, in a short paragraph or two.
-->

<!--
## The Scoop

What only we know, and how we know it.
-->

<!--
## Know More

The context a reader needs. Subheads are allowed:

### Why it matters

A paragraph under a subhead.
-->

<!--
## Step Back

The wider picture: the trend this story belongs to.
-->

<!--
## Reporter's View

The reporter's own analysis (use their name: "## Ana's View").
-->

<!--
## Room for Disagreement

The strongest case against the view above, with a link to it.
-->

<!--
## The View From Lisbon

How the story looks from another place (name the place).
-->

<!--
## Notable

- [A piece worth reading](https://example.com/one), and why in a few words.
- [Another one](https://example.com/two).
-->

<!--
An image: alt text is required; the title is the caption; credit is an attribute.

![What the picture shows](https://example.com/photo.jpg "Caption under the image"){{credit="Photographer/Agency"}}
-->

<!--
Blocks, drawn outside the story cards. Known names: sponsor, signup, sitrep, quote.

::: sponsor
Presented by a sponsor: one or two sentences and [a link](https://example.com).
:::

::: signup
Forwarded this email? [Sign up here](https://example.com/subscribe).
:::

::: sitrep
- **Place:** one short item per line.
- **Another place:** another item.
:::

::: quote
"A quote of the day, in quotation marks."
-- Who said it
:::
-->
"""


def _heading_text(headline: str) -> str:
    """The headline as the skeleton's '# ' line: on one line, and with '<!--' written as
    '&lt;!--', which reads the same but doesn't open a comment that would swallow the
    rest of the skeleton (and leave the story without a headline)."""
    return headline.replace("\n", " ").replace("<!--", "&lt;!--")
