"""Every email-service profile, end to end: each tag comes out byte-exact where it was used,
in email.html and email.txt, through Jinja, MRML and premailer."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINIMAL_SETTINGS
from newsletter.cli import cli

SLUG = "2026-06-02-tags"
WEB = f"https://dispatch.example/issues/{SLUG}/"
FILLER = "This sentence is here only to push what follows towards the wrapping column of the text part, "

ISSUE = """\
---
subject: "Tags, kept exactly"
date: 2026-06-02
---
{filler}{filler}hello %%first_name|my friend%%, and %%last_name%% too.

# A story about tags

The lede. Your address is %%email%%. A raw Mailchimp tag: *|FNAME|*. Text that looks
like Jinja stays text: {{{{ 7*7 }}}} and {{% if x %}}.

## The News

See [the special page](<{link}>) and [a normal page](https://dispatch.example/page?a=1#frag).
"""

# name: (extra settings, content link tag, unsubscribe, preferences, view online, first, last, email)
PROFILES = {
    "mailchimp": ("", "*|ARCHIVE|*", "*|UNSUB|*", "*|UPDATE_PROFILE|*", "*|ARCHIVE|*",
                  "*|IF:FNAME|**|FNAME|**|ELSE:|*my friend*|END:IF|*", "*|LNAME|*", "*|EMAIL|*"),
    "sendgrid": ("", "{{{unsubscribe}}}", "{{{unsubscribe}}}", "{{{unsubscribe_preferences}}}", WEB,
                 '{{insert first_name "default=my friend"}}', "{{last_name}}", "{{email}}"),
    "mailgun": ("", "%unsubscribe_url%", "%unsubscribe_url%", "https://dispatch.example/preferences", WEB,
                "%recipient.first_name%", "%recipient.last_name%", "%recipient.email%"),
    "buttondown": ("", "{{ email_url }}", "{{ unsubscribe_url }}", "https://dispatch.example/preferences",
                   "{{ email_url }}",
                   "{% if subscriber.metadata.first_name %}{{ subscriber.metadata.first_name }}{% else %}my friend{% endif %}",
                   "{{ subscriber.metadata.last_name }}", "{{ subscriber.email }}"),
    "postmark": ("", "{{{ pm:unsubscribe }}}", "{{{ pm:unsubscribe }}}", "https://dispatch.example/preferences", WEB,
                 "{{#first_name}}{{ first_name }}{{/first_name}}{{^first_name}}my friend{{/first_name}}",
                 "{{ last_name }}", "{{ email }}"),
    # generic: the settings' URLs may hold any tag, here SendGrid's API forms that premailer mangles.
    "generic": ("unsubscribe_url: <%asm_group_unsubscribe_raw_url%>\npreferences_url: '{{ preferences_url }}'\n",
                "{{ preferences_url }}", "<%asm_group_unsubscribe_raw_url%>", "{{ preferences_url }}", WEB,
                "my friend", "", ""),
}


def _settings(profile: str, extra: str) -> str:
    lines = [line for line in MINIMAL_SETTINGS.splitlines()
             if not (extra and line.startswith(("unsubscribe_url:", "preferences_url:")))]
    return "\n".join(lines) + f"\nesp: {profile}\n" + extra


def build(root: Path, profile: str, extra: str, link: str) -> tuple[str, str]:
    (root / "issues").mkdir(parents=True, exist_ok=True)
    (root / "newsletter.yaml").write_text(_settings(profile, extra), encoding="utf-8")
    (root / "issues" / f"{SLUG}.md").write_text(ISSUE.format(filler=FILLER, link=link), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "-C", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = root / "out" / SLUG
    html, text = (out / "email.html").read_text(encoding="utf-8"), (out / "email.txt").read_text(encoding="utf-8")
    # The message file carries the same parts, tags included, once its transfer encoding is undone.
    msg = email.message_from_bytes((out / "email.eml").read_bytes(), policy=policy.default)
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == html + ("" if html.endswith("\n") else "\n")
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    return html, text


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_tag_is_byte_exact_in_both_parts(profile: str, tmp_path: Path) -> None:
    extra, link, unsub, prefs, view, first, last, email = PROFILES[profile]
    html, text = build(tmp_path / profile, profile, extra, link)

    # Links written by the profile: in the footer and masthead of the HTML, and the text.
    assert f'href="{unsub}"' in html
    assert f"Unsubscribe: {unsub}\n" in text
    assert f'href="{prefs}"' in html
    assert f"Manage preferences: {prefs}\n" in text
    assert f'href="{view}"' in html
    assert f"Read on the web:\n{view}\n" in text
    # A tag as a link target in the content.
    assert f'href="{link}"' in html
    assert f"the special page <{link}>" in text
    # Placeholders, written once as %%name%% in content, in the service's own form.
    for value in (first, last, email):
        if value:
            assert value in html, value
            assert value in text, value
    assert "%%" not in html and "%%" not in text
    # A tag written directly in the content.
    assert "*|FNAME|*" in html and "*|FNAME|*" in text
    # Content is never a template.
    assert "{{ 7*7 }}" in html and "{{ 7*7 }}" in text and "{% if x %}" in text
    assert "49" not in text
    # premailer's manglings never happen.
    for mangled in ("{{%20", "%20}}", "&lt;%", "%&gt;", "%7B%7B", "*%7C"):
        assert mangled not in html, mangled


def test_generic_without_tags_writes_fallbacks_and_urls(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 0
    html = (workspace / "out" / "2026-06-02-tides" / "email.html").read_text(encoding="utf-8")
    assert 'href="https://dispatch.example/unsubscribe"' in html
    assert 'href="https://dispatch.example/issues/2026-06-02-tides/"' in html


def test_unknown_profile_is_one_clear_error(workspace: Path) -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "esp: mailchimpp\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "unknown email service profile 'mailchimpp'" in result.output
    assert "did you mean 'mailchimp'?" in result.output
    assert "Traceback" not in result.output
