"""build_eml writes the message the email package writes: the same headers byte for byte, bodies that decode the same."""

from __future__ import annotations

import dataclasses
import email
import quopri
from email import policy, quoprimime
from pathlib import Path

from hypothesis import example, given, settings as hsettings, strategies as st

from newsletter.build import render_issue
from newsletter.deliver.eml import POLICY, _qp_part, build_eml, build_message, qp_body
from newsletter.workspace import open_workspace

# Characters that exercise every branch of the encoder: "=", line ends of each kind, trailing
# whitespace, controls that str.splitlines() would split on, and multi-byte UTF-8.
_ALPHABET = st.sampled_from(list("ab =\t\n\r.\x0b\x0c\x1c\x85é—€\U0001f30a") + ["x" * 70, "=" * 3])


@hsettings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_qp_body_is_the_email_packages_encoding(text: str) -> None:
    body = text.encode("utf-8").decode("latin-1")  # what the email package encodes: UTF-8 bytes
    assert qp_body(body) == quoprimime.body_encode(body, 76)


@hsettings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
@example("a\x0b" + "x" * 70 + " ")  # binascii writes this line as 77 characters: qp_body takes over
@example("x" * 74 + "\t\n" + "y" * 75 + " ")
def test_a_body_decodes_to_what_the_email_package_would_send(text: str) -> None:
    encoded = _qp_part(text)
    lines = encoded.split(b"\r\n")
    assert lines[-1] == b"" and all(len(line) <= 76 for line in lines)  # RFC 2045
    assert all(32 <= b < 127 or b == 9 for line in lines for b in line)  # 7-bit, no bare CR or LF
    assert not any(line.endswith((b" ", b"\t")) for line in lines)  # trailing whitespace quoted
    expected = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"  # what set_content makes of it
    assert quopri.decodestring(encoded.replace(b"\r\n", b"\n")) == expected


def _reference(*, html: str, text: str, issue, settings, unsubscribe_url: str) -> bytes:  # type: ignore[no-untyped-def]
    from newsletter.deliver.esp import PROFILES, fill_placeholders

    subject = fill_placeholders(issue.subject, PROFILES[settings.esp])
    return build_message(html=html, text=text, subject=subject, settings=settings, issue=issue,
                         unsubscribe_url=unsubscribe_url).as_bytes(policy=POLICY)


def test_build_eml_equals_the_email_package(workspace: Path) -> None:
    ws = open_workspace(workspace)
    path = ws.issue_files()[0]
    result = render_issue(ws, path, extras=False)
    long_unsub = "https://dispatch.example/u/" + "a" * 300
    variants = [
        (result.issue, ws.settings, "", result.html, result.text),
        # A non-ASCII subject that also contains the stand-in's text, a long List-Unsubscribe.
        (dataclasses.replace(result.issue, subject="Tides — NLEMLSTANDINTEXTBODY NLEMLSTANDINHTMLBODY"),
         dataclasses.replace(ws.settings, unsubscribe_email="leave@dispatch.example"), long_unsub,
         result.html + "NLEMLSTANDINHTMLBODY \n", "NLEMLSTANDINTEXTBODY\r\n" + result.text + "\t"),
        (result.issue, ws.settings, "*|UNSUB|*", "=" * 300, "é" * 120),
        # Headers written per issue next to ones kept from an earlier message: a subject long
        # enough to fold, a non-ASCII sender, another reply-to, an issue with its own time.
        (dataclasses.replace(result.issue, subject="Überfahrt " * 130, slug="other-slug",
                             updated=__import__("datetime").datetime(2026, 7, 1, 9, 30)),
         dataclasses.replace(ws.settings, timezone="Europe/Berlin",
                             sender=dataclasses.replace(ws.settings.sender, name="Hafen–Notizen Ö",
                                                        reply_to="letters@dispatch.example")),
         "", result.html, result.text),
    ]
    for issue, settings, unsub, html, text in variants:
        fast = build_eml(html=html, text=text, issue=issue, settings=settings, unsubscribe_url=unsub)
        ref = _reference(html=html, text=text, issue=issue, settings=settings, unsubscribe_url=unsub)
        _assert_same_message(fast, ref)


def _assert_same_message(fast: bytes, ref: bytes) -> None:
    """The same headers, byte for byte, and parts that decode to the same text; only where the
    quoted-printable soft line breaks fall may differ."""
    split = b"\r\n\r\n"
    assert fast.split(split, 1)[0] == ref.split(split, 1)[0]  # the message's own headers
    a, b = (email.message_from_bytes(x, policy=policy.default) for x in (fast, ref))
    parts_a, parts_b = list(a.iter_parts()), list(b.iter_parts())
    assert [p.get_content_type() for p in parts_a] == [p.get_content_type() for p in parts_b] == [
        "text/plain", "text/html"]
    for pa, pb in zip(parts_a, parts_b):
        assert list(pa.items()) == list(pb.items())  # each part's headers
        assert pa.get_content() == pb.get_content()
    assert fast.count(b"\r\n") == fast.count(b"\n")  # CRLF only
    assert max(len(line) for line in fast.split(b"\r\n")) <= 998
