"""UTM link tagging: unit behaviour of tag_url and the whole build with settings.utm."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from newsletter.cli import cli
from newsletter.deliver.utm import tag_url, utm_params
from newsletter.settings import Utm

P = [("utm_source", "newsletter"), ("utm_medium", "email"), ("utm_campaign", "tides")]


def test_params_and_defaults() -> None:
    assert utm_params(Utm(), "slug") == []  # no source: tagging is off
    assert utm_params(Utm(source="nl"), "2026-06-02-tides") == [
        ("utm_source", "nl"), ("utm_medium", "email"), ("utm_campaign", "2026-06-02-tides")]
    assert utm_params(Utm(source="nl", medium="", campaign="june"), "x") == [
        ("utm_source", "nl"), ("utm_campaign", "june")]


def test_adds_parameters_keeping_query_and_fragment() -> None:
    assert tag_url("https://a.example/p", P) == \
        "https://a.example/p?utm_source=newsletter&utm_medium=email&utm_campaign=tides"
    assert tag_url("https://a.example/p?x=1&y=two#part-2", P) == \
        "https://a.example/p?x=1&y=two&utm_source=newsletter&utm_medium=email&utm_campaign=tides#part-2"
    assert tag_url("http://a.example", P) == "http://a.example?utm_source=newsletter&utm_medium=email&utm_campaign=tides"


def test_values_are_encoded() -> None:
    assert tag_url("https://a.example/", [("utm_campaign", "june & july/2026")]) == \
        "https://a.example/?utm_campaign=june%20%26%20july%2F2026"


def test_never_touches_other_links() -> None:
    for url in ("mailto:desk@dispatch.example?subject=Hi", "tel:+15551234567", "#story-2", "/relative/path",
                "*|ARCHIVE|*", "{{ unsubscribe_url }}", "https://a.example/?id=*|UNIQID|*",
                "https://a.example/u?e={{ email }}", "%unsubscribe_url%", "ftp://a.example/file"):
        assert tag_url(url, P) == url, url


def test_an_existing_parameter_wins() -> None:
    url = "https://a.example/p?utm_source=partner&q=1"
    assert tag_url(url, P) == url + "&utm_medium=email&utm_campaign=tides"


urls = st.builds(
    lambda scheme, host, path, query, frag: f"{scheme}://{host}.example/{path}{query}{frag}",
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z]{1,10}", fullmatch=True),
    st.from_regex(r"[a-z0-9/_-]{0,20}", fullmatch=True),
    st.one_of(st.just(""), st.from_regex(r"\?[a-z]{1,5}=[a-z0-9]{0,5}(&[a-z]{1,5}=[a-z0-9]{0,5}){0,3}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"#[a-z0-9-]{1,10}", fullmatch=True)),
)


@given(urls)
def test_tagging_twice_changes_nothing_and_keeps_everything(url: str) -> None:
    once = tag_url(url, P)
    assert tag_url(once, P) == once
    before, after = urlsplit(url), urlsplit(once)
    assert (after.scheme, after.netloc, after.path, after.fragment) == \
        (before.scheme, before.netloc, before.path, before.fragment)
    query = parse_qsl(after.query, keep_blank_values=True)
    assert query[: len(parse_qsl(before.query, keep_blank_values=True))] == parse_qsl(before.query, keep_blank_values=True)
    assert {k for k, _ in query} >= {"utm_source", "utm_medium", "utm_campaign"}


ISSUE = """\
---
subject: "Links"
date: 2026-06-02
---
Intro with [a tagged link](https://dispatch.example/a?x=1#top).

# A story

Write to [the desk](mailto:desk@dispatch.example), call [the line](tel:+15551234567),
see [the archive](*|ARCHIVE|*), jump to [story two](#story-2) and read
[our partner](https://partner.example/report){.no-track}.

## The News

[Plain](https://dispatch.example/plain).

![A crane at dawn](https://dispatch.example/crane.jpg){link="https://dispatch.example/cranes"}

![The archive](https://dispatch.example/archive.jpg){link="*|ARCHIVE|*"}
"""

Q = "utm_source=harbor&utm_medium=email&utm_campaign=2026-06-02-links"


def test_end_to_end_both_parts(workspace: Path) -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "esp: mailchimp\nutm:\n  source: harbor\n", encoding="utf-8")
    (workspace / "issues" / "2026-06-02-tides.md").unlink()
    (workspace / "issues" / "2026-06-02-links.md").write_text(ISSUE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = workspace / "out" / "2026-06-02-links"
    html = (out / "email.html").read_text(encoding="utf-8")
    text = " ".join((out / "email.txt").read_text(encoding="utf-8").split())
    amp = Q.replace("&", "&amp;")
    assert f'href="https://dispatch.example/a?x=1&amp;{amp}#top"' in html
    assert f"<https://dispatch.example/a?x=1&{Q}#top>" in text
    assert f'href="https://dispatch.example/plain?{amp}"' in html
    assert f"<https://dispatch.example/plain?{Q}>" in text
    # A linked full-width image is a link like any other; one linking to a tag keeps the tag.
    assert f'href="https://dispatch.example/cranes?{amp}"' in html
    assert html.count('href="*|ARCHIVE|*"') == 3  # masthead, the text link, the image
    # Untouched: mailto, tel, merge tags, anchors, links marked {.no-track}.
    for href in ("mailto:desk@dispatch.example", "tel:+15551234567", "*|ARCHIVE|*", "#story-2",
                 "https://partner.example/report"):
        assert f'href="{href}"' in html, href
        if not href.startswith("#"):
            assert f"<{href}>" in text, href
    assert "utm_" not in html.split("partner.example/report")[1][:5]
    # The .eml carries the tagged parts too.
    msg = email.message_from_bytes((out / "email.eml").read_bytes(), policy=policy.default)
    assert f"<https://dispatch.example/plain?{Q}>" in " ".join(msg.get_body(("plain",)).get_content().split())
    assert f'href="https://dispatch.example/plain?{amp}"' in msg.get_body(("html",)).get_content()


def test_no_source_means_no_tagging(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 0
    html = (workspace / "out" / "2026-06-02-tides" / "email.html").read_text(encoding="utf-8")
    assert 'href="https://dispatch.example/a"' in html
    assert "utm_" not in html
