"""What "nothing executable reaches the email" means, as checks on built output.

Shared by the fuzz tests (test_fuzz.py) and the hostile-corpus tests (test_hostile*.py).
Every check parses the HTML with lxml and walks every element, attribute, style and
comment; regexes only look at text that lxml has already taken apart.
"""

from __future__ import annotations

import functools
import html as htmllib
import re
import unicodedata
from pathlib import Path

import lxml.html
from lxml import etree

from newsletter.errors import NewsletterError, display_path

#: Elements the theme and the content renderer may produce, and nothing else.
ALLOWED_TAGS = {
    "html", "head", "body", "title", "meta", "style", "div", "span", "table", "tbody", "thead",
    "tr", "td", "th", "p", "a", "em", "strong", "b", "i", "code", "br", "ul", "ol", "li",
    "blockquote", "h1", "h2", "h3", "h4", "img", "hr", "noscript", "xml", "center", "sup", "sub",
    "o:officedocumentsettings", "o:allowpng", "o:pixelsperinch",
}
#: What the web archive's pages add (the index's page structure).
WEB_PAGE_TAGS = {"main", "header", "footer", "time"}
#: Attributes whose value is a URL a client may follow or fetch.
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "background", "xlink:href", "poster", "data",
    "lowsrc", "dynsrc", "codebase", "cite", "longdesc", "usemap", "manifest", "srcset", "ping",
}
SAFE_SCHEMES = ("https", "http", "mailto", "tel")
#: Things that run code or fetch something in CSS.
CSS_DANGER = re.compile(r"expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|@import|url\s*\(",
                        re.IGNORECASE)
#: The renderer's merge-tag tokens (newsletter/render/tags.py).
VAULT_TOKEN = re.compile(r"NLM[A-Z](?:\d+)?\d{4}T")
#: What a template engine would print if it evaluated injected content.
JINJA_MARKERS = ("1337", "ZQXZQXZQX", "ZQYES", "<class '", "&lt;class '", "Settings(", "TemplateReference",
                 "uid=", "Undefined")


def _clean_url(value: str) -> str:
    """A URL as a browser would read its scheme: entities decoded, controls and spaces dropped."""
    value = htmllib.unescape(value)
    return "".join(ch for ch in value if ord(ch) > 0x20 and unicodedata.category(ch) not in ("Cc", "Cf", "Zs"))


def url_is_safe(value: str) -> bool:
    cleaned = _clean_url(value).lower()
    if not cleaned or cleaned.startswith("#"):
        return True
    match = re.match(r"^([a-z][a-z0-9+.\-]*):", cleaned)
    if match is None:
        # No scheme: a relative URL or an email-service tag. Never protocol-relative.
        return not cleaned.startswith("//") and not cleaned.startswith("\\\\")
    return match.group(1) in SAFE_SCHEMES


def executable_problems(html: str, *, web_page: bool = False) -> list[str]:
    """Everything executable or fetch-capable in ``html``; an empty list means clean. A web
    archive page (``web_page``) may also link its canonical URL and its feed in <head>."""
    problems: list[str] = []
    if not html.strip():
        return ["empty HTML"]
    root = lxml.html.document_fromstring(html)
    _inspect_tree(root, problems, where="", web_page=web_page)
    return problems


@functools.lru_cache(maxsize=4096)
def _comment_problems(text: str) -> tuple[str, ...]:
    """The problems in the HTML inside one comment (the theme repeats the same Outlook
    conditional comments in every email, so each distinct text is parsed once)."""
    try:
        frag = lxml.html.fragment_fromstring(text, create_parent="div")
    except etree.ParserError:
        return ()
    found: list[str] = []
    _inspect_tree(frag, found, where="in a comment: ")
    return tuple(found)


def _inspect_tree(root: etree._Element, problems: list[str], where: str, web_page: bool = False) -> None:
    for el in root.iter():
        if el.tag is etree.Comment:
            text = el.text or ""
            # Outlook reads the HTML inside conditional comments: inspect it as HTML too.
            if "<" in text:
                problems.extend(_comment_problems(text))
            continue
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        page_link = web_page and tag == "link" and (el.get("rel") or "").lower() in ("canonical", "alternate")
        if tag not in ALLOWED_TAGS and not page_link and not (web_page and tag in WEB_PAGE_TAGS):
            problems.append(f"{where}element <{tag}>")
        if tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"{where}meta refresh")
        if tag == "style" and CSS_DANGER.search(el.text or ""):
            problems.append(f"{where}<style> with {CSS_DANGER.search(el.text or '').group(0)!r}")  # type: ignore[union-attr]
        for name, value in el.attrib.items():
            lname = name.lower()
            if lname.startswith("on"):
                problems.append(f"{where}event handler {name}= on <{tag}>")
            if lname in URL_ATTRIBUTES and not url_is_safe(value):
                problems.append(f"{where}{name}={value[:60]!r} on <{tag}>")
            if lname == "style" and CSS_DANGER.search(value):
                problems.append(f"{where}style={value[:80]!r} on <{tag}>")
            if lname in ("srcdoc", "formaction", "xmlns:xlink"):
                problems.append(f"{where}attribute {name} on <{tag}>")


def surprises(output: str, vector: str, baseline: str) -> list[str]:
    """Signs that content was treated as code: template output, forged or leaked tag tokens."""
    found = []
    for marker in JINJA_MARKERS:
        if marker in output and marker not in vector and marker not in baseline:
            found.append(f"template marker {marker!r}")
    for token in VAULT_TOKEN.findall(output):
        if token not in vector and token not in vector.upper():  # the text part upper-cases headings
            found.append(f"leaked tag token {token}")
    if "*|" not in vector and output.count("*|FNAME|*") != baseline.count("*|FNAME|*"):
        found.append(f"*|FNAME|* appears {output.count('*|FNAME|*')} times, {baseline.count('*|FNAME|*')} expected")
    if "Traceback" in output:
        found.append("a traceback")
    return found


def clean_error_problems(err: NewsletterError, issue: Path) -> list[str]:
    """A refusal must be one line per problem, each naming the issue file and a line number."""
    out = []
    message = err.format_message()
    lines = message.split("\nError: ")
    if len(lines) != len(err.problems):
        out.append(f"{len(err.problems)} problems but the message has {len(lines)} entries: {message!r}")
    want = display_path(issue)
    for p, line in zip(err.problems, lines):
        if "\n" in line or "\r" in line:
            out.append(f"problem spans several lines: {line!r}")
        if not line.startswith(want + ":"):
            out.append(f"problem doesn't start with {want}: {line!r}")
        if p.line < 1:
            out.append(f"problem has no line number: {line!r}")
    return out


def normalise(text: str) -> str:
    return " ".join(text.split())


def html_text(html: str) -> str:
    """The visible text of the HTML, whitespace-normalised (lxml decodes every entity)."""
    root = lxml.html.document_fromstring(html)
    for bad in root.xpath("//style|//title|//head"):
        bad.getparent().remove(bad)
    return normalise(root.text_content())
