"""The message file: out/<slug>/email.eml, the issue as one multipart/alternative email.

Plain text first, HTML second (clients show the last part they can render), both UTF-8
and quoted-printable, so no line is longer than 998 octets even though MRML's HTML is
nearly one line. Headers are written with a 998-column policy: the default policy folds
a long List-Unsubscribe URL into RFC 2047 encoded-words, which one-click unsubscribe
(RFC 8058) at Gmail and Outlook can't read.

Everything is derived from the issue and the settings, so the same input gives the same
bytes: Date comes from the issue date and Message-ID from the slug and sender domain.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.content import model as m
from newsletter.deliver.esp import PROFILES, fill_placeholders
from newsletter.settings import Sender, Settings
from newsletter.textbytes import utf8


class _Policy(policy.EmailPolicy):
    """SMTP's policy with headers folded at 998 columns (a List-Unsubscribe URL must stay
    one word), except a Subject that is not ASCII, folded within the 78 columns RFC 5322
    asks for: it is then written as encoded-words of at most 75 characters each (RFC 2047), not one of hundreds
    that some clients refuse to decode. An ASCII subject stays on its line. (A folded
    subject's line breaks go at spaces, which unfolding gives back, so a tag with spaces in
    it, SendGrid's insert form, reads the same once the header is unfolded.)"""

    def fold(self, name: str, value: str) -> str:
        if _encoded_subject(name, value):
            return str(_SUBJECT_POLICY.fold(name, value))
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if _encoded_subject(name, value):
            return bytes(_SUBJECT_POLICY.fold_binary(name, value))
        return bytes(super().fold_binary(name, value))


def _encoded_subject(name: str, value: str) -> bool:
    return name.lower() == "subject" and not str(value).isascii()


#: At 76 the email package writes no encoded-word over the 75 characters RFC 2047 allows
#: (at 77 or 78 it writes 76).
_SUBJECT_POLICY = policy.SMTP.clone(max_line_length=76)
#: SMTP line endings, headers folded at 998 columns (but the Subject): what the file is written with.
POLICY = _Policy(linesep="\r\n", max_line_length=998)
#: Building policy: bodies are quoted-printable at the usual 76 columns (RFC 2045).
_BODY_POLICY = policy.SMTP.clone(max_line_length=76)


def issue_datetime(issue: m.Issue, tz_name: str = "") -> dt.datetime:
    """When the issue is dated: its 'updated' time (one without an offset in the newsletter's
    timezone, as its 'Updated' line reads it), else its publication time. Deterministic."""
    if issue.updated is not None:
        t = issue.updated
        return t if t.tzinfo is not None else t.replace(tzinfo=_zone(tz_name))
    return published_datetime(issue, tz_name)


def published_datetime(issue: m.Issue, tz_name: str = "") -> dt.datetime:
    """06:00 on the issue's date in the newsletter's timezone (UTC when none is set)."""
    return dt.datetime.combine(issue.date, dt.time(6, 0), tzinfo=_zone(tz_name))


def _zone(tz_name: str) -> dt.tzinfo:
    if tz_name:
        try:
            return ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.timezone.utc


def message_id(slug: str, sender_email: str) -> str:
    domain = sender_email.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(f"{slug}\0{sender_email}".encode("utf-8")).hexdigest()[:16]
    return f"<{quote(slug, safe='')}.{digest}@{domain}>"  # a msg-id has no spaces or accents


def _address(name: str, email: str) -> Address:
    local, _, domain = email.strip().rpartition("@")
    return Address(display_name=name.strip(), username=local, domain=domain)


def list_unsubscribe(unsubscribe_url: str, unsubscribe_email: str = "") -> str:
    """The List-Unsubscribe value, or "" when there is no https URL (an email-service tag
    is left to the service, which writes its own header)."""
    if not unsubscribe_url.startswith("https://"):
        return ""
    value = f"<{unsubscribe_url}>"
    if unsubscribe_email:
        value += f", <mailto:{unsubscribe_email}?subject=unsubscribe>"
    return value


def build_message(*, html: str, text: str, subject: str, settings: Settings, issue: m.Issue,
                  unsubscribe_url: str = "") -> EmailMessage:
    """The issue as an EmailMessage (headers in place, parts in order)."""
    msg = EmailMessage(policy=_BODY_POLICY)
    sender = _address(settings.sender.name or settings.name, settings.sender.email)
    msg["From"] = sender
    # The service fills in each reader; without a To the message looks malformed to filters.
    msg["To"] = "undisclosed-recipients:;"
    msg["Reply-To"] = _address(settings.sender.name or settings.name, settings.sender.reply_to or settings.sender.email)
    msg["Subject"] = subject  # the policy writes RFC 2047 words only when it isn't ASCII
    msg["Date"] = format_datetime(issue_datetime(issue, settings.timezone))
    msg["Message-ID"] = message_id(issue.slug, settings.sender.email)
    unsub = list_unsubscribe(unsubscribe_url, getattr(settings, "unsubscribe_email", ""))
    if unsub:
        msg["List-Unsubscribe"] = unsub
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg.set_boundary(_boundary(text, html))
    # From here on (as_bytes, smtplib's send_message) headers are written with the 998 policy.
    msg.policy = POLICY
    return msg


def build_eml(*, html: str, text: str, issue: m.Issue, settings: Settings, unsubscribe_url: str = "") -> bytes:
    """email.eml's bytes (MIME-Version, From, Reply-To, Subject, Date, Message-ID,
    List-Unsubscribe when an https unsubscribe URL is known, then the two parts).

    The message ``build_message(...).as_bytes(policy=POLICY)`` writes (the same headers
    byte for byte, the same decoded parts), made faster. The email package writes the
    message once per sender and unsubscribe link (``_frame``), with stand-ins for what each
    issue has of its own: Subject, Date, Message-ID, the boundary and the two bodies. Each
    issue's headers are written by the same header classes and policy, and its bodies,
    quoted-printable encoded in C (``_qp_part``), are put in the bodies' places."""
    subject = fill_placeholders(issue.subject, PROFILES[settings.esp])
    out = _frame(settings.sender.name or settings.name, settings.sender.email,
                 settings.sender.reply_to or settings.sender.email, getattr(settings, "unsubscribe_email", ""),
                 unsubscribe_url)
    for name, stand_in, value in (
        ("Subject", _SUBJECT_STAND_IN, subject),
        ("Date", _DATE_STAND_IN, format_datetime(issue_datetime(issue, settings.timezone))),
        ("Message-ID", _ID_STAND_IN, message_id(issue.slug, settings.sender.email)),
    ):
        out = out.replace(f"{name}: {stand_in}\r\n".encode("ascii"), _header(name, value), 1)
    out = out.replace(_BOUNDARY_STAND_IN.encode("ascii"), _boundary(text, html).encode("ascii"))
    # The stand-ins are the last things in their parts: the HTML's is the last occurrence in
    # the file, the text's the last one before it (a header can't come after a body).
    at_html = out.rindex(_HTML_STAND_IN_BYTES)
    at_text = out.rindex(_TEXT_STAND_IN_BYTES, 0, at_html)
    return b"".join((
        out[:at_text], _qp_part(text),
        out[at_text + len(_TEXT_STAND_IN_BYTES):at_html], _qp_part(html),
        out[at_html + len(_HTML_STAND_IN_BYTES):],
    ))


@lru_cache(maxsize=256)
def _header(name: str, value: str) -> bytes:
    """One header line as POLICY writes it (the email package's header classes parse the value:
    about 0.1 ms each). Remembered: the preview's rebuilds write the same three again."""
    return POLICY.fold_binary(name, POLICY.header_factory(name, value))


@lru_cache(maxsize=16)
def _frame(sender_name: str, sender_email: str, reply_to: str, unsubscribe_email: str,
           unsubscribe_url: str) -> bytes:
    """The message as the email package writes it, with stand-ins for each issue's own parts.
    From, To, Reply-To and List-Unsubscribe (address parsing, the slow part) are written here
    once; they depend only on the arguments."""
    settings = Settings(name=sender_name, sender=Sender(name=sender_name, email=sender_email, reply_to=reply_to),
                        unsubscribe_email=unsubscribe_email)
    issue = m.Issue(path="", slug="", subject="", date=_EPOCH.date(), preheader="", intro=(), items=())
    msg = build_message(html=_HTML_STAND_IN, text=_TEXT_STAND_IN, subject=_SUBJECT_STAND_IN, settings=settings,
                        issue=issue, unsubscribe_url=unsubscribe_url)
    msg.replace_header("Date", _DATE_STAND_IN)
    msg.replace_header("Message-ID", _ID_STAND_IN)
    msg.set_boundary(_BOUNDARY_STAND_IN)
    return msg.as_bytes(policy=POLICY)


_TEXT_STAND_IN = "NLEMLSTANDINTEXTBODY"
_HTML_STAND_IN = "NLEMLSTANDINHTMLBODY"
# How each stand-in appears in the file: one line, the SMTP line ending after it.
_TEXT_STAND_IN_BYTES = (_TEXT_STAND_IN + "\r\n").encode("ascii")
_HTML_STAND_IN_BYTES = (_HTML_STAND_IN + "\r\n").encode("ascii")
_SUBJECT_STAND_IN = "NLEMLSTANDINSUBJECT"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_DATE_STAND_IN = format_datetime(_EPOCH)
_ID_STAND_IN = "<nlemlstandin@message.id>"
#: As long as a real boundary (``_boundary``), so every line it is on folds the same.
_BOUNDARY_STAND_IN = "=_nl_" + "NLEMLSTANDINBOUNDARY0000"


def _boundary(text: str, html: str) -> str:
    """A boundary from the content instead of a random one: same input, same bytes."""
    digest = hashlib.sha256(utf8(text))  # the UTF-8 of text + "\0" + html
    digest.update(b"\0")
    digest.update(utf8(html))
    return "=_nl_" + digest.hexdigest()[:24]


def _qp_part(body: str) -> bytes:
    """One part's body: UTF-8, line endings normalised (as the email package's set_content
    does), quoted-printable (RFC 2045: lines of at most 76 characters, soft breaks, "=" and
    non-ASCII quoted, whitespace at a line's end quoted), CRLF line endings.

    binascii's C encoder first, about twice as fast as the email package's Python one on a
    55 KB email (its soft breaks fall elsewhere; what a client decodes is the same). It can
    write a 77- or 78-character line where whitespace ends a line near the limit, so then
    the body is encoded again with ``qp_body``, the email package's algorithm."""
    data = b"\n".join(utf8(body).splitlines()) + b"\n"
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    if max(map(len, encoded.split(b"\n"))) > 76:
        encoded = qp_body(data.decode("latin-1")).encode("ascii")
    return encoded.replace(b"\n", b"\r\n")


#: What quoted-printable quotes in a body besides "=" (which qp_body replaces first): all but
#: printable ASCII, tab, CR and LF.
#: (Over the body's bytes: a bytes pattern scans about twice as fast as the same one over str.)
_QP_UNSAFE_BYTES = re.compile(rb"[^\t\n\r -~]")


def qp_body(body: str, maxlinelen: int = 76) -> str:
    """``email.quoprimime.body_encode(body, maxlinelen)``, character for character (tested
    against it), for a ``body`` of code points below 256. The email package quotes with
    ``str.translate`` through a 256-entry table, slow on text that is mostly ASCII; here "="
    is replaced by C code and the rare others one match at a time."""
    if not body:
        return body
    body = _QP_UNSAFE_BYTES.sub(lambda c: b"=%02X" % c.group()[0],
                                body.encode("latin-1").replace(b"=", b"=3D")).decode("ascii")
    maxlinelen1 = maxlinelen - 1
    encoded: list[str] = []
    append = encoded.append
    for line in body.splitlines():
        start = 0
        laststart = len(line) - 1 - maxlinelen
        while start <= laststart:
            stop = start + maxlinelen1
            if line[stop - 2] == "=":  # never break inside an =XX escape
                append(line[start:stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                append(line[start:stop])
                start = stop - 1
            else:
                append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":  # whitespace at the end of a line is quoted
            room = start - laststart
            if room >= 3:
                q = f"={ord(line[-1]):02X}"
            elif room == 2:
                q = line[-1] + "=\n"
            else:
                q = f"=\n={ord(line[-1]):02X}"
            append(line[start:-1] + q)
        else:
            append(line[start:])
    if body[-1] in "\r\n":
        append("")
    return "\n".join(encoded)

