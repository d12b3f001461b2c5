from __future__ import annotations

from typing import TYPE_CHECKING

from newsletter.render.inline import inline_css

if TYPE_CHECKING:
    from newsletter.steps import StepInput


def inline_css_step(html: str, data: "StepInput") -> str:
    """Inline the theme's email.css into style attributes. With the text as tokens (the
    preview), the result is kept for the next render of the same HTML."""
    if data.texts is not None:
        return inline_css(html, data.inline_css)
    return inline_css.__wrapped__(html, data.inline_css)
