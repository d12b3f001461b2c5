"""MJML: the attributes and nesting the theme's MJML uses, checked as MJML's own validator
(`mjml -v`) checks them. MRML compiles what it doesn't know without a word: ``colour="#333"``
or ``padding="28px zero"`` is dropped, an ``mj-section`` inside an ``mj-column`` is laid out
anyhow, and the email just looks wrong.

The table in data/mjml-rules.json (written by scripts/refresh-mjml-rules from the npm package
mjml) gives each component's attributes with their types, the components whose content is
raw HTML, and where each may be used. The checks follow mjml-validator's rules:

- an attribute a component doesn't have (``mj-class`` and ``css-class`` go anywhere);
- a value its type refuses: a colour, a length with its units and count, one of a list, a
  number, true or false (values are judged as written, entities and all, as mjml does);
- a component inside a parent that can't hold it (the root ``mjml`` isn't checked).

An unknown ``mj-`` tag is left to the structure rule: MRML copies it into the HTML, where that
rule finds it. Tags inside raw content (``mj-text``, ``mj-raw``, ...) are HTML, not MJML.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from newsletter.checks import Finding
from newsletter.checks.context import JINJA, CheckContext

DATA_FILE = Path(__file__).resolve().parent / "data" / "mjml-rules.json"
#: Attributes every component takes (mjml-validator's whitelist).
ANYWHERE = ("mj-class", "css-class")
#: Tags without a component that mjml accepts all the same (mjml-validator's validTag).
COMPONENT_LESS = ("mj-all", "mj-class", "mj-selector", "mj-html-attribute")
#: Elements whose children aren't checked, and which aren't checked themselves.
SKIPPED = ("mjml",)

#: A comment (no name), or a tag: "/" when it closes, its name, its attributes (ending in "/"
#: when it closes itself). A '>' inside an attribute's value would end it early: the theme's
#: values are escaped by Jinja ('&gt;'), and a quoted '>' cost the scan 3 times the time.
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][\w:.-]*)([^>]*)>", re.S)
_ATTRIBUTE = re.compile(r"([^\s=/>\"']+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")


class Problem(NamedTuple):
    """One thing mjml's validator refuses."""

    tag: str
    kind: str  # "attribute" (it has none of that name), "value", "parent" or "element"
    subject: str  # the attribute's name, or the parent's tag
    message: str
    hint: str
    #: How to find its template line, best first: each is text (or a pattern) all on one line.
    snippets: tuple[tuple[str | re.Pattern[str], ...], ...]
    line: int = 0  # in the MJML


@dataclass(frozen=True)
class Table:
    """What mjml-rules.json says, ready to check with."""

    attributes: dict[str, dict[str, str]]  # component -> attribute -> type
    raw: frozenset[str]  # components whose content is raw (HTML, CSS or text)
    children: dict[str, tuple[str, ...]]  # parent -> components it may hold
    patterns: dict[str, tuple[re.Pattern[str], ...]]  # parent -> patterns of components it may hold
    colors: frozenset[str]


@lru_cache(maxsize=1)
def table() -> Table:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    components = data["components"]
    deps = data["dependencies"]
    return Table(
        attributes={tag: dict(c["attributes"]) for tag, c in components.items()},
        raw=frozenset(tag for tag, c in components.items() if c["ending"]),
        children={tag: tuple(d for d in allowed if isinstance(d, str)) for tag, allowed in deps.items()},
        patterns={tag: tuple(re.compile(d["regex"]) for d in allowed if isinstance(d, dict))
                  for tag, allowed in deps.items()},
        colors=frozenset(data["colors"]),
    )


def check(ctx: CheckContext) -> Iterator[Finding]:
    seen: set[tuple[str, str, str, str]] = set()
    for problem in problems(ctx.result.mjml):
        key = (problem.tag, problem.kind, problem.subject, problem.message)
        if key in seen:  # the same slip in many elements: once is enough
            continue
        seen.add(key)
        file, line = _template_line(ctx, problem.snippets)
        if file:
            yield Finding("mjml", "warning", problem.message, file, line, problem.hint)
        else:  # not in any template as written (a value from Jinja): the line of the MJML
            yield Finding("mjml", "warning", problem.message, str(Path(ctx.html_file).with_name("email.mjml")),
                          problem.line, f"{problem.hint} (newsletter build --emit-mjml writes that file)")


def _template_line(ctx: CheckContext, snippets: tuple[tuple[str | re.Pattern[str], ...], ...]) -> tuple[str, int]:
    """The first template line (as written, or with its Jinja removed) that has all the text of
    one of ``snippets``, trying them in turn."""
    for wanted in snippets:
        found = ctx.template_line_where(lambda raw: _has_all(raw, wanted) or _has_all(JINJA.sub("", raw), wanted))
        if found[0]:
            return found
    return "", 0


def _has_all(line: str, wanted: tuple[str | re.Pattern[str], ...]) -> bool:
    return all(w in line if isinstance(w, str) else w.search(line) for w in wanted)


def problems(mjml: str) -> Iterator[Problem]:
    """Every attribute, value and nesting mjml's validator refuses, in document order."""
    raw = table().raw
    search = _TAG.search
    stack: list[str] = []
    pos = 0
    while True:
        found = search(mjml, pos)
        if found is None:
            return
        pos = found.end()
        closing, tag, rest = found.groups()
        if not tag:  # a comment
            continue
        if closing:
            if stack and stack[-1] == tag:
                stack.pop()
            elif tag in stack:
                del stack[len(stack) - 1 - stack[::-1].index(tag):]
            continue
        found_problems = _element_problems(stack[-1] if stack else "", tag, rest)
        if found_problems:
            line = mjml.count("\n", 0, found.start()) + 1
            for problem in found_problems:
                yield problem._replace(line=line)
        if rest[-1:] == "/" or rest.rstrip().endswith("/"):
            continue
        stack.append(tag)
        if tag in raw:  # its content is HTML or CSS, not MJML: go on from its end tag
            end = mjml.find(f"</{tag}", pos)
            pos = len(mjml) if end < 0 else end


@lru_cache(maxsize=4096)
def _element_problems(parent: str, tag: str, rest: str) -> tuple[Problem, ...]:
    """One element's problems: a theme writes the same few hundred tags for every issue."""
    return tuple(_check_element(table(), parent, tag, rest))


def _check_element(t: Table, parent: str, tag: str, rest: str) -> Iterator[Problem]:
    if tag in SKIPPED:
        return
    allowed = t.attributes.get(tag)
    if allowed is None:
        if not tag.startswith("mj-") and tag not in COMPONENT_LESS:
            yield Problem(tag, "element", tag, f"<{tag}> is not an MJML element: MRML drops it or lays it "
                          "out anyhow", "HTML goes inside <mj-text> or <mj-raw>", ((f"<{tag}",),))
        return
    if parent and parent not in SKIPPED and parent in t.attributes and not _may_hold(t, parent, tag):
        homes = [p for p in t.children if _may_hold(t, p, tag)]
        yield Problem(tag, "parent", parent, f"<{tag}> inside <{parent}>: MJML allows it only inside "
                      + ", ".join(f"<{h}>" for h in homes), "move it, or wrap it in an element that can hold it",
                      ((f"<{tag}{rest}>",),) if rest.strip() else ())  # '<mj-text>' alone is on many lines
    for m in _ATTRIBUTE.finditer(rest.rstrip().rstrip("/")):
        name = m.group(1)
        value = next((v for v in m.group(2, 3, 4) if v is not None), "")
        if name in ANYWHERE:
            continue
        kind = allowed.get(name)
        if kind is None:
            near = difflib.get_close_matches(name.lower(), list(allowed) + list(ANYWHERE), n=1, cutoff=0.7)
            yield Problem(tag, "attribute", name, f"<{tag}> has no attribute '{name}': MRML ignores it",
                          f"did you mean '{near[0]}'?" if near else f"see {tag}'s attributes in MJML's documentation",
                          _attribute_snippets(tag, name, value))
            continue
        accepts = _type(kind)
        if not accepts(value):
            yield Problem(tag, "value", name, f"<{tag} {name}=\"{value}\">: not a valid value, MRML may ignore it",
                          f"{name} takes {_describe(kind)}", _attribute_snippets(tag, name, value))


def _attribute_snippets(tag: str, name: str, value: str) -> tuple[tuple[str | re.Pattern[str], ...], ...]:
    """Where an attribute is in the templates: as written; else the line where Jinja writes the
    value ('padding="{{ pad }}"'). Made only for a problem: the pattern is one per name."""
    return ((f'{name}="{value}"',), (f"{name}='{value}'",),
            (f"<{tag}", re.compile(rf"""\b{re.escape(name)}=(["'])[^"']*\{{\{{""")))


def _may_hold(t: Table, parent: str, child: str) -> bool:
    return child in t.children.get(parent, ()) or any(p.search(child) for p in t.patterns.get(parent, ()))


# ---- the types (mjml-core's lib/types) ----------------------------------------------------

_RGBA = re.compile(r"rgba\(\d{1,3},\s?\d{1,3},\s?\d{1,3},\s?\d(\.\d{1,3})?\)", re.I)
_RGB = re.compile(r"rgb\(\d{1,3},\s?\d{1,3},\s?\d{1,3}\)", re.I)
_HEX = re.compile(r"#([0-9a-f]{3}){1,2}", re.I)
_UNIT = re.compile(r"(unit|unitWithNegative)\(([^)]*)\)(?:\{([^}]+)\})?")
_ENUM = re.compile(r"enum\(([^)]*)\)")


@lru_cache(maxsize=64)
def _type(kind: str) -> Callable[[str], bool]:
    """The check for one type as the table writes it (``unit(px,%){1,4}``, ``enum(ltr,rtl)``, ...)."""
    if kind.startswith("boolean"):
        return lambda v: v in ("true", "false")  # mjml's parser turns exactly these into booleans
    if kind.startswith("enum"):
        m = _ENUM.match(kind)
        options = frozenset(m.group(1).split(",")) if m else frozenset()
        return lambda v: v in options
    if kind.startswith("color"):
        names = table().colors
        return lambda v: bool(_RGBA.search(v) or _RGB.search(v) or _HEX.fullmatch(v) or v in names)
    unit = _UNIT.match(kind)
    if unit:
        units = unit.group(2).split(",")
        auto = "|auto" if "auto" in units else ""
        listed = "|".join(re.escape(u) for u in units if u != "auto")
        negative = "-|" if unit.group(1) == "unitWithNegative" else ""
        pattern = re.compile(rf"((({negative}\d|,|\.){{1,}}({listed})|0{auto})( )?){{{unit.group(3) or '1'}}}")
        # mjml's pattern backtracks without end on a long run of '0's: no length is that long.
        return lambda v: len(v) <= 100 and pattern.fullmatch(v) is not None
    if kind.startswith("integer"):
        return lambda v: re.search(r"\d", v) is not None
    return lambda v: True  # string


def _describe(kind: str) -> str:
    if kind.startswith("boolean"):
        return "true or false"
    if kind.startswith("enum"):
        m = _ENUM.match(kind)
        options = [o if o else "(nothing)" for o in (m.group(1).split(",") if m else [])]
        return "one of " + ", ".join(options)
    if kind.startswith("color"):
        return "a colour: #rgb, #rrggbb, rgb(...), rgba(...) or a CSS colour name"
    unit = _UNIT.match(kind)
    if unit:
        units = [u for u in unit.group(2).split(",") if u != "auto"]
        what = " or ".join(u or "no unit" for u in units)
        count = (unit.group(3) or "1").split(",")
        many = "one value" if count == ["1"] else f"{count[0]} to {count[-1]} values"
        apart = "" if count == ["1"] else ", one space apart"
        auto = ", or 'auto'" if "auto" in unit.group(2).split(",") else ""
        return f"{many} in {what}{apart} ('0' needs no unit{auto})"
    if kind.startswith("integer"):
        return "a whole number"
    return "any text"
