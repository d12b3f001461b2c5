"""`newsletter send-test` against a real SMTP server (aiosmtpd) on 127.0.0.1 in this process:
plain, STARTTLS with a self-signed certificate made here, authentication, and failures."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import ssl
from email import policy
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from conftest import free_port
from newsletter.cli import cli
from newsletter.commands.send_test import sample_text
from newsletter.deliver.esp import ANY_TAG

SLUG = "2026-06-02-tides"
PAGE = f"https://dispatch.example/issues/{SLUG}/"
PASSWORD = "s3cret-Pa55word-never-printed"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted"


def start(handler: Inbox, **kw: Any) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kw)
    controller.start()
    return controller


@pytest.fixture
def tagged(workspace: Path) -> Path:
    """The minimal workspace, Mailchimp profile, with placeholders in the content."""
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "esp: mailchimp\n", encoding="utf-8")
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables', 'subject: "%%first_name|Hello%%: tide tables').replace(
        "Good morning. This is the intro.",
        "Good morning, %%first_name|reader%%. Sent to %%email%%. See [the archive](*|ARCHIVE|*)."),
        encoding="utf-8")
    return workspace


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, Controller]]:
    handler = Inbox()
    controller = start(handler)
    yield handler, controller
    controller.stop()


def send(args: list[str], env: dict[str, str] | None = None, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, ["send-test", SLUG, *args], env=env, input=input, catch_exceptions=False)


def parts(raw: bytes) -> tuple[email.message.EmailMessage, str, str]:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = list(msg.iter_parts())
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    return msg, plain.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def mime(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def test_sends_the_built_message_with_sample_values(tagged: Path, inbox: tuple[Inbox, Controller]) -> None:
    handler, controller = inbox
    result = send(["--to", "me@localhost,editor@localhost", "--smtp", f"127.0.0.1:{controller.port}"])
    assert result.exit_code == 0, result.output
    assert f"to me@localhost, editor@localhost via 127.0.0.1:{controller.port}" in result.output
    assert len(handler.messages) == 1
    mail_from, rcpts, raw = handler.messages[0]
    assert mail_from == "desk@dispatch.example"
    assert rcpts == ["me@localhost", "editor@localhost"]
    msg, text, html = parts(raw)
    assert msg["Subject"] == "[TEST] Sample: tide tables for the week"
    assert msg["To"] == "me@localhost, editor@localhost"
    out = tagged / "out" / SLUG
    built_html = (out / "email.html").read_text(encoding="utf-8")
    built_text = (out / "email.txt").read_text(encoding="utf-8")
    # The built parts, modulo the tag replacement.
    assert html == mime(sample_text(built_html, email="me@localhost", link=PAGE, escape=True))
    assert text == mime(sample_text(built_text, email="me@localhost", link=PAGE, escape=False))
    # The replacement itself: what a reader would see, and no tag left anywhere.
    assert "*|" in built_html and "*|" in built_text
    assert "Good morning, Sample. Sent to me@localhost." in " ".join(text.split())
    assert "Good morning, Sample. Sent to me@localhost." in html
    assert f'href="{PAGE}"' in html and "Unsubscribe: " + PAGE in text
    assert not ANY_TAG.search(html) and not ANY_TAG.search(text)
    # A fresh Message-ID and Date, unlike the file's deterministic ones.
    file_msg = email.message_from_bytes((out / "email.eml").read_bytes(), policy=policy.default)
    assert msg["Message-ID"] != file_msg["Message-ID"]
    sent = email.utils.parsedate_to_datetime(msg["Date"])
    assert abs((sent - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 3600


def test_a_line_starting_with_from_arrives_as_written(tagged: Path, inbox: tuple[Inbox, Controller]) -> None:
    """smtplib's send_message wrote the byline "From Ruth ..." as ">From Ruth ..." (mbox quoting)."""
    handler, controller = inbox
    issue = tagged / "issues" / f"{SLUG}.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("\n---\n", "\nauthor: Ruth Abernathy\n---\n", 1),
                     encoding="utf-8")
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}"])
    assert result.exit_code == 0, result.output
    built = (tagged / "out" / SLUG / "email.txt").read_text(encoding="utf-8")
    assert "\nFrom Ruth Abernathy" in built
    _, text, _ = parts(handler.messages[0][2])
    assert "\nFrom Ruth Abernathy" in text and ">From" not in text
    assert text == mime(sample_text(built, email="me@localhost", link=PAGE, escape=False))


def test_defaults_come_from_settings(tagged: Path, inbox: tuple[Inbox, Controller]) -> None:
    handler, controller = inbox
    cfg = tagged / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8")
                   + f"smtp:\n  host: 127.0.0.1\n  port: {controller.port}\n  to: desk@localhost\n", encoding="utf-8")
    result = send([])
    assert result.exit_code == 0, result.output
    assert handler.messages[0][1] == ["desk@localhost"]


def test_closed_port_is_one_clear_line(tagged: Path) -> None:
    port = free_port()  # nothing listens there
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: SMTP 127.0.0.1:{port}: connection refused (is the server running, and is the port right?)"]


# ---- authentication --------------------------------------------------------


class Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()
        self.attempts = 0

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        self.attempts += 1
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (self.user, self.password)
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_inbox() -> Iterator[tuple[Inbox, Controller, Authenticator]]:
    handler = Inbox()
    auth = Authenticator("editor", PASSWORD)
    controller = start(handler, authenticator=auth, auth_require_tls=False)
    yield handler, controller, auth
    controller.stop()


def test_login_with_password_from_environment(tagged: Path, auth_inbox: Any) -> None:
    handler, controller, auth = auth_inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--user", "editor"],
                  env={"NEWSLETTER_SMTP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert auth.attempts >= 1 and len(handler.messages) == 1
    assert PASSWORD not in result.output


def test_password_prompt_is_hidden(tagged: Path, auth_inbox: Any) -> None:
    handler, controller, _ = auth_inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--user", "editor"],
                  env={"NEWSLETTER_SMTP_PASSWORD": None}, input=PASSWORD + "\n")  # type: ignore[dict-item]
    assert result.exit_code == 0, result.output
    assert "SMTP password for editor" in result.output
    assert PASSWORD not in result.output
    assert len(handler.messages) == 1


def test_a_password_neither_set_nor_piped_is_one_error_line(tagged: Path, auth_inbox: Any) -> None:
    # With no terminal, getpass printed GetPassWarning lines and then "Aborted!".
    _, controller, _ = auth_inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--user", "editor"],
                  env={"NEWSLETTER_SMTP_PASSWORD": None}, input="")  # type: ignore[dict-item]
    assert result.exit_code == 1
    assert "Warning" not in result.output and "Aborted" not in result.output
    assert result.output.rstrip().endswith("Error: --user editor needs a password: none was piped in, and there is "
                                           "no terminal to ask for it (set NEWSLETTER_SMTP_PASSWORD)")


def test_authentication_failure_is_one_line_without_the_secret(tagged: Path, auth_inbox: Any) -> None:
    handler, controller, auth = auth_inbox
    wrong = "wrong-" + PASSWORD
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--user", "editor"],
                  env={"NEWSLETTER_SMTP_PASSWORD": wrong})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: SMTP 127.0.0.1:{controller.port}: authentication failed for user 'editor': 535")
    assert "NEWSLETTER_SMTP_PASSWORD" in lines[0]
    assert wrong not in result.output and PASSWORD not in result.output
    assert auth.attempts >= 1 and handler.messages == []


# ---- STARTTLS with a self-signed certificate made here ---------------------------


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_inbox(tmp_path: Path) -> Iterator[tuple[Inbox, Controller, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Inbox()
    controller = start(handler, tls_context=context, require_starttls=True)
    yield handler, controller, cert
    controller.stop()


def test_starttls_with_a_trusted_self_signed_certificate(tagged: Path, tls_inbox: Any) -> None:
    handler, controller, cert = tls_inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--starttls",
                   "--cafile", str(cert)])
    assert result.exit_code == 0, result.output
    assert "(starttls)" in result.output
    _, text, _ = parts(handler.messages[0][2])
    assert "Good morning, Sample." in text


def test_starttls_trust_through_ssl_cert_file(tagged: Path, tls_inbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    handler, controller, cert = tls_inbox
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--starttls"])
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == 1


def test_untrusted_certificate_is_a_tls_error(tagged: Path, tls_inbox: Any) -> None:
    handler, controller, _ = tls_inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--starttls"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: SMTP 127.0.0.1:{controller.port}: TLS certificate not trusted")
    assert "--cafile" in lines[0]
    assert handler.messages == []


def test_server_requiring_starttls_refuses_a_plain_send(tagged: Path, tls_inbox: Any) -> None:
    handler, controller, _ = tls_inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"Error: SMTP 127.0.0.1:{controller.port}: ")
    assert handler.messages == []


def test_ssl_against_a_plain_server_is_a_tls_error(tagged: Path, inbox: tuple[Inbox, Controller]) -> None:
    _, controller = inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--ssl"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: SMTP 127.0.0.1:{controller.port}: ")
    assert "Traceback" not in result.output


# ---- bad arguments --------------------------------------------------------------


@pytest.mark.parametrize("order", [["--starttls", "--ssl"], ["--ssl", "--starttls"]])
def test_starttls_and_ssl_together_are_refused(tagged: Path, inbox: tuple[Inbox, Controller], order: list[str]) -> None:
    """Both flags used to set one value, the last winning without a word."""
    handler, controller = inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", *order])
    assert result.exit_code == 2
    assert result.output.endswith("Error: --starttls and --ssl are two ways to use TLS: pass one of them\n")
    assert handler.messages == []


def test_bad_recipient_and_unknown_issue(tagged: Path) -> None:
    result = send(["--to", "not-an-address"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: 'not-an-address' is not an email address (--to takes ADDR[,ADDR])"
    result = CliRunner().invoke(cli, ["send-test", "no-such-issue", "--to", "me@localhost"])
    assert result.exit_code == 1
    assert "no issue 'no-such-issue'" in result.output


def test_no_password_flag_exists() -> None:
    result = CliRunner().invoke(cli, ["send-test", "--help"])
    assert "--password" not in result.output
    assert "NEWSLETTER_SMTP_PASSWORD" in result.output


def test_ssl_from_the_start(tagged: Path, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Inbox()
    controller = start(handler, ssl_context=context)
    try:
        result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--ssl", "--cafile", str(cert)])
        assert result.exit_code == 0, result.output
        assert "(ssl)" in result.output and len(handler.messages) == 1
        result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--ssl"])
        assert result.exit_code == 1
        assert "TLS certificate not trusted" in result.output and len(handler.messages) == 1
    finally:
        controller.stop()


def test_long_list_unsubscribe_survives_the_send_unfolded(tagged: Path, inbox: tuple[Inbox, Controller]) -> None:
    handler, controller = inbox
    url = "https://dispatch.example/unsubscribe?token=" + "f00d" * 60
    cfg = tagged / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("esp: mailchimp\n", "").replace(
        "unsubscribe_url: https://dispatch.example/unsubscribe", f"unsubscribe_url: {url}"), encoding="utf-8")
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}"])
    assert result.exit_code == 0, result.output
    head = handler.messages[0][2].split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert f"List-Unsubscribe: <{url}>".encode() in head
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in head


# ---- refusals and what the server doesn't offer ------------------------------------------


class PickyInbox(Inbox):
    """Refuses one mailbox at RCPT, as a server refuses an address it doesn't know."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_among_others_is_an_error_naming_it(tagged: Path) -> None:
    handler = PickyInbox()
    controller = start(handler)
    try:
        result = send(["--to", "me@localhost,nobody@localhost", "--smtp", f"127.0.0.1:{controller.port}"])
    finally:
        controller.stop()
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: SMTP 127.0.0.1:{controller.port}: recipient refused: nobody@localhost: 550 5.1.1 No such user "
        "here (sent to me@localhost only)"]
    assert [rcpts for _, rcpts, _ in handler.messages] == [["me@localhost"]]


def test_a_login_the_server_does_not_offer_says_so(tagged: Path, inbox: tuple[Inbox, Controller]) -> None:
    handler, controller = inbox
    result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}", "--user", "editor"],
                  env={"NEWSLETTER_SMTP_PASSWORD": PASSWORD})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: SMTP 127.0.0.1:{controller.port}: server does not offer a login (SMTP AUTH) (leave out --user, "
        "or add --starttls: many servers offer AUTH only over TLS)"]
    assert handler.messages == []


def test_a_server_that_wants_a_login_gets_a_hint_to_give_one(tagged: Path) -> None:
    handler = Inbox()
    controller = start(handler, authenticator=Authenticator("editor", PASSWORD), auth_require_tls=False,
                       auth_required=True)
    try:
        result = send(["--to", "me@localhost", "--smtp", f"127.0.0.1:{controller.port}"])
    finally:
        controller.stop()
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and " refused: 530 " in lines[0]
    assert lines[0].endswith("(log in with --user NAME (password from NEWSLETTER_SMTP_PASSWORD), over --starttls or --ssl)")
