"""CSS inlining with premailer, configured so it doesn't damage MRML's output.

premailer's defaults drop a lower-case doctype, strip ``!important`` from the media
queries that stack MJML's columns, overwrite ``<img width>``, try to download
stylesheets, and log a warning per ``mso-*`` property. See EMAIL-NOTES in the docs.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

_STYLE_OPEN = "<style"


def _quiet_cssutils() -> None:
    import cssutils

    cssutils.log.setLevel(logging.CRITICAL)
    cssutils.ser.prefs.useMinified()  # compact inline styles: fewer bytes under Gmail's clip


@lru_cache(maxsize=1)
def _premailer_class() -> Any:
    from premailer import Premailer

    _quiet_cssutils()
    return Premailer


def inline_css(html: str, css: str) -> str:
    """Inline ``css`` (the theme's email.css) into ``html``; MRML's own <style> blocks stay as they are.

    Our media queries and dark-mode rules live in MRML's <style> blocks (from mj-style),
    which premailer is told to ignore, so their ``!important`` survives.
    """
    Premailer = _premailer_class()
    marked = html.replace(_STYLE_OPEN, '<style data-premailer="ignore"')
    inliner = Premailer(
        marked,
        css_text=css,
        allow_network=False,
        keep_style_tags=True,
        strip_important=False,
        remove_classes=False,
        disable_basic_attributes=["width", "height", "align", "valign", "bgcolor"],
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
        exclude_pseudoclasses=True,
        include_star_selectors=False,
        disable_link_rewrites=True,
        align_floating_images=False,
        cache_css_parsing=True,
        method="html",
    )
    out = str(inliner.transform(pretty_print=False))
    return out.replace(' data-premailer="ignore"', "")
