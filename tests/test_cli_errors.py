"""Every kind of bad input through the real CLI: one exact line per problem, exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli

HEAD = "---\nsubject: x\ndate: 2026-06-02\n---\n# S\n\n"  # body text after this starts on line 7


def build(workspace: Path, name: str, data: bytes | str) -> tuple[int, str, str]:
    path = workspace / "issues" / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    result = CliRunner().invoke(cli, ["build", f"issues/{name}"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


CASES = [
    ("yaml-unclosed-quote", '---\nsubject: "x\ndate: 2026-06-02\n---\n# S\n',
     "issues/bad.md:2: invalid YAML in front matter: a quoted value is never closed"
     " (end it with the quote mark it starts with)"),
    ("yaml-bad-indent", "---\nsubject: x\ndate: 2026-06-02\n  bad: [\n---\n# S\n",
     "issues/bad.md:4: invalid YAML in front matter: this line is indented, so it reads as more of the value above"
     " (start it at the margin)"),
    ("yaml-tab", "---\nsubject: x\n\tdate: 2026-06-02\n---\n# S\n",
     "issues/bad.md:3: invalid YAML in front matter: a tab character: YAML indents with spaces"
     " (replace the tab with spaces)"),
    ("missing-subject", "---\ndate: 2026-06-02\n---\n# S\n",
     "issues/bad.md:2: front matter needs 'subject' (add: subject: \"...\")"),
    ("missing-date", "---\nsubject: x\n---\n# S\n", "issues/bad.md:2: front matter needs 'date' (add: date: YYYY-MM-DD)"),
    ("misspelled-key", "---\nsubject: x\ndate: 2026-06-02\npreheadr: y\n---\n# S\n",
     "issues/bad.md:4: unknown front-matter key 'preheadr' (did you mean 'preheader'?)"),
    ("impossible-date", "---\nsubject: x\ndate: 2026-02-30\n---\n# S\n",
     "issues/bad.md:3: 'date' is not a real date: '2026-02-30' (use YYYY-MM-DD, e.g. 2026-06-02)"),
    ("not-utf8", (HEAD + "Caf").encode() + b"\xe9 au lait.\n",
     "issues/bad.md:7: file is not UTF-8 text (byte 0xe9 at offset 44) (save it as UTF-8 in your editor)"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "issues/bad.md:3: file is binary, not a Markdown text file"),
    ("empty", b"", "issues/bad.md:1: file is empty (start it with front matter: ---, subject:, date:, ---)"),
    ("unknown-block", HEAD + "::: sponsr\nAd.\n:::\n",
     "issues/bad.md:7: unknown block '::: sponsr' (known blocks: sponsor, signup, sitrep, quote)"),
    ("image-without-alt", HEAD + "![](https://example.com/a.jpg)\n",
     "issues/bad.md:7: image has no alt text (write ![what the image shows](URL); mark decoration with {.decorative})"),
    ("javascript-link", HEAD + "[a](javascript:alert(1))\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("javascript-uppercase", HEAD + "[a](JavaScript:alert(1))\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("data-link", HEAD + "[a](data:text/html;base64,PHNjcmlwdD4=)\n",
     "issues/bad.md:7: link URL scheme 'data:' is not allowed (use https, http, mailto, tel)"),
    ("data-image", HEAD + "![a](data:image/png;base64,AAAA)\n",
     "issues/bad.md:7: image URL scheme 'data:' is not allowed (use https, http)"),
    ("entity-javascript", HEAD + "[a](&#106;avascript:alert(1))\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("hex-entity-javascript", HEAD + "[a](&#x6A;avascript&#58;alert(1))\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("percent-javascript", HEAD + "[a](%6Aavascript:alert(1))\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("percent-tab-javascript", HEAD + "[a](java%09script:alert(1))\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("reference-javascript", HEAD + "[a][r]\n\n[r]: javascript:alert(1)\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("autolink-javascript", HEAD + "<javascript:alert(1)>\n",
     "issues/bad.md:7: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)"),
    ("image-javascript", HEAD + "![a](javascript:alert(1))\n",
     "issues/bad.md:7: image URL scheme 'javascript:' is not allowed (use https, http)"),
    ("unclosed-comment", HEAD + "Text <!-- never closed\n",
     "issues/bad.md:7: comment '<!--' is never closed (end it with '-->'; everything after it is hidden until then)"),
    ("emphasis-too-deep", HEAD + "*" * 30000 + "x" + "*" * 30000 + "\n",
     ("issues/bad.md:7: emphasis or links are nested more than 20 levels deep"
     " (simplify the run of '*', '_' or '[' characters)")),
    ("intro-twice", "---\nsubject: x\ndate: 2026-06-02\nintro: Hi.\n---\nHello.\n\n# S\n",
     ("issues/bad.md:4: the intro is written twice: in front matter 'intro:' and before the first '# ' heading"
     " (keep one of them)")),
]


@pytest.mark.parametrize(("data", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(workspace: Path, data: str | bytes, line: str) -> None:
    code, stdout, stderr = build(workspace, "bad.md", data)
    assert (code, stdout, stderr) == (1, "", f"Error: {line}\n")
    assert not (workspace / "out" / "bad").exists()


def test_several_problems_in_one_file_are_all_reported(workspace: Path) -> None:
    text = ("---\nsubject: x\ndate: 2026-02-30\nauthr: me\n---\n# S\n\n"
            "![](https://e.example/a.jpg)\n\n[link](javascript:x)\n\n::: nope\nx\n:::\n")
    code, stdout, stderr = build(workspace, "bad.md", text)
    assert code == 1 and stdout == ""
    assert stderr == (
        "Error: issues/bad.md:3: 'date' is not a real date: '2026-02-30' (use YYYY-MM-DD, e.g. 2026-06-02)\n"
        "Error: issues/bad.md:4: unknown front-matter key 'authr' (did you mean 'author'?)\n"
        "Error: issues/bad.md:8: image has no alt text (write ![what the image shows](URL); mark decoration with {.decorative})\n"
        "Error: issues/bad.md:10: link URL scheme 'javascript:' is not allowed (use https, http, mailto, tel)\n"
        "Error: issues/bad.md:12: unknown block '::: nope' (known blocks: sponsor, signup, sitrep, quote)\n"
    )


def test_one_bad_issue_does_not_stop_the_others(workspace: Path) -> None:
    (workspace / "issues" / "2026-06-03-bad.md").write_text("---\nsubject: x\n---\n# S\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.stderr == "Error: issues/2026-06-03-bad.md:2: front matter needs 'date' (add: date: YYYY-MM-DD)\n"
    assert result.stdout.startswith("out/2026-06-02-tides/email.html  ")
    assert (workspace / "out" / "2026-06-02-tides" / "email.html").is_file()


def test_a_missing_issue_file(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["build", "issues/nope.md"])
    assert (result.exit_code, result.stderr) == (1, "Error: issues/nope.md: file not found\n")


def test_a_link_whose_file_is_gone_is_an_error_not_skipped(workspace: Path) -> None:
    # A symbolic link left behind when an issue file was moved: a full build names it.
    (workspace / "issues" / "2026-06-03-moved.md").symlink_to("drafts/2026-06-03-moved.md")
    (workspace / "issues" / "2026-06-04-folder.md").mkdir()  # a folder is not an issue: left alone
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: issues/2026-06-03-moved.md: is a link to drafts/2026-06-03-moved.md, "
                             "which doesn't exist (point the link at the issue's file, or delete it)\n")
    assert (workspace / "out" / "2026-06-02-tides" / "email.html").is_file()


def test_deeply_nested_input_fails_cleanly(workspace: Path) -> None:
    code, _, stderr = build(workspace, "deep.md", HEAD + "> " * 5000 + "deep\n\n" + "- " * 3000 + "x\n")
    assert "Traceback" not in stderr
    assert code in (0, 1)


def test_an_issue_named_archive_is_refused_because_out_archive_is_the_web_archive(workspace: Path) -> None:
    target = workspace / "issues" / "archive.md"
    target.write_text((workspace / "issues" / "2026-06-02-tides.md").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Error: issues/archive.md: an issue can't be named 'archive.md'" in result.output
    assert "Traceback" not in result.output
    assert not (workspace / "out" / "archive" / "email.html").exists()


@pytest.mark.parametrize("name, why", [
    ("...md", "starts with '.'"),  # out/.. is the workspace: its email.* were written there
    ("..md", "starts with '.'"),  # out/. is out/ itself
    ("2026-06-03-a\nBcc: x.md", "has a line break or control character in it"),  # it reached the .eml's Message-ID
])
def test_a_file_name_that_cant_name_the_output_folder_is_refused(workspace: Path, name: str, why: str) -> None:
    text = (workspace / "issues" / "2026-06-02-tides.md").read_text(encoding="utf-8")
    (workspace / "issues" / name).write_text(text, encoding="utf-8")
    before = sorted(p.name for p in workspace.iterdir())
    result = CliRunner().invoke(cli, ["build", f"issues/{name}"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: issues/{name}: the file's name {why}: it names the issue's folder")
    assert sorted(p.name for p in workspace.iterdir()) == before  # nothing written beside newsletter.yaml
    assert not (workspace / "out").exists() or not list((workspace / "out").glob("email.*"))


def test_a_file_name_with_spaces_accents_and_url_characters_links_one_page_everywhere(workspace: Path) -> None:
    import json

    name = "2026-06-03 Ça va #1?"
    text = (workspace / "issues" / "2026-06-02-tides.md").read_text(encoding="utf-8")
    (workspace / "issues" / f"{name}.md").write_text(text, encoding="utf-8")
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    page = "https://dispatch.example/issues/2026-06-03%20%C3%87a%20va%20%231%3F/"
    out = workspace / "out"
    assert page in (out / name / "email.html").read_text(encoding="utf-8")
    assert page in (out / name / "email.txt").read_text(encoding="utf-8")  # it was the raw name
    assert page in (out / "archive" / "feed.xml").read_text(encoding="utf-8")
    assert 'href="2026-06-03%20%C3%87a%20va%20%231%3F/"' in (out / "archive" / "index.html").read_text(encoding="utf-8")
    assert (out / "archive" / name / "index.html").is_file()  # the folder the address names, decoded
    eml = (out / name / "email.eml").read_bytes()
    assert b"Message-ID: <2026-06-03%20%C3%87a%20va%20%231%3F." in eml
    report = CliRunner().invoke(cli, ["check", "--format", "json", f"issues/{name}.md"])
    assert "lacks the link" not in json.dumps(json.loads(report.stdout))


def test_an_error_in_a_linked_issue_names_the_link_the_user_named(workspace: Path) -> None:
    # The user named issues/x.md: the error must say issues/x.md:4, not the link's target.
    (workspace / "drafts").mkdir()
    (workspace / "drafts" / "real.md").write_text("---\nsubject: x\ndate: 2026-06-02\nbad: [\n---\n# S\n",
                                                  encoding="utf-8")
    (workspace / "issues" / "x.md").symlink_to("../drafts/real.md")
    result = CliRunner().invoke(cli, ["build", "issues/x.md"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: issues/x.md:4: ")


def test_a_dangling_link_named_on_the_command_line_is_named_as_given(workspace: Path) -> None:
    (workspace / "bad").mkdir()
    (workspace / "bad" / "nowhere.md").symlink_to("gone.md")
    result = CliRunner().invoke(cli, ["build", "bad/nowhere.md"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: bad/nowhere.md: is a link to gone.md, which doesn't exist")


def test_display_path_never_follows_the_file_s_own_link(workspace: Path) -> None:
    from newsletter.errors import display_path

    (workspace / "link.md").symlink_to("target.md")
    assert display_path("link.md") == "link.md"
    assert display_path("./issues/../link.md") == "issues/../link.md"
    assert display_path(workspace / "link.md") == "link.md"
    assert display_path(str(workspace / "issues" / ".." / "link.md")) == "link.md"
