from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.steps import StepInput


def restore_text(html: str, data: "StepInput") -> str:
    """Swap every text token back for its text; TokensLost when one didn't come through once."""
    if data.texts is None:
        return html
    data.before_text = html
    return data.texts.restore(html)
