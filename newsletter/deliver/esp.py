"""Email-service profiles: how each service spells its unsubscribe, preferences and
view-online links and its recipient placeholders.

Tags are written into the output byte-exact; the merge-tag guard step
(newsletter.steps.merge_tags) keeps premailer and MRML from touching them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Profile:
    name: str
    #: Unsubscribe link tag, or "" when the URL comes from settings (generic).
    unsubscribe: str
    preferences: str
    #: View-online tag, or "" to link to the web archive page.
    view_online: str
    #: Writes a recipient placeholder (name, fallback) in the service's own form.
    placeholder: Callable[[str, str], str]
    #: Every tag form this service uses, as a regex: kept byte-exact through the pipeline.
    tag_pattern: str


_MAILCHIMP_NAMES = {"first_name": "FNAME", "last_name": "LNAME", "email": "EMAIL"}


def _mailchimp(name: str, fallback: str) -> str:
    return f"*|{_MAILCHIMP_NAMES.get(name, name.upper())}|*"


def _fallback_only(name: str, fallback: str) -> str:
    return fallback


PROFILES: dict[str, Profile] = {
    "generic": Profile("generic", "", "", "", _fallback_only, r"(?!)"),
    "mailchimp": Profile(
        "mailchimp", "*|UNSUB|*", "*|UPDATE_PROFILE|*", "*|ARCHIVE|*", _mailchimp, r"\*\|[A-Za-z0-9_:]+\|\*"
    ),
    "sendgrid": Profile(
        "sendgrid",
        "{{{unsubscribe}}}",
        "{{{unsubscribe_preferences}}}",
        "",
        lambda n, f: "{{" + n + "}}",
        r"\{\{\{?\s*[A-Za-z0-9_.:]+\s*\}?\}\}|<%[A-Za-z0-9_]+%>",
    ),
    "mailgun": Profile(
        "mailgun",
        "%unsubscribe_url%",
        "%unsubscribe_url%",
        "",
        lambda n, f: f"%recipient.{n}%",
        r"%[A-Za-z0-9_.]+%",
    ),
    "buttondown": Profile(
        "buttondown",
        "{{ unsubscribe_url }}",
        "{{ unsubscribe_url }}",
        "{{ email_url }}",
        lambda n, f: "{{ subscriber.metadata." + n + " }}",
        r"\{\{\s*[A-Za-z0-9_.]+\s*\}\}",
    ),
    "postmark": Profile(
        "postmark",
        "{{{ pm:unsubscribe }}}",
        "{{{ pm:unsubscribe }}}",
        "",
        lambda n, f: "{{ " + n + " }}",
        r"\{\{\{?\s*[A-Za-z0-9_.:]+\s*\}?\}\}",
    ),
}

#: Tags of every service, as they may appear in content or settings.
ANY_TAG = re.compile(
    r"\*\|[A-Za-z0-9_:]+\|\*"  # Mailchimp
    r"|\{\{\{?\s*[A-Za-z0-9_.:]+\s*\}?\}\}"  # SendGrid, Buttondown, Postmark
    r"|<%[A-Za-z0-9_]+%>"  # SendGrid API
    r"|%[A-Za-z0-9_.]+%"  # Mailgun
)


def is_tag(value: str) -> bool:
    """True when the whole value is one email-service tag (allowed as a link target)."""
    return bool(ANY_TAG.fullmatch(value.strip()))
