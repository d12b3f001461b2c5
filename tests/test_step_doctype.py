"""Step 2 (newsletter/steps/doctype.py): exactly one lower-case HTML5 doctype, first."""

from __future__ import annotations

import pytest

from newsletter.steps.doctype import restore_doctype


@pytest.mark.parametrize("html", [
    "<html><body>x</body></html>",
    "<!DOCTYPE html><html><body>x</body></html>",
    "  \n<!doctype html>\n<html><body>x</body></html>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x.dtd"><html><body>x</body></html>',
])
def test_one_doctype_at_the_very_start(html: str) -> None:
    out = restore_doctype(html)
    assert out.startswith("<!doctype html><html>")
    assert out.lower().count("<!doctype") == 1
    assert out.endswith("<body>x</body></html>")


def test_a_doctype_written_as_content_is_left_alone() -> None:
    html = "<html><body><p>&lt;!doctype html&gt; is how a page starts</p></body></html>"
    assert restore_doctype(html) == "<!doctype html>" + html
