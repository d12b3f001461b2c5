"""newsletter.yaml: the schema (one documented field per key), defaults, and validation.

Validation collects every problem, each with the file and line of its key, and reports
them together; unknown keys only warn, with a did-you-mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from newsletter.errors import Problem, SettingsError, display_path

if TYPE_CHECKING:
    import yaml

CONFIG_NAME = "newsletter.yaml"

#: Settings that must have a value (dotted keys); the docs and `newsletter init` use this too.
REQUIRED_KEYS = ("name", "sender.email", "web_url", "postal_address")


def _doc(text: str, **kw: Any) -> Any:
    """A dataclass field whose documentation lives next to its default."""
    return field(metadata={"doc": text, **kw.pop("meta", {})}, **kw)


@dataclass
class Sender:
    """The From and Reply-To of every email (``sender:``)."""

    name: str = _doc("Display name in the From header.", default="")
    email: str = _doc("Address in the From header.", default="")
    reply_to: str = _doc("Reply-To address; defaults to the sender's.", default="")


@dataclass
class Colors:
    """The theme's palette (``theme.colors:``), light and dark."""

    background: str = _doc("Page background around the 600 px column.", default="#F7F3DC")
    paper: str = _doc("Background of cards and blocks.", default="#FFFDF2")
    text: str = _doc("Body text.", default="#1F1D1A")
    muted: str = _doc("Dates, credits, footer text.", default="#5C574E")
    link: str = _doc("Links.", default="#1A3FB8")
    accent: str = _doc("Section markers, number pills, rules.", default="#9E3B12")
    border: str = _doc("Card borders.", default="#1F1D1A")
    dark_background: str = _doc("Page background in dark mode.", default="#1F1D1A")
    dark_paper: str = _doc("Cards in dark mode.", default="#2A2824")
    dark_text: str = _doc("Body text in dark mode.", default="#F3EFD9")
    dark_muted: str = _doc("Muted text in dark mode.", default="#C9C3AE")
    dark_link: str = _doc("Links in dark mode.", default="#9DB4FF")
    dark_accent: str = _doc("Accents in dark mode.", default="#F2B58E")
    dark_border: str = _doc("Card borders in dark mode.", default="#8A857A")


@dataclass
class Fonts:
    """The theme's font stacks and body size (``theme.fonts:``)."""

    serif: str = _doc("Headlines and body.", default="Georgia, 'Times New Roman', Times, serif")
    sans: str = _doc(
        "Labels, numbers, section headings.", default="'Helvetica Neue', Helvetica, Arial, sans-serif"
    )
    mono: str = _doc("Photo credits.", default="'Courier New', Courier, monospace")
    size: int = _doc("Body text size in px (16 or more is readable on phones).", default=18)


@dataclass
class Theme:
    """Colours and fonts (``theme:``)."""

    colors: Colors = _doc("Colour palette, light and dark.", default_factory=Colors)
    fonts: Fonts = _doc("Font stacks.", default_factory=Fonts)


@dataclass
class Utm:
    """UTM tagging of outbound links (``utm:``)."""

    source: str = _doc("utm_source added to outbound links; empty turns tagging off.", default="")
    medium: str = _doc("utm_medium.", default="email")
    campaign: str = _doc("utm_campaign; empty means the issue's slug.", default="")


@dataclass
class Smtp:
    """Where ``send-test`` sends (``smtp:``)."""

    host: str = _doc("SMTP server for send-test.", default="127.0.0.1")
    port: int = _doc("SMTP port.", default=25)
    security: str = _doc("none, starttls or ssl.", default="none")
    user: str = _doc("Login user; the password comes from NEWSLETTER_SMTP_PASSWORD.", default="")
    to: str = _doc("Default recipients for send-test, comma separated.", default="")


@dataclass
class Check:
    """The quality gate's settings (``check:``)."""

    targets: list[str] = _doc(
        "Email clients the compatibility check targets (caniemail family names).",
        default_factory=lambda: [
            "gmail.desktop-webmail",
            "gmail.ios",
            "gmail.android",
            "apple-mail.macos",
            "apple-mail.ios",
            "outlook.windows",
            "outlook.macos",
            "outlook.outlook-com",
            "yahoo.desktop-webmail",
        ],
    )


@dataclass
class Settings:
    """Everything in newsletter.yaml, with the defaults for what it leaves out."""

    name: str = _doc("The newsletter's name, shown in the masthead.", default="", meta={"required": True})
    tagline: str = _doc("One line under the name.", default="")
    language: str = _doc("BCP 47 language tag for <html lang>.", default="en")
    sender: Sender = _doc("Who the email is from.", default_factory=Sender, meta={"required": True})
    web_url: str = _doc(
        "Base URL of the web archive; issue pages are <web_url>/<slug>/.", default="", meta={"required": True}
    )
    postal_address: str = _doc(
        "Postal address for the footer (required by anti-spam law); the footer prints the newsletter's name "
        "before it, so start at the street.", default="", meta={"required": True}
    )
    signup_url: str = _doc("Where readers subscribe.", default="")
    footer_reason: str = _doc(
        "Why the reader gets this email.", default="You are receiving this because you signed up for it."
    )
    toc_title: str = _doc("Title of the numbered contents list.", default="In this issue")
    timezone: str = _doc("Timezone name for 'Updated' lines, e.g. America/New_York.", default="")
    reading_wpm: int = _doc("Words per minute for reading time (each Chinese or Japanese character counts as "
                            "a word: about 500 suits those languages).", default=230)
    esp: str = _doc(
        "Email service profile: generic, mailchimp, sendgrid, mailgun, buttondown, postmark.", default="generic"
    )
    unsubscribe_url: str = _doc("Unsubscribe URL or tag (generic profile).", default="")
    preferences_url: str = _doc("Preferences URL or tag (generic profile).", default="")
    unsubscribe_email: str = _doc(
        "Address for mailto: unsubscribe in the List-Unsubscribe header (optional, with an https unsubscribe_url).",
        default="",
    )
    theme: Theme = _doc("Colours and fonts.", default_factory=Theme)
    utm: Utm = _doc("Link tagging.", default_factory=Utm)
    smtp: Smtp = _doc("Test sends.", default_factory=Smtp)
    check: Check = _doc("Quality gate.", default_factory=Check)
    #: Where the settings came from (not a key).
    path: str = field(default="", metadata={"internal": True})
    #: Warnings found while loading (unknown keys).
    warnings: list[str] = field(default_factory=list, metadata={"internal": True})


_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
#: What would end a CSS declaration, its rule or a <style> block: a font stack can't hold it
#: (and the templates' ``css`` filter drops it from any value).
NOT_IN_CSS = re.compile(r"[{};<>\\\r\n]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")  # BCP 47, loosely: en, en-GB, zh-Hant-TW
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")


def _key_lines(node: yaml.Node, prefix: str, file: str, problems: list[Problem]) -> dict[str, int]:
    """Map dotted keys to 1-based lines using the YAML node tree; a key given twice is a problem."""
    import yaml

    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = f"{prefix}{k.value}"
            if key in out:
                problems.append(Problem(file, k.start_mark.line + 1, f"setting '{key}' is given twice",
                                        f"the first is on line {out[key]}; keep one"))
            out[key] = k.start_mark.line + 1
            out.update(_key_lines(v, key + ".", file, problems))
    return out


def load_settings(path: Path) -> Settings:
    """Read and validate newsletter.yaml; raise SettingsError listing every problem."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SettingsError(Problem(file, 0, f"cannot read settings: {e.strerror}")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SettingsError(Problem(file, line, "file is not UTF-8 text", "save it as UTF-8")) from None
    lines, problems, data = _read_yaml(text, file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SettingsError(Problem(file, 1, "settings must be a mapping of keys to values"))
    warnings: list[str] = []
    try:
        settings: Settings = _build(Settings, data, "", file, lines, problems, warnings)
    except RecursionError:  # aliases nest a value deeper than Python recurses, without PyYAML recursing
        from newsletter import yamlsafe

        raise SettingsError(Problem(file, yamlsafe.too_deep_line(text) + 1 or 1, _TOO_DEEP)) from None
    settings.path = file
    settings.warnings = warnings
    _validate(settings, file, lines, problems)
    if problems:
        raise SettingsError(sorted(problems, key=lambda p: p.line), warnings=warnings)
    from newsletter.content.urls import ascii_url

    # Every output links the same address: the HTML's serialiser percent-encodes an href
    # with accents, and the text part and the List-Unsubscribe header must say the same.
    for key in URL_KEYS:
        setattr(settings, key, ascii_url(getattr(settings, key)))
    return settings


#: Settings that are URLs (or an email-service tag).
URL_KEYS = ("web_url", "signup_url", "unsubscribe_url", "preferences_url")
#: The List-Unsubscribe header holds the unsubscribe URL on one line of at most 998
#: characters (RFC 5322): a URL has no space to fold at.
MAX_HEADER_URL = 900


_TOO_DEEP = "settings are nested too deeply"

#: libyaml reads newsletter.yaml when PyYAML has it and the text is safe for it; the tests turn
#: it off to compare with PyYAML's own reading.
LIBYAML = True


def _read_yaml(text: str, file: str) -> tuple[dict[str, int], list[Problem], Any]:
    """(each dotted key's line, problems, the data) of newsletter.yaml's text. Text read before
    by any process comes from newsletter/yamlmemo.py, without importing PyYAML."""
    from newsletter.yamlmemo import MEMO

    known = MEMO.recall("settings", text)
    if known is not None and isinstance(known[0], dict) and all(type(n) is int for n in known[0].values()):
        return known[0], [], known[1]
    import yaml

    from newsletter import yamlsafe

    try:
        # One parse gives the node tree (each key's line, read before building the data
        # flattens merge keys in it) and the data. libyaml reads it when it can: PyYAML's
        # pure-Python reader cost a cold build 5-7 ms, most of it compiling a pattern.
        fast = yamlsafe.FastLoader if LIBYAML else None
        node, (lines, problems), data = yamlsafe.read(text, yamlsafe.SafeLoader, fast,
                                                      lambda node: _all_key_lines(node, file))
    except yaml.YAMLError as e:
        line, reason, hint = yamlsafe.explain(text, e)  # in an editor's words, at the line to fix
        raise SettingsError(Problem(file, line + 1, f"invalid YAML: {reason}", hint)) from None
    except RecursionError:
        raise SettingsError(Problem(file, yamlsafe.too_deep_line(text) + 1 or 1, _TOO_DEEP)) from None
    if not problems:
        MEMO.remember("settings", text, lines, data)
    return lines, problems, data


def _all_key_lines(node: yaml.Node | None, file: str) -> tuple[dict[str, int], list[Problem]]:
    problems: list[Problem] = []
    return (_key_lines(node, "", file, problems) if node is not None else {}), problems


def _build(cls: type, data: dict[str, Any], prefix: str, file: str, lines: dict[str, int],
           problems: list[Problem], warnings: list[str]) -> Any:
    known = {f.name: f for f in fields(cls) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        line = lines.get(dotted, 0)
        f = known.get(str(key))
        if f is None:
            import difflib

            near = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f" (did you mean '{prefix}{near[0]}'?)" if near else ""
            where = f"{display_path(file)}:{line}" if line else display_path(file)
            warnings.append(f"{where}: unknown setting '{dotted}'{hint}")
            continue
        default = f.default_factory() if callable(f.default_factory) else f.default
        if hasattr(default, "__dataclass_fields__"):
            if value is None:
                value = {}
            if not isinstance(value, dict):
                problems.append(Problem(file, line, f"'{dotted}' must be a mapping of keys to values"))
                continue
            kwargs[f.name] = _build(type(default), value, dotted + ".", file, lines, problems, warnings)
            continue
        expected: Callable[[Any], bool]
        if isinstance(default, bool):
            expected = lambda v: isinstance(v, bool)  # noqa: E731
        elif isinstance(default, int):
            expected = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
        elif isinstance(default, list):
            expected = lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)  # noqa: E731
        else:
            expected = lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool)  # noqa: E731
        if value is None:
            continue
        if not expected(value):
            kind = {"str": "text", "int": "a whole number", "bool": "true or false",
                    "list": "a list of text"}.get(type(default).__name__, type(default).__name__)
            # A number or true/false in quotes is text: say so ("200" for reading_wpm).
            said = value.strip().lower() if isinstance(value, str) else ""
            quoted = said in ("true", "false") if isinstance(default, bool) else (
                isinstance(default, int) and said.isdigit())
            hint = f"write it without quotes: {f.name}: {said}" if quoted else ""
            problems.append(Problem(file, line, f"'{dotted}' must be {kind}, not {value!r}", hint))
            continue
        kwargs[f.name] = str(value) if isinstance(default, str) else value
    return cls(**kwargs)


def _text_values(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted key, text) for every text setting, list items included."""
    out: list[tuple[str, str]] = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            out += _text_values(value, f"{prefix}{f.name}.")
        elif isinstance(value, str):
            out.append((prefix + f.name, value))
        elif isinstance(value, list):
            out += [(prefix + f.name, v) for v in value if isinstance(v, str)]
    return out


def _validate(s: Settings, file: str, lines: dict[str, int], problems: list[Problem]) -> None:
    from newsletter.content.source import CONTROL_CHARS, control_problem

    # As in an issue file: XML (the feed, MJML) can't carry them, and no one means to type them.
    for key, text in _text_values(s):
        bad = CONTROL_CHARS.search(text)
        if bad is not None:
            found = control_problem(file, lines.get(key, 0), bad.group(0))
            problems.append(Problem(found.file, found.line, f"'{key}' {found.message}", found.hint))
    def need(key: str, value: str) -> None:
        if not value.strip():
            parent = key.rsplit(".", 1)[0]
            # An absent key has no line of its own: point at its parent, or the top of the file.
            line = lines.get(key) or lines.get(parent) or 1
            problems.append(Problem(file, line, f"required setting '{key}' is missing", f"add '{key}:' to {Path(file).name}"))

    for key in REQUIRED_KEYS:
        value: Any = s
        for part in key.split("."):
            value = getattr(value, part)
        need(key, value)
    if s.language.strip().lower() in ("", "und") or not _LANGUAGE.match(s.language.strip()):
        problems.append(Problem(file, lines.get("language", 0),
                                f"'language' must be a language tag such as en or en-GB, not {s.language!r}"))
    # unsubscribe_email goes into the List-Unsubscribe header: a line break there can't be written.
    for key, value in (("sender.email", s.sender.email), ("sender.reply_to", s.sender.reply_to),
                       ("unsubscribe_email", s.unsubscribe_email)):
        value = value.strip()
        if value and not _EMAIL.match(value):
            problems.append(Problem(file, lines.get(key, 0), f"'{key}' must be an email address like desk@example.com, "
                                                             f"not {value!r}"))
        elif not value.isascii():  # the From header can't carry it, and most services refuse it
            problems.append(Problem(file, lines.get(key, 0), f"'{key}' must be written in ASCII, not {value!r}",
                                    "write an accented domain in its xn-- form (what your registrar shows); a "
                                    "mailbox name with accents needs SMTPUTF8, which most email services refuse"))
    if s.timezone.strip():
        problems.extend(_timezone_problem(s.timezone.strip(), file, lines.get("timezone", 0)))
    for f in fields(Colors):
        value = getattr(s.theme.colors, f.name)
        if not _COLOR.match(value):
            key = f"theme.colors.{f.name}"
            problems.append(Problem(file, lines.get(key, 0), f"'{key}' must be a hex colour like #1F1D1A, not {value!r}"))
    from newsletter.deliver.esp import PROFILES  # the profile table lives with delivery

    if s.esp not in PROFILES:
        import difflib

        near = difflib.get_close_matches(s.esp, list(PROFILES), n=1)
        hint = f"did you mean '{near[0]}'?" if near else "one of " + ", ".join(PROFILES)
        problems.append(Problem(file, lines.get("esp", 0), f"unknown email service profile '{s.esp}'", hint))
    if s.smtp.security not in ("none", "starttls", "ssl"):
        problems.append(Problem(file, lines.get("smtp.security", 0), "'smtp.security' must be none, starttls or ssl"))
    # Whole numbers in range: 0 words a minute gave "672 min read", size 0 invisible text.
    for key, value, low, high in (("reading_wpm", s.reading_wpm, 1, 2000), ("theme.fonts.size", s.theme.fonts.size, 8, 72),
                                  ("smtp.port", s.smtp.port, 1, 65535)):
        if not low <= value <= high:
            problems.append(Problem(file, lines.get(key, 0), f"'{key}' must be from {low} to {high}, not {value}"))
    # A font stack is written into stylesheets: these would end its declaration, rule or block.
    for key in ("sans", "serif", "mono"):
        bad = NOT_IN_CSS.search(getattr(s.theme.fonts, key))
        if bad is not None:
            problems.append(Problem(file, lines.get(f"theme.fonts.{key}", 0), f"'theme.fonts.{key}' can't contain "
                                    f"{bad.group(0)!r}: it is a list of font names",
                                    "e.g. Georgia, 'Times New Roman', serif"))
    for key in ("web_url", "signup_url"):
        value = getattr(s, key)
        if value and not value.startswith(("https://", "http://")):
            problems.append(Problem(file, lines.get(key, 0), f"'{key}' must be an http(s) URL, not {value!r}"))
    from newsletter.deliver.esp import is_tag

    # These two may also be the service's own tag (the generic profile), or a mailto: link;
    # never javascript:, data: or another scheme that would reach the email's footer.
    for key in ("unsubscribe_url", "preferences_url"):
        value = getattr(s, key)
        if value and not (value.startswith(("https://", "http://", "mailto:")) or is_tag(value)):
            problems.append(Problem(file, lines.get(key, 0), f"'{key}' must be an http(s) or mailto: URL, or an "
                                    f"email-service tag, not {value!r}"))
    from newsletter.content.urls import ascii_url

    if len(ascii_url(s.unsubscribe_url)) > MAX_HEADER_URL:
        problems.append(Problem(file, lines.get("unsubscribe_url", 0),
                                f"'unsubscribe_url' is {len(ascii_url(s.unsubscribe_url))} characters long: the "
                                f"List-Unsubscribe header can hold at most {MAX_HEADER_URL}",
                                "use your service's shorter link, or its unsubscribe tag"))


def _timezone_problem(name: str, file: str, line: int) -> list[Problem]:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(name)
        return []
    except (ZoneInfoNotFoundError, ValueError):
        import difflib

        near = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f"did you mean '{near[0]}'?" if near else "use an IANA name such as America/New_York"
        return [Problem(file, line, f"unknown timezone '{name}'", hint)]


def iter_documented(cls: type = Settings, prefix: str = "") -> list[tuple[str, Any, str]]:
    """(dotted key, default, doc) for every setting: the source of the docs and of `init`'s file."""
    out: list[tuple[str, Any, str]] = []
    for f in fields(cls):
        if f.metadata.get("internal"):
            continue
        default = f.default_factory() if callable(f.default_factory) else f.default
        if hasattr(default, "__dataclass_fields__"):
            out.append((prefix + f.name, None, f.metadata.get("doc", "")))
            out.extend(iter_documented(type(default), prefix + f.name + "."))
        else:
            out.append((prefix + f.name, default, f.metadata.get("doc", "")))
    return out
