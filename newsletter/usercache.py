"""The user cache folder: what earlier processes worked out and the next can reuse (compiled
templates, premailer's parsed CSS, YAML already read). Nothing in it changes an output; a
missing or damaged file there only makes a build slower."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path | None:
    """$NEWSLETTER_CACHE_DIR (empty: no cache), else $XDG_CACHE_HOME/newsletter or ~/.cache/newsletter."""
    base = os.environ.get("NEWSLETTER_CACHE_DIR")
    if base == "":
        return None
    if base is None:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                            "newsletter")
    return Path(base)
