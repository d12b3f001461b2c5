"""CSS inlining with premailer, configured so it doesn't damage MRML's output.

premailer's defaults drop a lower-case doctype, strip ``!important`` from the media
queries that stack MJML's columns, overwrite ``<img width>``, try to download
stylesheets, and log a warning per ``mso-*`` property. See EMAIL-NOTES in the docs.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from typing import Any, Callable

_STYLE_OPEN = "<style"


@lru_cache(maxsize=1)
def _cssutils() -> Any:
    """cssutils, imported and configured on first use (with the disk memo, a build may never need it)."""
    import cssutils

    cssutils.log.setLevel(logging.CRITICAL)
    cssutils.ser.prefs.useMinified()  # compact inline styles: fewer bytes under Gmail's clip
    return cssutils


@lru_cache(maxsize=1)
def _premailer_class() -> Any:
    """premailer, set up once per process (see docs/performance.md).

    Two things make a plain Premailer slow when it's called once per issue:
    - its ``merge_styles`` parses every element's existing inline style with cssutils
      *with* validation, whatever ``disable_validation`` says; the first validation
      compiles cssutils' property profiles into regular expressions (about 35 ms in a
      fresh process). We route those calls through an unvalidated, memoised parser.
    - ``_parse_style_rules`` re-serialises the same stylesheet for every issue; the
      theme's CSS is the same across issues, so its parsed rules are memoised.
    """
    _defer_requests()
    import premailer.merge_style as merge_style
    import premailer.premailer as premailer_module
    from premailer import Premailer

    # Both modules hold their own reference to the function.
    merge_style.csstext_to_pairs = premailer_module.csstext_to_pairs = _csstext_to_pairs
    _merged.real = premailer_module.merge_styles  # type: ignore[attr-defined]
    premailer_module.merge_styles = _merge_styles
    _selectors.real = premailer_module._create_cssselector  # type: ignore[attr-defined]
    premailer_module._create_cssselector = _selectors
    _load_memo()

    class ReusablePremailer(Premailer):  # type: ignore[misc]
        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> tuple[list[Any], list[Any]]:
            key = (css_body, ruleset_index, self.strip_important, self.exclude_pseudoclasses,
                   self.include_star_selectors, self.disable_validation)
            hit = _RULES.get(key)
            if hit is None:
                from newsletter.render.cssmemo import MEMO

                disk_key = MEMO.rules_key(key)
                known = MEMO.rules.get(disk_key)
                if known is not None:  # parsed by an earlier process
                    hit = (list(known), [])
                else:
                    hit = super()._parse_style_rules(css_body, ruleset_index)
                    if not hit[1]:  # leftovers are cssutils objects: only plain rules go to disk
                        MEMO.remember_rules(disk_key, hit[0])
                if len(_RULES) >= _RULES_MAX:
                    _RULES.clear()
                _RULES[key] = hit
            rules, leftover = hit
            return list(rules), list(leftover)

        def _style_to_basic_html_attributes(self, element: Any, style_content: str, force: bool = False) -> None:
            # It only ever sets these attributes; when all are disabled (as ours are) it would
            # re-split every element's style for nothing.
            if _BASIC_ATTRIBUTES <= set(self.disable_basic_attributes):
                return
            super()._style_to_basic_html_attributes(element, style_content, force)

    return ReusablePremailer


def _defer_requests() -> None:
    """premailer imports ``requests`` (about 100 ms of CPU) only to fetch external stylesheets,
    which we never allow (``allow_network=False``), and ``cssutils`` (about 120 ms), which the
    disk memo (newsletter/render/cssmemo.py) usually makes unnecessary. While premailer is
    imported, each is a stand-in that imports the real module only when an attribute is used
    (cssutils then gets our settings); afterwards ``import`` anywhere gets the real modules."""
    import importlib
    import sys
    import types

    if "premailer.premailer" in sys.modules:
        return
    loaders: dict[str, Callable[[], Any]] = {"requests": lambda: importlib.import_module("requests"),
                                             "cssutils": _cssutils}

    class Deferred(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return getattr(loaders[self.__name__](), name)

    stubs = {name: Deferred(name) for name in loaders if name not in sys.modules}
    sys.modules.update(stubs)
    try:
        import premailer.premailer  # noqa: F401
    finally:
        for name, stub in stubs.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


#: A selector that is one class and nothing else (``.nl-p``), in cssselect's plain-identifier form.
_CLASS_ONLY = re.compile(r"\.(-?[A-Za-z_][A-Za-z0-9_-]*)")
#: ``.outer .inner``, as cssutils writes a descendant selector (one space between).
_CLASS_IN_CLASS = re.compile(r"\.(-?[A-Za-z_][A-Za-z0-9_-]*) \.(-?[A-Za-z_][A-Za-z0-9_-]*)")
#: What XPath's normalize-space() treats as white space (cssselect's ``.x`` is ``[class~=x]`` with it).
_XML_SPACE = re.compile("[ \t\n\r]+")
#: The last document's class index: (page, {class name: [elements in document order]}).
_INDEX: tuple[Any, dict[str, list[Any]]] | None = None


def _class_index(page: Any) -> dict[str, list[Any]]:
    """Every element of ``page`` (itself included) by class token, built in one walk of the tree."""
    global _INDEX
    known = _INDEX
    if known is not None and known[0] is page:
        return known[1]
    from lxml import etree

    index: dict[str, list[Any]] = {}
    for element in page.iter(etree.Element):
        value = element.get("class")
        if value:
            for token in dict.fromkeys(_XML_SPACE.split(value)):
                if token:
                    index.setdefault(token, []).append(element)
    _INDEX = (page, index)
    return index


@lru_cache(maxsize=1024)
def _selectors(selector: str) -> Callable[[Any], list[Any]]:
    """premailer's ``_create_cssselector``: the elements a selector matches, in document order.

    premailer runs one XPath query over the whole document per CSS rule (about 0.2 ms each
    for an issue). A selector that is a single class is answered from a class index made in
    one walk of the tree instead: the same elements in the same order as cssselect's
    ``descendant-or-self::*[contains(concat(' ', normalize-space(@class), ' '), ' x ')]``;
    so is one class inside another (``.x .y``). Anything else goes to premailer's own
    function (``_selectors.real``).
    """
    match = _CLASS_ONLY.fullmatch(selector)
    if match is not None:
        name = match.group(1)
        return lambda page: list(_class_index(page).get(name, ()))
    nested = _CLASS_IN_CLASS.fullmatch(selector)
    if nested is not None:
        outer, inner = nested.groups()
        return lambda page: _descendants(page, outer, inner)
    return _selectors.real(selector)  # type: ignore[attr-defined, no-any-return]


def _descendants(page: Any, outer: str, inner: str) -> list[Any]:
    """``.outer .inner``: the elements of class ``inner`` inside one of class ``outer``, in
    document order (cssselect's ``descendant-or-self::*[...outer...]/descendant::*[...inner...]``)."""
    index = _class_index(page)
    # lxml gives one Python object per element while any reference to it lives: the index
    # holds every classed element, so getparent() returns the very objects in ``outers``.
    outers = set(index.get(outer, ()))
    found = []
    if outers:
        for element in index.get(inner, ()):
            parent = element.getparent()
            while parent is not None:
                if parent in outers:
                    found.append(element)
                    break
                parent = parent.getparent()
    return found


def _merge_styles(inline_style: str, new_styles: list[Any], classes: list[str],
                  remove_unset_properties: bool = False) -> str:
    """premailer's ``merge_styles``, remembered per distinct input: an issue has a hundred or
    more styled elements but only a few dozen different (style attribute, rules) pairs."""
    key = (inline_style, tuple(tuple(style) for style in new_styles), tuple(classes), remove_unset_properties)
    return _merged(key)


@lru_cache(maxsize=4096)
def _merged(key: tuple[Any, ...]) -> str:
    inline_style, new_styles, classes, remove_unset_properties = key
    return _merged.real(inline_style, [list(style) for style in new_styles],  # type: ignore[attr-defined, no-any-return]
                        list(classes), remove_unset_properties=remove_unset_properties)


#: Every attribute premailer's _style_to_basic_html_attributes can write.
_BASIC_ATTRIBUTES = {"align", "valign", "bgcolor", "width", "height"}
_RULES: dict[tuple[Any, ...], tuple[list[Any], list[Any]]] = {}
_RULES_MAX = 64


@lru_cache(maxsize=8192)
def _pairs(csstext: str) -> tuple[tuple[str, str], ...]:
    from newsletter.render.cssmemo import MEMO

    known = MEMO.pairs.get(csstext)
    if known is not None:  # parsed by an earlier process
        return known
    cssutils = _cssutils()
    out = []
    for prop in cssutils.parseStyle(csstext, validate=False):
        value = prop.propertyValue.cssText.strip()
        if prop.priority == "important":
            value += " !important"
        out.append((prop.name.strip(), value))
    MEMO.remember_pairs(csstext, tuple(out))
    return tuple(out)


def _load_memo() -> None:
    """Read what earlier processes parsed (newsletter/render/cssmemo.py); save on exit."""
    import atexit
    import importlib.util

    from newsletter.render.cssmemo import MEMO

    # The installed libraries, by their files' times (an upgrade changes them), without
    # importing cssutils; and the serialiser settings _cssutils() applies.
    stamp = []
    for name in ("premailer", "cssutils"):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        stamp.append(f"{name} {origin} {os.stat(origin).st_mtime_ns if origin else 0}")
    MEMO.load(" ".join(stamp) + " minified")
    atexit.register(MEMO.save)


def _csstext_to_pairs(csstext: str, validate: bool = True) -> list[tuple[str, str]]:
    """premailer.merge_style.csstext_to_pairs without validation, memoised per style text."""
    return list(_pairs(csstext))


def prepare_inliner() -> None:
    """Import and set up premailer now (a parent does this before forking build workers)."""
    _premailer_class()


@lru_cache(maxsize=4)
def inline_css(html: str, css: str) -> str:
    """Inline ``css`` (the theme's email.css) into ``html``; MRML's own <style> blocks stay as they are.

    Our media queries and dark-mode rules live in MRML's <style> blocks (from mj-style),
    which premailer is told to ignore, so their ``!important`` survives.

    The last few results are kept: the preview renders an issue whose text alone changed to
    the same HTML (the text is tokens until after this step, newsletter/render/texttokens.py).
    """
    from lxml import etree

    Premailer = _premailer_class()
    marked = html.replace(_STYLE_OPEN, '<style data-premailer="ignore"')
    # Parsed here, from UTF-8 bytes, rather than by premailer from the str: lxml hands a str
    # holding any non-Latin-1 character (a curly quote) to libxml2 as UCS-4, to be converted,
    # which made the parse twice as slow (1.1 ms against 0.55 for an issue).
    page = etree.fromstring(marked.strip().encode("utf-8"), etree.HTMLParser(encoding="utf-8"))
    inliner = Premailer(
        page,
        css_text=css,
        allow_network=False,
        # Our CSS is inlined, not copied into a <style> block: only MRML's blocks (marked
        # ignore above, so premailer leaves them as they are) stay in <head>.
        keep_style_tags=False,
        strip_important=False,
        remove_classes=False,
        disable_basic_attributes=["width", "height", "align", "valign", "bgcolor"],
        disable_validation=True,
        # cssutils' log level is set once, when it is first used (_cssutils()): passing
        # cssutils_logging_level here would import it for every issue.
        exclude_pseudoclasses=True,
        include_star_selectors=False,
        disable_link_rewrites=True,
        align_floating_images=False,
        cache_css_parsing=True,
        method="html",
    )
    global _INDEX
    try:
        # Given a tree, premailer inlines into it and returns it unserialised. The root element
        # is written, not the tree: as premailer does for MRML's lower-case doctype, which
        # restore_doctype puts back. Straight to a str: encoding and decoding took twice as long.
        inliner.transform()
        out: str = etree.tostring(page, method="html", encoding="unicode")
    finally:
        _INDEX = None  # let the document go
    return out.replace(' data-premailer="ignore"', "")
