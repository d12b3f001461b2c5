"""The web archive written by `newsletter build` (all issues): index, pages, Atom feed."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from newsletter.cli import cli
from newsletter.deliver.esp import ANY_TAG

ATOM = "{http://www.w3.org/2005/Atom}"

ISSUES = {
    "2026-05-26-first.md": ("Oldest issue: the breakwater", "2026-05-26", "Work starts on the breakwater."),
    "2026-06-09-third.md": ("Newest issue: a tug goes to school", "2026-06-09", "Training day on the river."),
    "2026-06-02-second.md": ("Middle issue: pilots after dark", "2026-06-02", "Night arrivals begin in July."),
}

BODY = """\
Hello %%first_name|reader%%, and *|FNAME|* again. Your address: %%email%%.
[Forward it](*|FORWARD|*) or [see it online](*|ARCHIVE|*).

# A story for {slug}

The lede, with a [link](https://dispatch.example/story).

## The News

Facts.
"""


@pytest.fixture
def archive_ws(workspace: Path) -> Path:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "esp: mailchimp\nutm:\n  source: harbor\n", encoding="utf-8")
    (workspace / "issues" / "2026-06-02-tides.md").unlink()
    for name, (subject, date, preheader) in ISSUES.items():
        front = f'---\nsubject: "{subject}"\ndate: {date}\npreheader: "{preheader}"\n---\n'
        (workspace / "issues" / name).write_text(front + BODY.format(slug=name[:-3]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "out/archive/index.html  web archive of 3 issues, with feed.xml" in result.output
    return workspace


def test_index_lists_every_issue_newest_first(archive_ws: Path) -> None:
    index = (archive_ws / "out" / "archive" / "index.html").read_text(encoding="utf-8")
    slugs = re.findall(r'<a href="([0-9a-z-]+)/">', index)
    assert slugs == ["2026-06-09-third", "2026-06-02-second", "2026-05-26-first"]
    for subject, _, preheader in ISSUES.values():
        assert subject in index and preheader in index
    assert "Tuesday, June 9, 2026" in index and '<time datetime="2026-06-09">' in index
    assert index.index("Newest issue") < index.index("Middle issue") < index.index("Oldest issue")


def test_feed_is_atom_with_one_entry_per_issue(archive_ws: Path) -> None:
    tree = ET.parse(archive_ws / "out" / "archive" / "feed.xml")
    feed = tree.getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "https://dispatch.example/issues/"
    assert feed.findtext(f"{ATOM}title") == "Test Dispatch"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Test Dispatch"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"alternate": "https://dispatch.example/issues/",
                     "self": "https://dispatch.example/issues/feed.xml"}
    updated = dt.datetime.fromisoformat(feed.findtext(f"{ATOM}updated") or "")
    assert updated.tzinfo is not None and updated.date() == dt.date(2026, 6, 9)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Newest issue: a tug goes to school", "Middle issue: pilots after dark", "Oldest issue: the breakwater"]
    for entry in entries:
        url = entry.findtext(f"{ATOM}id") or ""
        assert re.fullmatch(r"https://dispatch\.example/issues/2026-\d\d-\d\d-[a-z]+/", url)
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("rel") == "alternate" and link.get("href") == url
        assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "").tzinfo is not None
        assert entry.findtext(f"{ATOM}summary") in {p for _, _, p in ISSUES.values()}


def test_no_merge_tag_in_any_web_page(archive_ws: Path) -> None:
    folder = archive_ws / "out" / "archive"
    pages = sorted(folder.glob("*/index.html"))
    assert [p.parent.name for p in pages] == ["2026-05-26-first", "2026-06-02-second", "2026-06-09-third"]
    email_html = (archive_ws / "out" / "2026-06-02-second" / "email.html").read_text(encoding="utf-8")
    assert "*|UNSUB|*" in email_html and "*|FNAME|*" in email_html  # the email keeps them
    for page in [*pages, folder / "index.html", folder / "feed.xml"]:
        html = page.read_text(encoding="utf-8")
        assert not ANY_TAG.search(html), (page, ANY_TAG.search(html))
        for mark in ("*|", "|*", "{{", "}}", "%%", "<%", "NLMT"):
            assert mark not in html, (page, mark)
    page = (folder / "2026-06-02-second" / "index.html").read_text(encoding="utf-8")
    assert "Unsubscribe" not in page and "Manage preferences" not in page
    assert "Hello reader, and reader again." in page  # fallback, and a web-safe first name
    assert 'href="https://dispatch.example/issues/2026-06-02-second/"' in page  # link tags -> the page
    assert "utm_" not in page  # the web page isn't a campaign click


def test_page_is_the_email_with_a_web_flavour(archive_ws: Path) -> None:
    page = (archive_ws / "out" / "archive" / "2026-06-02-second" / "index.html").read_text(encoding="utf-8")
    email_html = (archive_ws / "out" / "2026-06-02-second" / "email.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    for same in ('class="nl-masthead"', "A story for 2026-06-02-second", "Middle issue: pilots after dark</title>"):
        assert same in page and same in email_html
    assert page.count('class="nl-card') == email_html.count('class="nl-card')
    assert '<a href="../"' in page and 'href="../feed.xml"' in page
    assert "Read on the web" in email_html and "Read on the web" not in page  # no link to itself
    assert '<link rel="canonical" href="https://dispatch.example/issues/2026-06-02-second/">' in page


def test_building_named_issues_writes_no_archive(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["build", "issues/2026-06-02-tides.md"], catch_exceptions=False)
    assert result.exit_code == 0
    assert not (workspace / "out" / "archive").exists()
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert (workspace / "out" / "archive" / "2026-06-02-tides" / "index.html").is_file()


def test_archive_of_the_example_issues(repo_workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    folder = repo_workspace / "out" / "archive"
    feed = ET.parse(folder / "feed.xml").getroot()
    issues = sorted((repo_workspace / "issues").glob("*.md"))
    assert len(feed.findall(f"{ATOM}entry")) == len(issues) == len(list(folder.glob("*/index.html")))
    for page in folder.glob("*/index.html"):
        assert not ANY_TAG.search(page.read_text(encoding="utf-8")), page


@pytest.mark.browser
def test_archive_pages_in_chromium(archive_ws: Path, page: object) -> None:
    """The index shows the issues newest first and a page shows the issue, with no tag in its visible text."""
    folder = archive_ws / "out" / "archive"
    page.goto((folder / "index.html").as_uri())  # type: ignore[attr-defined]
    subjects = page.locator("li.issue h2").all_inner_texts()  # type: ignore[attr-defined]
    assert subjects == ["Newest issue: a tug goes to school", "Middle issue: pilots after dark",
                        "Oldest issue: the breakwater"]
    page.goto((folder / "2026-06-02-second" / "index.html").as_uri())  # type: ignore[attr-defined]
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "A story for 2026-06-02-second" in body and "All issues of Test Dispatch" in body
    assert "Hello reader, and reader again." in body
    assert not ANY_TAG.search(body) and "Unsubscribe" not in body


def test_subject_placeholders_show_their_fallback_in_the_listing(workspace: Path) -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "esp: mailchimp\n", encoding="utf-8")
    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables for the week"', 'subject: "%%first_name|Sailor%%, the tide tables *|FNAME|*"'),
        encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    folder = workspace / "out" / "archive"
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "Sailor, the tide tables reader</a>" in index
    entry = ET.parse(folder / "feed.xml").getroot().find(f"{ATOM}entry")
    assert entry is not None and entry.findtext(f"{ATOM}title") == "Sailor, the tide tables reader"


def test_the_index_style_block_has_the_font_stacks_as_css(workspace: Path) -> None:
    # Autoescape wrote "'Times New Roman'" as "&#39;Times New Roman&#39;", which CSS doesn't
    # decode inside <style>: the declarations were dropped and the page fell back to the default font.
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "theme:\n  fonts:\n    sans: \"'Open Sans', \\\"Gill Sans\\\", sans-serif\"\n",
                   encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    index = (workspace / "out" / "archive" / "index.html").read_text(encoding="utf-8")
    style = index.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "font-family: Georgia, 'Times New Roman', Times, serif;" in style
    assert "font-family: 'Open Sans', \"Gill Sans\", sans-serif;" in style
    assert "&#39;" not in style and "&#34;" not in style and "&quot;" not in style


def test_the_css_filter_drops_what_would_end_a_declaration_rule_or_block() -> None:
    from newsletter.render.jinja import css_value

    assert css_value("x; } body { color: red } </style><script>1</script>") == "x  body  color: red  /stylescript1/script"
    assert css_value("Georgia, 'Times New Roman', serif") == "Georgia, 'Times New Roman', serif"


def test_subject_placeholders_show_their_fallback_in_the_pages_title(workspace: Path) -> None:
    # The page's <title> and MRML's aria-label copy of it showed '%%first_name|Sailor%%'.
    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables for the week"', """subject: '%%first_name|Sailor%%, tides & "currents" <b>'"""),
        encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    page = (workspace / "out" / "archive" / "2026-06-02-tides" / "index.html").read_text(encoding="utf-8")
    assert "%%" not in page
    assert "<title>Sailor, tides &amp; \"currents\" &lt;b&gt;</title>" in page
    assert 'aria-label="Sailor, tides &amp; &quot;currents&quot; &lt;b&gt;"' in page
    email = (workspace / "out" / "2026-06-02-tides" / "email.html").read_text(encoding="utf-8")
    assert "<title>%%first_name|Sailor%%, tides" in email  # the email's, as written (docs/sending.md)


def test_a_correction_moves_an_entrys_updated_time_not_its_published_one(archive_ws: Path) -> None:
    # <published> was the 'updated:' time: a correction days later moved the publication date.
    cfg = archive_ws / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "timezone: America/New_York\n", encoding="utf-8")
    issue = next(p for p in (archive_ws / "issues").glob("*.md") if "2026-06-02" in p.name)
    issue.write_text(issue.read_text(encoding="utf-8").replace("\n---\n", "\nupdated: 2026-06-04T09:30\n---\n", 1),
                     encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    feed = ET.parse(archive_ws / "out" / "archive" / "feed.xml").getroot()
    entry = next(e for e in feed.findall(f"{ATOM}entry") if "2026-06-02" in (e.findtext(f"{ATOM}id") or ""))
    assert entry.findtext(f"{ATOM}published") == "2026-06-02T06:00:00-04:00"
    assert entry.findtext(f"{ATOM}updated") == "2026-06-04T09:30:00-04:00"  # without an offset: New York's clock


@pytest.mark.parametrize("break_what", ["an issue", "a template"])
def test_a_failed_build_leaves_the_archive_index_and_feed_as_they_were(archive_ws: Path, break_what: str) -> None:
    # They were rewritten without the issues that failed: a broken template emptied the feed.
    index, feed = archive_ws / "out" / "archive" / "index.html", archive_ws / "out" / "archive" / "feed.xml"
    before = index.read_bytes(), feed.read_bytes()
    if break_what == "an issue":
        bad = next((archive_ws / "issues").glob("*.md"))
        bad.write_text(bad.read_text(encoding="utf-8").replace("subject:", "subject: [", 1), encoding="utf-8")
    else:
        (archive_ws / "templates" / "partials").mkdir(parents=True, exist_ok=True)
        (archive_ws / "templates" / "partials" / "footer.mjml.j2").write_text("{{ foo(\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "out/archive/index.html  web archive left as it was: an issue failed to build" in result.stdout
    assert (index.read_bytes(), feed.read_bytes()) == before


def test_one_issue_is_counted_in_the_singular(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0 and "out/archive/index.html  web archive of 1 issue, with feed.xml" in result.stdout


def test_a_feed_template_that_writes_malformed_xml_is_an_error_and_the_last_feed_stays(archive_ws: Path) -> None:
    feed = archive_ws / "out" / "archive" / "feed.xml"
    index = archive_ws / "out" / "archive" / "index.html"
    before = feed.read_bytes(), index.read_bytes()
    source = (REPO / "templates" / "archive" / "feed.xml.j2").read_text(encoding="utf-8")
    override = archive_ws / "templates" / "archive" / "feed.xml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(source.replace("</feed>", "</fed>"), encoding="utf-8")
    line = source.split("\n").index("</feed>") + 1
    issue = next((archive_ws / "issues").glob("*.md"))
    issue.write_text(issue.read_text(encoding="utf-8").replace("subject: \"", "subject: \"Changed: ", 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: templates/archive/feed.xml.j2:{line}: the feed it writes is not well-formed"
                                    " XML: mismatched tag")
    assert (feed.read_bytes(), index.read_bytes()) == before  # both or neither


def test_a_pages_footer_has_no_separator_left_by_the_links_it_drops(archive_ws: Path) -> None:
    # The separator before "Forwarded to you?" stayed after the page dropped the inbox links.
    page = next((archive_ws / "out" / "archive").glob("2026-*/index.html")).read_text(encoding="utf-8")
    footer = re.findall(r"<p class=\"nl-footer-p\"[^>]*>(.*?)</p>", page)
    assert any(p.startswith("Forwarded to you? <a") for p in footer), footer
    email = next((archive_ws / "out").glob("2026-*/email.html")).read_text(encoding="utf-8")
    assert "Manage preferences</a> &nbsp;|&nbsp; Forwarded to you?" in email.replace("\xa0", "&nbsp;")


def test_a_first_build_that_fails_says_the_archive_is_not_written_yet(workspace: Path) -> None:
    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("subject:", "subject: [", 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "out/archive/index.html  web archive not written yet: an issue failed to build" in result.stdout
    assert not (workspace / "out" / "archive" / "index.html").exists()


@pytest.mark.parametrize("from_email", [True, False], ids=["page-from-the-email", "second-render"])
def test_content_that_only_looks_like_a_tag_stays_as_written_on_the_page(workspace: Path, from_email: bool) -> None:
    """Only the tags the issue wrote become web-safe; text such as `{{ user.name }}` is the
    editor's, and a Mailchimp conditional over paragraphs can't turn the page's markup into text."""
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "esp: mailchimp\n", encoding="utf-8")
    if not from_email:  # a footer without the web_hide markers: the page is rendered again
        footer = (REPO / "templates" / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
        (workspace / "templates" / "partials").mkdir(parents=True)
        (workspace / "templates" / "partials" / "footer.mjml.j2").write_text(
            footer.replace("{{ web_hide.start }}", "").replace("{{ web_hide.end }}", ""), encoding="utf-8")
    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("This is the intro.", (
        "In Jinja you write `{{ user.name }}`; Mailgun wants `%recipient.name%`.\n\n"
        "*|IF:MEMBER|* Thanks for being a member.\n\n*|ELSE:|* You are not a member yet.\n\n"
        "Join today and get **two** issues free. *|END:IF|*")), encoding="utf-8")
    CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    page = (workspace / "out" / "archive" / "2026-06-02-tides" / "index.html").read_text(encoding="utf-8")
    assert "In Jinja you write <code" in page
    assert "{{ user.name }}</code>" in page and "%recipient.name%</code>" in page
    assert "Thanks for being a member." in page and "You are not a member yet." in page
    assert "&lt;/p&gt;" not in page and "&lt;strong" not in page
    assert "*|" not in page and "|*" not in page


def test_the_way_back_is_readable_in_dark_mode_and_long_words_wrap_in_the_index(workspace: Path, page: object) -> None:
    from newsletter.settings import load_settings

    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(
        'subject: "Tide tables for the week"',
        'subject: "Harbourmasterdepartmentalreorganisationconsultationresponsesummary"\n'
        'preheader: "Full report at https://example.com/reports/2026/harbour-authority-annual-review-final"'),
        encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"], catch_exceptions=False).exit_code == 0
    dark_link = load_settings(workspace / "newsletter.yaml").theme.colors.dark_link.lstrip("#")
    archive = workspace / "out" / "archive"
    page.emulate_media(color_scheme="dark")  # type: ignore[attr-defined]
    page.goto((archive / "2026-06-02-tides" / "index.html").as_uri())  # type: ignore[attr-defined]
    color = page.eval_on_selector(".nl-webnav a", "a => getComputedStyle(a).color")  # type: ignore[attr-defined]
    assert color == "rgb({}, {}, {})".format(*(int(dark_link[i:i + 2], 16) for i in (0, 2, 4)))
    page.set_viewport_size({"width": 320, "height": 700})  # type: ignore[attr-defined]
    page.goto((archive / "index.html").as_uri())  # type: ignore[attr-defined]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320  # type: ignore[attr-defined]


def test_a_tag_in_a_headline_caption_or_label_is_web_safe_on_the_page(workspace: Path) -> None:
    """Plain fields go through the tag vault too: the email keeps *|FNAME|* as written, and the
    page shows what it shows for one in a paragraph."""
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "esp: mailchimp\n", encoding="utf-8")
    issue = workspace / "issues" / "2026-06-02-tides.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("# The first story", "# A story for *|FNAME|*") + (
        '\n![Photo for *|FNAME|*](https://dispatch.example/a.jpg "Taken for *|FNAME|*")\n'
        "\n::: sponsor Sponsor for *|FNAME|*\nSupport the dispatch.\n:::\n"), encoding="utf-8")
    CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    email = (workspace / "out" / "2026-06-02-tides" / "email.html").read_text(encoding="utf-8")
    assert email.count("*|FNAME|*") >= 5  # headline, contents, alt, caption, label
    page = (workspace / "out" / "archive" / "2026-06-02-tides" / "index.html").read_text(encoding="utf-8")
    assert "*|" not in page
    assert "A story for reader" in page and 'alt="Photo for reader"' in page and "Taken for reader" in page
    text = (workspace / "out" / "2026-06-02-tides" / "email.txt").read_text(encoding="utf-8")
    assert "NLMT" not in text and "*|FNAME|*" in text


@pytest.mark.parametrize("change", ["deleted", "renamed"])
def test_while_an_issue_fails_every_page_the_kept_index_links_to_stays(workspace: Path, change: str) -> None:
    # The index was left as it was, but the page of a deleted issue was removed: a dead link.
    second = workspace / "issues" / "2026-06-09-second.md"
    second.write_text("---\nsubject: Second\ndate: 2026-06-09\n---\n# Second\n\nWords here.\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    index = workspace / "out" / "archive" / "index.html"
    page = workspace / "out" / "archive" / "2026-06-09-second" / "index.html"
    assert "2026-06-09-second" in index.read_text(encoding="utf-8") and page.is_file()
    if change == "deleted":
        second.unlink()
    else:
        second.rename(second.with_name("2026-06-10-second.md"))
    bad = workspace / "issues" / "2026-06-11-bad.md"
    bad.write_text("---\nsubject: No date\n---\n# Story\n\nWords.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1 and "web archive left as it was" in result.stdout
    assert "2026-06-09-second" in index.read_text(encoding="utf-8")
    assert page.is_file()  # what the index links to is still there
    bad.unlink()
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0  # the next good build tidies up
    assert "2026-06-09-second/" not in index.read_text(encoding="utf-8")
    assert not page.parent.exists() and not (workspace / "out" / "2026-06-09-second").exists()
