"""Unit behaviour of the email-service profiles: placeholder forms, tag detection, replacement."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsletter.cli import cli
from newsletter.deliver.esp import (
    PROFILES,
    clean_fallback,
    has_tag,
    is_tag,
    keep_together,
    replace_tags,
    sample_value,
    tag_name,
)


@pytest.mark.parametrize("profile, first, last", [
    ("mailchimp", "*|IF:FNAME|**|FNAME|**|ELSE:|*pal*|END:IF|*", "*|LNAME|*"),
    ("sendgrid", '{{insert first_name "default=pal"}}', "{{last_name}}"),
    ("mailgun", "%recipient.first_name%", "%recipient.last_name%"),
    ("buttondown", "{% if subscriber.metadata.first_name %}{{ subscriber.metadata.first_name }}{% else %}pal{% endif %}",
     "{{ subscriber.metadata.last_name }}"),
    ("postmark", "{{#first_name}}{{ first_name }}{{/first_name}}{{^first_name}}pal{{/first_name}}", "{{ last_name }}"),
    ("generic", "pal", ""),
])
def test_placeholder_forms(profile: str, first: str, last: str) -> None:
    write = PROFILES[profile].placeholder
    assert write("first_name", "pal") == first
    assert write("last_name", "") == last


def test_fallbacks_cannot_break_out_of_a_tag_or_into_markup() -> None:
    assert clean_fallback('<b>"x"</b> & {{y}} %z% *|w|* it\'s') == "bx/b y z w it's"
    for profile in PROFILES.values():
        if profile.name == "generic":
            continue  # writes the fallback as text, which the renderer escapes (tested end to end below)
        value = profile.placeholder("first_name", '<script>alert("x")</script>')
        assert "<" not in value and '"x"' not in value


def test_hostile_fallback_never_reaches_the_html_as_markup(workspace: Path) -> None:
    for esp in ("mailchimp", "generic"):
        cfg = workspace / "newsletter.yaml"
        base = cfg.read_text(encoding="utf-8").split("esp:")[0]
        cfg.write_text(base + f"esp: {esp}\n", encoding="utf-8")
        issue = workspace / "issues" / "2026-06-02-tides.md"
        issue.write_text(issue.read_text(encoding="utf-8").replace(
            "This is the intro.", "Hi %%first_name|<img src=x onerror=alert(1)>%%."), encoding="utf-8")
        assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
        html = (workspace / "out" / "2026-06-02-tides" / "email.html").read_text(encoding="utf-8")
        assert "<img src=x" not in html and "onerror=alert(1)>" not in html


def test_tag_detection() -> None:
    for tag in ("*|UNSUB|*", "*|MC:SUBJECT|*", "{{{unsubscribe}}}", "{{ unsubscribe_url }}", "{{{ pm:unsubscribe }}}",
                "<%asm_group_unsubscribe_raw_url%>", "%unsubscribe_url%", "%recipient.first_name%", "%recipient%"):
        assert is_tag(tag) and has_tag(f"x {tag} y"), tag
    # Percent-encoding is never a Mailgun tag.
    for text in ("https://a.example/caf%C3%A9bc%20d", "a%c3%a9bcd%20", "100%;width:50%", "https://a.example/%E2%80%99s%",
                 "https://wiki.example/k%c3%b6ln_hbf%2c_gleis", "https://a.example/%e2%80%9cad_hoc%e2%80%9d"):
        assert not has_tag(text), text
    assert has_tag("https://a.example/?id=*|UNIQID|*") and not is_tag("https://a.example/?id=*|UNIQID|*")


def test_tag_names() -> None:
    assert tag_name("*|FNAME|*") == "fname"
    assert tag_name("{{ subscriber.metadata.first_name }}") == "first_name"
    assert tag_name("{{{ pm:unsubscribe }}}") == "unsubscribe"
    assert tag_name("%recipient.email%") == "email"


def test_replace_tags_takes_composite_placeholders_whole() -> None:
    seen: list[tuple[str, str]] = []

    def record(name: str, fallback: str, raw: str) -> str:
        seen.append((name, fallback))
        return "X"

    text = ("a *|IF:FNAME|**|FNAME|**|ELSE:|*pal*|END:IF|* b {{insert first_name \"default=mate\"}} "
            "c {% if subscriber.metadata.first_name %}{{ subscriber.metadata.first_name }}{% else %}you{% endif %} "
            "d {{#first_name}}{{ first_name }}{{/first_name}}{{^first_name}}friend{{/first_name}} e *|UNSUB|*")
    assert replace_tags(text, record) == "a X b X c X d X e X"
    assert seen == [("fname", "pal"), ("first_name", "mate"), ("first_name", "you"), ("first_name", "friend"),
                    ("unsub", "")]


def test_sample_values() -> None:
    kw = {"email": "me@localhost", "link": "https://a.example/p/"}
    assert sample_value("fname", "", **kw) == "Sample"
    assert sample_value("last_name", "", **kw) == "Reader"
    assert sample_value("email", "", **kw) == "me@localhost"
    for link in ("unsub", "unsubscribe", "archive", "email_url", "asm_group_unsubscribe_raw_url", "update_profile"):
        assert sample_value(link, "", **kw) == "https://a.example/p/", link
    assert sample_value("company", "Acme", **kw) == "Acme"


def test_keep_together_only_touches_tags() -> None:
    text = "plain words {{ unsubscribe_url }} more"
    kept = keep_together(text)
    assert kept.startswith("plain words {{") and kept.endswith("}} more")
    assert " " not in kept[len("plain words "):-len(" more")]


def test_a_url_with_a_tag_inside_stays_exact_and_cannot_break_its_attribute(workspace: Path) -> None:
    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        "This is the intro.",
        'See [yours](https://dispatch.example/u?id=*|UNIQID|*&b=2) and '
        '[bad](https://dispatch.example/u?id=*|UNIQID|*&x=1"onmouseover="alert(1)).'), encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    out = workspace / "out" / "2026-06-02-tides"
    html = (out / "email.html").read_text(encoding="utf-8")
    assert 'href="https://dispatch.example/u?id=*|UNIQID|*&amp;b=2"' in html  # not %7C-encoded
    assert 'href="https://dispatch.example/u?id=*|UNIQID|*&amp;x=1&quot;onmouseover=&quot;alert(1)"' in html
    assert '"onmouseover="' not in html
    text = (out / "email.txt").read_text(encoding="utf-8")
    assert "<https://dispatch.example/u?id=*|UNIQID|*&b=2>" in text


_TAGS = [p.placeholder("first_name", "dear reader") for p in PROFILES.values() if p.name != "generic"] + [
    "{{ unsubscribe_url }}", "{{{ pm:unsubscribe }}}", "*|UNSUB|*", "%recipient.first_name%"]


@given(st.lists(st.one_of(st.sampled_from(_TAGS), st.from_regex(r"[a-z]{1,12}", fullmatch=True)), min_size=1, max_size=40),
       st.integers(min_value=20, max_value=90))
def test_wrapping_never_splits_a_tag(words: list[str], width: int) -> None:
    from newsletter.render.text import wrap

    wrapped = wrap(" ".join(words), width=width)
    assert " ".join(wrapped.split("\n")) == " ".join(words)
    for tag in set(words) & set(_TAGS):
        assert wrapped.count(tag) == words.count(tag), tag



_TAG_BITS = st.sampled_from(["*|", "|*", "FNAME", "IF:", "ELSE:", "END:IF", "{{", "}}", "{", "}", "{%", "%}",
                             "%", "<%", "%>", "<", "recipient", "first_name", "unsubscribe_url", "_", "a", " ",
                             "insert ", '"default=x"', "#", "^", "/", "if ", "else", "endif", "100%", "\n"])


@hsettings(max_examples=300, deadline=None)
@given(st.lists(_TAG_BITS, max_size=40).map("".join))
@example("width:100%; %recipient% and %unsubscribe_url%")
@example("<p>Hi <%asm_group_unsubscribe_raw_url%></p>")
@example("*|FNAME|* {{ first_name }} {{{unsubscribe}}} {% if name %}x{% else %}y{% endif %}")
def test_replace_tags_quick_test_never_changes_the_result(text: str) -> None:
    import re

    import newsletter.deliver.esp as esp

    def value(name: str, fallback: str, raw: str) -> str:
        return f"[{name}|{fallback}|{raw}]"

    quick = replace_tags(text, value)
    saved = esp._TAG_STARTS
    esp._TAG_STARTS = (re.compile(""),)  # matches every text: the full substitution always runs
    try:
        assert quick == replace_tags(text, value)
    finally:
        esp._TAG_STARTS = saved


def _set_esp(workspace: Path, esp: str, extra: str = "") -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").split("esp:")[0] + f"esp: {esp}\n{extra}", encoding="utf-8")


@pytest.mark.parametrize("esp", ["mailchimp", "sendgrid", "mailgun", "buttondown", "postmark"])
def test_a_subhead_in_capitals_keeps_its_tags_and_links_as_written(workspace: Path, esp: str) -> None:
    """The text part writes '### ' subheads in capitals: the words, never a tag or a URL."""
    _set_esp(workspace, esp, "utm:\n  source: dispatch\n")
    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8") + (
        "\n### Notes for %%first_name|you%% on [the Pilot Report](https://reports.example/Pilots/Q2.pdf?id=AbC)\n"
        "\nMore.\n"), encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    text = (workspace / "out" / "2026-06-02-tides" / "email.txt").read_text(encoding="utf-8")
    tag = PROFILES[esp].placeholder("first_name", "you")
    heading = " ".join(text.split("NOTES FOR", 1)[1].split("\n\n", 1)[0].split())
    assert heading.startswith(f"{tag} ON THE PILOT REPORT <https://reports.example/Pilots/Q2.pdf?id=AbC&utm_source=dispatch")


@pytest.mark.parametrize("esp", ["mailchimp", "generic"])
def test_a_placeholder_in_a_plain_field_is_its_fallback(workspace: Path, esp: str) -> None:
    """Alt text, captions, credits, a block's label and the preheader are never personalised:
    they show the fallback, as headlines do, never the raw %%...%%."""
    _set_esp(workspace, esp)
    issue = workspace / "issues" / "2026-06-02-tides.md"
    source = issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables for the week"',
        'subject: "Tide tables for the week"\npreheader: "A quick note for %%first_name|you%% about the tides."')
    issue.write_text(source + (
        '\n![Photo for %%first_name|you%%](https://dispatch.example/a.jpg "Taken for %%first_name|you%%")'
        '{credit="%%company|Harbor Photo%%"}\n'
        "\n::: sponsor Sponsor for %%company|you%%\nSupport the dispatch.\n:::\n"), encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    out = workspace / "out" / "2026-06-02-tides"
    for name in ("email.html", "email.txt"):
        written = (out / name).read_text(encoding="utf-8")
        assert "%%" not in written, name
    html = (out / "email.html").read_text(encoding="utf-8")
    assert "A quick note for you about the tides." in html
    assert 'alt="Photo for you"' in html and "Taken for you" in html and "Harbor Photo" in html
    text = (out / "email.txt").read_text(encoding="utf-8")
    assert "[Image: Photo for you]" in text and "SPONSOR FOR YOU" in text.upper()


def test_a_subhead_keeps_tags_urls_and_addresses_typed_as_text() -> None:
    from newsletter.render.text import capitals

    assert capitals("Hi %recipient.first_name%, see https://example.com/Path or mail Desk@X.example") == \
        "HI %recipient.first_name%, SEE https://example.com/Path OR MAIL Desk@X.example"
    assert capitals("Use {{ user.name }} here") == "USE {{ user.name }} HERE"
