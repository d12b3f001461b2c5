"""Sending one message over SMTP (smtplib), with errors a person can act on.

Every failure becomes one SendError line naming the server and what went wrong; the
password is never part of any message (smtplib's own errors carry only the server's
reply, and we never echo the credentials).
"""

from __future__ import annotations

import email.utils
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from newsletter.deliver.eml import POLICY
from newsletter.errors import NewsletterError, Problem

SECURITY = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class SendError(NewsletterError):
    """A test send failed: refused connection, TLS, authentication, or a refused address."""


@dataclass
class SmtpTarget:
    """Where send-test connects, and how."""

    host: str
    port: int
    security: str = "none"
    user: str = ""
    #: Never printed or logged; repr hides it.
    password: str = field(default="", repr=False)
    #: A CA bundle to trust (for a private or self-signed server certificate).
    cafile: str = ""
    timeout: float = 20.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def tls_context(cafile: str = "") -> ssl.SSLContext:
    """Certificate-verifying TLS; ``cafile`` adds trust (SSL_CERT_FILE works too)."""
    try:
        return ssl.create_default_context(cafile=cafile or None)
    except (OSError, ssl.SSLError) as e:
        raise SendError(Problem(cafile, 0, f"cannot read the CA file: {getattr(e, 'strerror', None) or e}")) from None


def _fail(target: SmtpTarget, message: str, hint: str = "") -> SendError:
    return SendError(Problem("", 0, f"SMTP {target.where}: {message}" + (f" ({hint})" if hint else "")))


def send_message(msg: EmailMessage, recipients: list[str], target: SmtpTarget) -> None:
    """Send ``msg`` to ``recipients``; raise SendError with one clear line on any failure."""
    if target.security not in SECURITY:
        raise _fail(target, f"unknown security '{target.security}'", "use none, starttls or ssl")
    context = tls_context(target.cafile) if target.security != "none" else None
    try:
        client: smtplib.SMTP
        if target.security == "ssl":
            client = smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
        with client:
            client.ehlo()
            if target.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if target.user:
                client.login(target.user, target.password)
            # Not send_message: it writes the message with a generator that turns a line starting
            # "From " (the byline "From Ruth ...") into ">From ", as for an mbox file.
            sender = email.utils.parseaddr(str(msg["From"]))[1]
            if sender.isascii() and all(r.isascii() for r in recipients):
                refused = client.sendmail(sender, recipients, msg.as_bytes(policy=POLICY))
            else:  # as send_message does for an address that isn't ASCII
                refused = client.sendmail(sender, recipients, msg.as_bytes(policy=POLICY.clone(utf8=True)),
                                          mail_options=("SMTPUTF8", "BODY=8BITMIME"))
        if refused:  # some recipients were refused (smtplib raises only when all of them are)
            got = [r for r in recipients if r not in refused]
            said = "; ".join(f"{r}: {_reply(*refused[r])}" for r in sorted(refused))
            raise _fail(target, f"recipient refused: {said}", f"sent to {', '.join(got)} only")
    except ConnectionRefusedError:
        raise _fail(target, "connection refused", "is the server running, and is the port right?") from None
    except ssl.SSLCertVerificationError as e:
        raise _fail(target, f"TLS certificate not trusted: {e.verify_message}",
                    "pass --cafile with the server's CA certificate") from None
    except ssl.SSLError as e:
        hint = ("the port may expect --starttls or plain SMTP" if target.security == "ssl"
                else "the port may expect --ssl")
        raise _fail(target, f"TLS failed: {e.reason or e}", hint) from None
    except smtplib.SMTPAuthenticationError as e:
        raise _fail(target, f"authentication failed for user '{target.user}': {_reply(e.smtp_code, e.smtp_error)}",
                    "check the user and NEWSLETTER_SMTP_PASSWORD") from None
    except smtplib.SMTPNotSupportedError as e:
        said = str(e).upper()
        if "STARTTLS" in said:
            raise _fail(target, "server does not support STARTTLS", "try --ssl, or no TLS option") from None
        if "AUTH" in said:
            raise _fail(target, "server does not offer a login (SMTP AUTH)",
                        "leave out --user, or add --starttls: many servers offer AUTH only over TLS") from None
        if "SMTPUTF8" in said:
            raise _fail(target, "server does not support SMTPUTF8, which an address that isn't ASCII needs",
                        "use an ASCII address") from None
        raise _fail(target, "server does not support the command") from None
    except smtplib.SMTPRecipientsRefused as e:
        raise _fail(target, f"recipient refused: {', '.join(sorted(e.recipients))}") from None
    except smtplib.SMTPSenderRefused as e:
        hint = ""
        if e.smtp_code == 530:  # authentication required
            plain = target.security == "none"
            if not target.user:
                hint = "log in with --user NAME (password from NEWSLETTER_SMTP_PASSWORD)" + (
                    ", over --starttls or --ssl" if plain else "")
            elif plain:
                hint = "the server may accept the login only over --starttls or --ssl"
        raise _fail(target, f"sender {e.sender} refused: {_reply(e.smtp_code, e.smtp_error)}", hint) from None
    except smtplib.SMTPResponseException as e:
        raise _fail(target, f"server said {_reply(e.smtp_code, e.smtp_error)}") from None
    except smtplib.SMTPServerDisconnected as e:
        if "timed out" in str(e):  # smtplib reports a reply that never came as a disconnection
            raise _fail(target, f"no answer within {target.timeout:g} s") from None
        hint = "wrong port, or does it expect --ssl?" if target.security != "ssl" else "wrong port?"
        raise _fail(target, "server closed the connection", hint) from None
    except smtplib.SMTPException as e:
        raise _fail(target, str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    except socket.gaierror:
        raise _fail(target, "unknown host") from None
    except (TimeoutError, socket.timeout):
        raise _fail(target, f"no answer within {target.timeout:g} s") from None
    except OSError as e:
        raise _fail(target, f"cannot connect: {e.strerror or e}") from None


def _reply(code: int, error: bytes | str) -> str:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return f"{code} {' '.join(text.split())}"
