from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.steps import StepInput

_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>\s*", re.IGNORECASE)


def restore_doctype(html: str, data: "StepInput | None" = None) -> str:
    """Exactly one ``<!doctype html>`` at the very start (premailer drops or rewrites it)."""
    return "<!doctype html>" + _DOCTYPE.sub("", html, count=1)
