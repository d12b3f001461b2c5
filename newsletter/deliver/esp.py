"""Email-service profiles: how each service spells its unsubscribe, preferences and
view-online links and its recipient placeholders.

Editors write a recipient placeholder once, as ``%%name%%`` or ``%%name|fallback%%``;
the profile writes it in its service's own form. Tags reach the output byte-exact:
the HTML renderer hands each one to the TagVault (newsletter/render/tags.py) and the
last post-processing step (newsletter/steps/tags.py) puts it back, so neither Jinja,
MRML nor premailer ever sees a tag.

The forms follow each service's documentation: Mailchimp merge tags and conditional
merge tags; SendGrid Marketing Campaigns substitution tags and ``insert ... "default="``;
Mailgun recipient variables; Buttondown template variables; Postmark Mustachio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Profile:
    """How one email service writes its tags."""

    name: str
    #: Unsubscribe link tag, or "" when the URL comes from settings (generic).
    unsubscribe: str
    #: Preferences link tag, or "" when the URL comes from settings.
    preferences: str
    #: View-online tag, or "" to link to the web archive page (<web_url>/<slug>/).
    view_online: str
    #: Writes a recipient placeholder (name, fallback) in the service's own form.
    placeholder: Callable[[str, str], str]


# Characters a fallback may not carry into a tag: they would end the tag early or be
# markup in the HTML part (tags are restored after escaping, so they must be inert).
_FALLBACK_UNSAFE = re.compile(r"[<>&\"{}%|*\\`]")


def clean_fallback(fallback: str) -> str:
    return " ".join(_FALLBACK_UNSAFE.sub("", fallback).split())


_MAILCHIMP_NAMES = {"first_name": "FNAME", "last_name": "LNAME", "email": "EMAIL", "phone": "PHONE",
                    "company": "COMPANY"}


def _mailchimp(name: str, fallback: str) -> str:
    tag = _MAILCHIMP_NAMES.get(name, name.upper())
    fallback = clean_fallback(fallback)
    if not fallback:
        return f"*|{tag}|*"
    # Conditional merge tags: the value when the field is set, else the fallback.
    return f"*|IF:{tag}|**|{tag}|**|ELSE:|*{fallback}*|END:IF|*"


def _sendgrid(name: str, fallback: str) -> str:
    fallback = clean_fallback(fallback)
    if not fallback:
        return "{{" + name + "}}"
    return "{{insert " + name + ' "default=' + fallback + '"}}'


def _mailgun(name: str, fallback: str) -> str:
    # Recipient variables have no fallback syntax: give every recipient the variable.
    return f"%recipient.{name}%"


def _buttondown(name: str, fallback: str) -> str:
    var = "subscriber.email" if name == "email" else f"subscriber.metadata.{name}"
    fallback = clean_fallback(fallback)
    if not fallback:
        return "{{ " + var + " }}"
    return "{% if " + var + " %}{{ " + var + " }}{% else %}" + fallback + "{% endif %}"


def _postmark(name: str, fallback: str) -> str:
    fallback = clean_fallback(fallback)
    if not fallback:
        return "{{ " + name + " }}"
    # Mustachio: a section for the value, an inverted section for the fallback.
    return "{{#" + name + "}}{{ " + name + " }}{{/" + name + "}}{{^" + name + "}}" + fallback + "{{/" + name + "}}"


def _fallback_only(name: str, fallback: str) -> str:
    """generic: no service to fill the value in, so every reader gets the fallback."""
    return fallback


PROFILES: dict[str, Profile] = {
    "generic": Profile("generic", "", "", "", _fallback_only),
    "mailchimp": Profile("mailchimp", "*|UNSUB|*", "*|UPDATE_PROFILE|*", "*|ARCHIVE|*", _mailchimp),
    "sendgrid": Profile("sendgrid", "{{{unsubscribe}}}", "{{{unsubscribe_preferences}}}", "", _sendgrid),
    "mailgun": Profile("mailgun", "%unsubscribe_url%", "", "", _mailgun),
    "buttondown": Profile("buttondown", "{{ unsubscribe_url }}", "", "{{ email_url }}", _buttondown),
    "postmark": Profile("postmark", "{{{ pm:unsubscribe }}}", "", "", _postmark),
}

_SIMPLE_TAG = (
    r"\*\|[A-Za-z0-9_:]+\|\*"  # Mailchimp
    r"|\{\{\{?\s*[A-Za-z0-9_.:]+\s*\}?\}\}"  # SendGrid, Buttondown, Postmark
    r"|<%[A-Za-z0-9_]+%>"  # SendGrid API (unsubscribe groups)
    # Mailgun: %recipient%, %recipient.key% and snake_case names such as %unsubscribe_url%.
    # Narrow on purpose, so percent-encoding (%C3%A9bc%20, k%c3%b6ln_hbf%2c) is never taken for
    # a tag: not right after an escape, nor with one right after it.
    r"|(?<!%[0-9A-Fa-f]{2})%(?:recipient(?:[._][A-Za-z0-9_]+)*|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)%(?![0-9A-Fa-f]{2})"
)

#: Tags of every service, as they may appear in content or settings.
ANY_TAG = re.compile(_SIMPLE_TAG)


def is_tag(value: str) -> bool:
    """True when the whole value is one email-service tag (allowed as a link target)."""
    return bool(ANY_TAG.fullmatch(value.strip()))


def has_tag(value: str) -> bool:
    """True when the value contains an email-service tag anywhere (a URL with a tag in it)."""
    return bool(ANY_TAG.search(value))


# Every placeholder form the profiles write, composite forms (with a fallback) first so
# that a fallback is found as a whole; then any single tag. Groups: name, fallback.
# The look-ahead names the characters every form starts with, which lets the regex engine skip
# the rest of a page quickly (a 50 KB email: 1.2 ms -> 0.7 ms); it matches nothing more or less.
_ANY_PLACEHOLDER = re.compile(
    r"(?=[*{<%])(?:"
    r"\*\|IF:(?P<mc>[A-Za-z0-9_]+)\|\*.*?\*\|ELSE:\|\*(?P<mcf>.*?)\*\|END:IF\|\*"
    r"|\{\{insert (?P<sg>[A-Za-z0-9_]+) \"default=(?P<sgf>[^\"]*)\"\}\}"
    r"|\{% if (?P<bd>[A-Za-z0-9_.]+) %\}.*?\{% else %\}(?P<bdf>.*?)\{% endif %\}"
    r"|\{\{#(?P<pm>[A-Za-z0-9_]+)\}\}.*?\{\{/(?P=pm)\}\}\{\{\^(?P=pm)\}\}(?P<pmf>.*?)\{\{/(?P=pm)\}\}"
    r"|(?P<tag>" + _SIMPLE_TAG + r"))",
    re.DOTALL,
)

_NAME = re.compile(r"[A-Za-z0-9_]+")


def tag_name(tag: str) -> str:
    """The variable a tag refers to, lower case: ``*|FNAME|*`` -> "fname",
    ``{{ subscriber.metadata.first_name }}`` -> "first_name", ``{{{ pm:unsubscribe }}}`` -> "unsubscribe"."""
    words = _NAME.findall(tag)
    return words[-1].lower() if words else ""


#: Every form above starts with one of these: "*|", "{{" or "{%", "<%", or "%" and a lower-case
#: letter. Searched for one by one (each pattern starts with a literal, which the regex engine
#: skips to): 0.1 ms over a 55 KB email, where _ANY_PLACEHOLDER stops at every "<" and "%" (0.8 ms).
_TAG_STARTS = tuple(re.compile(p) for p in (r"\*\|", r"\{[{%]", r"<%", r"%[a-z]"))


def replace_tags(text: str, value: Callable[[str, str, str], str]) -> str:
    """Every tag and placeholder in ``text`` replaced by ``value(name, fallback, raw)``."""
    if not any(p.search(text) for p in _TAG_STARTS):  # no tag: don't try every "<" and "%"
        return text

    def sub(m: re.Match[str]) -> str:
        for key in ("mc", "sg", "bd", "pm"):
            if m.group(key):
                return value(tag_name(m.group(key)), m.group(key + "f") or "", m.group(0))
        return value(tag_name(m.group("tag")), "", m.group(0))

    return _ANY_PLACEHOLDER.sub(sub, text)


_FIRST = {"fname", "first_name", "firstname", "name"}
_LAST = {"lname", "last_name", "lastname"}
_EMAIL = {"email", "email_address"}
_LINKS = {"unsub", "unsubscribe", "unsubscribe_url", "unsubscribe_preferences", "update_profile",
          "preferences", "archive", "email_url", "asm_group_unsubscribe_raw_url", "asm_preferences_raw_url",
          "mailing_list_unsubscribe_url", "tag_unsubscribe_url", "url"}


def is_link_tag(name: str) -> bool:
    return name in _LINKS or name.endswith(("_url", "unsubscribe"))


def sample_value(name: str, fallback: str, *, email: str, link: str) -> str:
    """What a test send shows for a tag: a sample first name, the recipient's address, a real link."""
    if name in _FIRST:
        return "Sample"
    if name in _LAST:
        return "Reader"
    if name in _EMAIL:
        return email
    if is_link_tag(name):
        return link
    return fallback or "Sample"


#: Stands in for a space inside a tag while the text part is wrapped. A noncharacter, because
#: issue files refuse it (content/source.py); a private-use one such as U+E000 can be content.
KEEP_TOGETHER = "\uffff"


def keep_together(text: str) -> str:
    """Spaces inside tags made unbreakable, so wrapping never splits ``{{ unsubscribe_url }}``."""
    if "{" not in text and "%" not in text and "*|" not in text and "<%" not in text:
        return text
    return _ANY_PLACEHOLDER.sub(lambda m: m.group(0).replace(" ", KEEP_TOGETHER), text)


#: ``%%name%%`` / ``%%name|fallback%%`` as editors write them (the same grammar as in the body).
PLACEHOLDER = re.compile(r"%%([a-z][a-z0-9_]*)(?:\|([^%\n]{0,80}))?%%")


def fill_placeholders(text: str, profile: Profile) -> str:
    """Placeholders in a plain string (a subject line) written in the profile's form."""
    return PLACEHOLDER.sub(lambda m: profile.placeholder(m.group(1), m.group(2) or ""), text)


def attribute_safe(url: str) -> str:
    """A URL holding a tag, made safe to restore raw inside ``href="..."``: ``&`` and quotes
    escaped, the tag itself untouched (no tag form contains them)."""
    return url.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#x27;")
