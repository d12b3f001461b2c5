from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.steps import StepInput


def restore_text(html: str, data: "StepInput") -> str:
    """Swap every text token back for its text; TokensLost when one didn't come through once."""
    return data.texts.restore(html) if data.texts is not None else html
