"""Step 3 (newsletter/steps/tags.py): every vault token goes back to its tag, byte-exact."""

from __future__ import annotations

from newsletter.render.tags import TagVault
from newsletter.steps import STEPS, StepInput
from newsletter.steps.tags import restore_tags


def test_tokens_become_their_tags_byte_exact() -> None:
    vault = TagVault()
    tags = ["*|FNAME|*", "{{{unsubscribe}}}", "<%asm_group_unsubscribe_raw_url%>", "%recipient.first_name%"]
    html = "".join(f'<a href="{vault.token(t)}">{vault.token(t)}</a>' for t in tags)
    out = restore_tags(html, StepInput(inline_css="", vault=vault))
    assert out == "".join(f'<a href="{t}">{t}</a>' for t in tags)


def test_text_that_only_looks_like_a_token_is_untouched() -> None:
    vault = TagVault(avoid="")
    vault.token("*|FNAME|*")
    unknown = f"{vault.prefix}0099T"  # no tag was stored at index 99
    html = f"<p>{unknown}</p>"
    assert restore_tags(html, StepInput(inline_css="", vault=vault)) == html


def test_tags_are_restored_last() -> None:
    """Any step after restore_tags could escape, URL-encode or inline the tags again."""
    assert [name for name, _ in STEPS][-1] == "restore_tags"
    assert [name for name, _ in STEPS].index("inline_css") < [name for name, _ in STEPS].index("restore_doctype")
