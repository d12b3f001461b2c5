from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.steps import StepInput


def restore_tags(html: str, data: "StepInput") -> str:
    """Swap every tag token back for its email-service tag, byte-exact."""
    data.before_tags = html
    return data.vault.restore(html)
