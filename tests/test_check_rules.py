"""One test per quality-gate rule, each with a failing and a passing case, on real builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from check_helpers import GOOD_ISSUE, build_issue, run_rule, severe

from newsletter.checks import (accessibility, deliverability, inbox, links, plaintext, responsive, sections, size,
                               structure)
from newsletter.content.parse import section_kind


def rules_of(findings: list, severity: str) -> list[str]:
    return [f.message for f in findings if f.severity == severity]


# ---- size ------------------------------------------------------------------------------


def _long_issue(paragraphs: int) -> str:
    body = "\n\n".join(f"Paragraph {n} says something about the harbour, the tides and the boats that use them."
                       for n in range(paragraphs))
    return GOOD_ISSUE + "\n" + body + "\n"


def test_size_warns_over_90_kb_and_errors_over_102_kb(workspace: Path) -> None:
    ws, small = build_issue(workspace)
    assert severe(run_rule(size, ws, small)) == []
    padding = "<!-- " + "x" * 1024 + " -->"
    at_95 = small.html.replace("</body>", padding * (95 - small.html_bytes // 1024) + "</body>")
    found = run_rule(size, ws, small, html=at_95)
    assert [f.severity for f in found] == ["warning"] and "90 KB" in found[0].message
    ws, big = build_issue(workspace, _long_issue(1200))
    assert big.html_bytes > 102 * 1024
    found = run_rule(size, ws, big)
    assert [f.severity for f in found] == ["error"] and "102 KB" in found[0].message
    assert found[0].file == big.issue.path


def test_size_style_blocks_at_most_16_kb_and_only_in_head(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    big_style = "<style>" + ".a{color:red}\n" * 1300 + "</style>"
    found = run_rule(size, ws, r, html=r.html.replace("</head>", big_style + "</head>"))
    assert any(f.severity == "error" and "16 KB" in f.message for f in found)
    found = run_rule(size, ws, r, html=r.html.replace("</body>", "<style>.b{color:red}</style></body>"))
    assert any(f.severity == "error" and "inside <body>" in f.message for f in found)
    assert run_rule(size, ws, r) == []


# ---- structure -------------------------------------------------------------------------


def test_structure_doctype(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    assert run_rule(structure, ws, r) == []
    no_doctype = re.sub(r"^<!doctype html>", "", r.html, flags=re.I)
    assert any("DOCTYPE" in f.message for f in run_rule(structure, ws, r, html=no_doctype))


def test_structure_mso_conditionals_balanced(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    assert "<![endif]-->" in r.html
    broken = r.html.replace("<![endif]-->", "", 1)
    found = run_rule(structure, ws, r, html=broken)
    assert any("unbalanced" in f.message and f.severity == "error" for f in found)


def test_structure_leftover_mj_tags(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    found = run_rule(structure, ws, r, html=r.html.replace("</body>", "<mj-colum>x</mj-colum></body>"))
    assert any("leftover MJML tag '<mj-colum>'" in f.message for f in found)


def test_structure_unrendered_template_syntax_but_merge_tags_allowed(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("The facts of the matter", "Hello *|FNAME|*, the facts of the matter")
    ws, r = build_issue(workspace, issue, settings_extra="esp: mailchimp\n")
    assert "*|FNAME|*" in r.html and run_rule(structure, ws, r) == []
    leftover = r.html.replace("</body>", "<p>{{ issue.subjcet }}</p></body>")
    found = run_rule(structure, ws, r, html=leftover)
    assert any("unrendered template syntax in the HTML" in f.message for f in found)
    found = run_rule(structure, ws, r, text=r.text + "{% endif %}\n")
    assert any("unrendered template syntax in the text part" in f.message for f in found)
    [in_text] = [f for f in found if "in the text part" in f.message]  # email.txt's line, not the HTML's
    assert (in_text.file, in_text.line) == ("out/2026-06-02-tides/email.txt", r.text.count("\n") + 1)


def test_structure_charset_and_viewport_meta(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    no_meta = re.sub(r"<meta [^>]*(charset|viewport)[^>]*>", "", r.html)
    messages = [f.message for f in run_rule(structure, ws, r, html=no_meta)]
    assert any("charset" in m for m in messages) and any("viewport" in m for m in messages)


def test_structure_nothing_wider_than_600px(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    wide = r.html.replace("</body>", '<table width="640"><tr><td>x</td></tr></table></body>')
    found = run_rule(structure, ws, r, html=wide)
    assert any("640 px" in f.message for f in found)
    styled = r.html.replace("</body>", '<div style="min-width:700px">x</div></body>')
    assert any("700 px" in f.message for f in run_rule(structure, ws, r, html=styled))


# ---- responsive integrity ----------------------------------------------------------------


def test_responsive_media_rules_keep_important(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    assert run_rule(responsive, ws, r) == []
    stripped = re.sub(r"(\.mj-column-per-100 \{ width:100%) !important", r"\1", r.html)
    assert stripped != r.html
    found = run_rule(responsive, ws, r, html=stripped)
    assert any("lost !important" in f.message for f in found)


def test_responsive_classes_still_present(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    body_at = r.html.index("<body")
    no_classes = r.html[:body_at] + re.sub(r' class="[^"]*"', "", r.html[body_at:])
    messages = [f.message for f in run_rule(responsive, ws, r, html=no_classes)]
    assert any("mj-column-per-100" in m for m in messages)
    assert any("'.nl-page'" in m and "lost it" in m for m in messages)
    assert not any("'.nl-caption'" in m for m in messages)  # not used by this issue: nothing lost


def test_responsive_images_have_numeric_width(workspace: Path) -> None:
    issue = GOOD_ISSUE + "\n![The harbour at dawn](https://dispatch.example/dawn.jpg)\n"
    ws, r = build_issue(workspace, issue)
    assert "<img" in r.html and run_rule(responsive, ws, r) == []
    no_width = re.sub(r'(<img[^>]*?) width="\d+"', r'\1 width="100%"', r.html)
    found = run_rule(responsive, ws, r, html=no_width)
    assert found and all("numeric width" in f.message for f in found)


# ---- links and images --------------------------------------------------------------------


def test_links_http_is_a_warning_pointing_at_the_issue_line(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("https://dispatch.example/minutes", "http://dispatch.example/minutes")
    ws, r = build_issue(workspace, issue)
    found = severe(run_rule(links, ws, r))
    assert [f.severity for f in found] == ["warning"]
    assert found[0].file == r.issue.path and found[0].line == issue.split("\n").index(
        next(line for line in issue.split("\n") if "http://" in line)) + 1
    ws, r = build_issue(workspace)
    assert severe(run_rule(links, ws, r)) == []
    # The preheader names the same URL: the finding still points at the link, in the body.
    with_preheader = issue.replace('preheader: "', 'preheader: "See http://dispatch.example/minutes. ')
    ws, r = build_issue(workspace, with_preheader)
    [finding] = severe(run_rule(links, ws, r))
    lines = with_preheader.split("\n")
    assert lines[finding.line - 1].startswith("The facts of the matter, with")


def test_links_an_http_address_in_the_text_is_a_warning_at_its_line(workspace: Path) -> None:
    """Email clients make a written address a link: an http one is as insecure as an http link."""
    issue = GOOD_ISSUE + ("\nThe old archive lived at\nhttp://dispatch.example/old, and now *at*\n"
                          "HTTP://dispatch.example/new. Again: http://dispatch.example/old.\n\n"
                          "Code is code: `http://localhost/x`; [a link's words, http://dispatch.example/w]"
                          "(https://dispatch.example/w); https://dispatch.example/fine and xhttp://no.example.\n")
    ws, r = build_issue(workspace, issue)
    found = [f for f in severe(run_rule(links, ws, r)) if "address in the text" in f.message]
    lines = issue.split("\n")
    assert [(f.severity, f.message.rsplit(": ", 1)[1], lines[f.line - 1][:12]) for f in found] == [
        ("warning", "http://dispatch.example/old", "http://dispa"),
        ("warning", "HTTP://dispatch.example/new", "HTTP://dispa"),
    ]
    assert all(f.file == r.issue.path and f.hint.startswith("link it with https") for f in found)
    ws, r = build_issue(workspace)
    assert [f for f in run_rule(links, ws, r) if "address in the text" in f.message] == []


def test_links_javascript_and_data_are_errors_mailto_and_tel_are_fine(workspace: Path) -> None:
    issue = GOOD_ISSUE + "\nWrite to [the desk](mailto:desk@dispatch.example) or call [the desk](tel:+15550100).\n"
    ws, r = build_issue(workspace, issue)
    assert [f for f in run_rule(links, ws, r) if "javascript" in f.message or "data" in f.message] == []
    bad = r.html.replace("</body>", '<a href="javascript:alert(1)">the vote</a><a href="data:text/html,x">'
                         "the tally</a></body>")
    errors = rules_of(run_rule(links, ws, r, html=bad), "error")
    assert any("'javascript:'" in m for m in errors) and any("'data:'" in m for m in errors)


def test_links_alt_text_and_decorative_images(workspace: Path) -> None:
    issue = (GOOD_ISSUE + "\n![The harbour at dawn](https://dispatch.example/dawn.jpg)\n\n"
             "![](https://dispatch.example/rule.png){.decorative}\n")
    ws, r = build_issue(workspace, issue)
    assert severe(run_rule(links, ws, r)) == []
    no_alt = r.html.replace('alt="The harbour at dawn"', "")
    assert any("no alt attribute" in m for m in rules_of(run_rule(links, ws, r, html=no_alt), "error"))
    empty_alt = r.html.replace('alt="The harbour at dawn"', 'alt=""')
    assert any("not marked decorative" in m for m in rules_of(run_rule(links, ws, r, html=empty_alt), "warning"))


def test_links_no_http_images(workspace: Path) -> None:
    issue = GOOD_ISSUE + "\n![The harbour at dawn](http://dispatch.example/dawn.jpg)\n"
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(links, ws, r) if "image over http" in f.message]
    assert found and found[0].severity == "error" and found[0].file == r.issue.path


def test_links_generic_text_is_a_warning(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("[the council minutes]", "[click here]")
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(links, ws, r) if "does not say where it goes" in f.message]
    assert found and found[0].severity == "warning" and found[0].file == r.issue.path
    issue = GOOD_ISSUE.replace("[the council minutes]", "[read more]")
    ws, r = build_issue(workspace, issue)
    assert any("'read more'" in f.message for f in run_rule(links, ws, r))


def test_links_same_text_to_different_urls_is_a_warning(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("[the council minutes]", "[the tide report]")
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(links, ws, r) if "different URLs" in f.message]
    assert len(found) == 1 and found[0].severity == "warning"
    # At the issue's line, with the text as written (it was looked up lower-cased: no line).
    issue = GOOD_ISSUE.replace("[the council minutes]", "[The Tide Report]").replace("[the tide report]", "[The Tide Report]")
    ws, r = build_issue(workspace, issue)
    [found] = [f for f in run_rule(links, ws, r) if "different URLs" in f.message]
    assert (found.file, found.line) == (str(ws.issues_dir / "2026-06-02-tides.md"), 10)
    assert found.message.startswith("the link text 'The Tide Report' leads to 2 different URLs")
    same = GOOD_ISSUE.replace("(https://dispatch.example/minutes)", "(https://dispatch.example/a)").replace(
        "[the council minutes]", "[the tide report]")
    ws, r = build_issue(workspace, same)
    assert [f for f in run_rule(links, ws, r) if "different URLs" in f.message] == []


# ---- accessibility -----------------------------------------------------------------------


def test_accessibility_lang_and_title(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    assert severe(run_rule(accessibility, ws, r)) == []
    und = r.html.replace('lang="en"', 'lang="und"', 1)
    assert any("lang" in m for m in rules_of(run_rule(accessibility, ws, r, html=und), "error"))
    untitled = re.sub(r"<title>.*?</title>", "<title></title>", r.html)
    assert any("<title> is empty" in m for m in rules_of(run_rule(accessibility, ws, r, html=untitled), "error"))


def test_accessibility_table_roles(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    layout = r.html.replace("</body>", "<table><tr><td>x</td></tr></table></body>")
    assert any("layout table" in f.message for f in run_rule(accessibility, ws, r, html=layout))
    data = r.html.replace("</body>", '<table role="presentation"><tr><th>Tide</th></tr><tr><td>4.1 m</td></tr>'
                          "</table></body>")
    assert any("data table" in f.message for f in run_rule(accessibility, ws, r, html=data))
    good = r.html.replace("</body>", "<table><tr><th>Tide</th></tr><tr><td>4.1 m</td></tr></table></body>")
    assert not any("table" in f.message for f in run_rule(accessibility, ws, r, html=good))


def test_accessibility_heading_order(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    skipped = r.html.replace("</body>", "<h5>Small print</h5></body>")
    found = run_rule(accessibility, ws, r, html=skipped)
    assert any("skips a level" in f.message and "<h5>" in f.message for f in found)


def test_accessibility_contrast_light_and_dark_palettes(workspace: Path) -> None:
    ws, r = build_issue(workspace, settings_extra="theme:\n  colors:\n    muted: \"#B8B4A8\"\n")
    found = rules_of(run_rule(accessibility, ws, r), "error")
    assert any(m.startswith("light palette: muted #B8B4A8") for m in found)
    assert any("contrast" in m and "#B8B4A8" in m and m.startswith("text") for m in found)  # the inline styles
    ws2_root = workspace.parent / "ws2"
    (ws2_root / "issues").mkdir(parents=True)
    (ws2_root / "newsletter.yaml").write_text((workspace / "newsletter.yaml").read_text().split("theme:")[0]
                                              + "theme:\n  colors:\n    dark_text: \"#4A4740\"\n")
    ws, r = build_issue(ws2_root)
    errors = rules_of(run_rule(accessibility, ws, r), "error")
    assert any(m.startswith("dark palette: dark_text #4A4740") for m in errors)


def test_accessibility_contrast_finding_points_at_the_setting(workspace: Path) -> None:
    ws, r = build_issue(workspace, settings_extra="theme:\n  colors:\n    link: \"#9DB4FF\"\n")
    found = [f for f in run_rule(accessibility, ws, r) if f.message.startswith("light palette: link")]
    lines = (workspace / "newsletter.yaml").read_text().split("\n")
    assert found and found[0].file.endswith("newsletter.yaml") and "#9DB4FF" in lines[found[0].line - 1]


def contrast_pairs(found: list) -> set[str]:  # type: ignore[type-arg]
    """'<colour> on <background>' of each inline contrast finding ('text in <p> is #eee on #fff: ...')."""
    return {m.group(1) for f in found if (m := re.match(r"text in <[^>]*> is (.+?): contrast", f.message))}


def test_accessibility_inline_contrast_inherits_colours_and_skips_hidden_text(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    extra = ('<div style="background-color: #ffffff"><p style="color:#eeeeee">faint on white</p></div>'
             '<table bgcolor="#000000"><tr><td><span style="color:#111111">dark on dark</span></td></tr></table>'
             '<div style="background:#000000" bgcolor="#ffffff"><p style="color:#222222">style beats bgcolor</p></div>'
             '<div style="display: none; background:#ffffff"><p style="color:#fefefe">hidden by style</p></div>'
             '<div aria-hidden="true" style="background:#ffffff"><p style="color:#fdfdfd">hidden by aria</p></div>')
    found = run_rule(accessibility, ws, r, html=r.html.replace("</body>", extra + "</body>"))
    pairs = contrast_pairs(found)
    # faint on white, dark on dark, and the style's background over the bgcolor attribute
    assert {"#eeeeee on #ffffff", "#111111 on #000000", "#222222 on #000000"} <= pairs
    assert not {"#fefefe on #ffffff", "#fdfdfd on #ffffff"} & pairs  # hidden by style, by aria
    assert run_rule(accessibility, ws, r) == []


def test_accessibility_reads_every_hex_form_and_judges_translucent_text_over_its_background(workspace: Path) -> None:
    # '#0008' made the rule fail (ValueError); '#rrggbbaa' was skipped.
    ws, r = build_issue(workspace)
    extra = ('<div style="background:#ffffff"><p style="color:#0003">rgba faint</p>'
             '<p style="color:#00000033">rrggbbaa faint</p><p style="color:#000f">rgba solid</p>'
             '<p style="color:#000000ff">rrggbbaa solid</p></div>'
             '<div style="background:#ffffff"><div style="background:#0000"><p style="color:#0004">see-through</p>'
             '</div></div>')
    found = run_rule(accessibility, ws, r, html=r.html.replace("</body>", extra + "</body>"))
    assert not [f for f in found if f.rule == "check"]
    # rgba faint, rrggbbaa faint, and see-through text over a see-through background
    assert contrast_pairs(found) == {"#0003 on #ffffff", "#00000033 on #ffffff", "#0004 on #ffffff"}
    # Translucent text over a background nobody set can't be judged: no finding, no failure.
    lone = '<html lang="en"><head><title>x</title></head><body><p style="color:#0008">alone</p></body></html>'
    assert [f for f in run_rule(accessibility, ws, r, html=lone) if "#0008" in f.message or f.rule == "check"] == []


def test_accessibility_reads_named_colours_and_rgb(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    extra = ('<div style="background-color: lightyellow"><p style="color: rgb(250, 250, 240)">rgb pale</p>'
             '<p style="color: White !important">named pale</p><p style="color: rgba(0,0,0,1)">rgba dark</p>'
             '<p style="color: rgb(0 0 0 / 10%)">modern pale</p><p style="color: DarkSlateGray">named dark</p></div>')
    found = run_rule(accessibility, ws, r, html=r.html.replace("</body>", extra + "</body>"))
    assert contrast_pairs(found) == {"rgb(250, 250, 240) on lightyellow", "White on lightyellow",
                                     "rgb(0 0 0 / 10%) on lightyellow"}


def test_accessibility_colour_values() -> None:
    from newsletter.checks import colors

    assert colors.parse("#abc") == colors.parse("#AABBCC") == (170.0, 187.0, 204.0, 1.0)
    assert colors.parse("#0008") == (0.0, 0.0, 0.0, 0x88 / 255) == colors.parse("#00000088")
    assert colors.parse("rgba(255, 0, 0, 0.5)") == (255.0, 0.0, 0.0, 0.5)
    assert colors.parse("rgb(100%, 0%, 0%)") == pytest.approx((255.0, 0.0, 0.0, 1.0))
    assert colors.parse("rebeccapurple") == (102.0, 51.0, 153.0, 1.0) and len(colors.NAMED) == 148
    assert colors.parse("transparent") == (0.0, 0.0, 0.0, 0.0)
    for bad in ("#12", "#12345", "#1234567", "#ggg", "rgb(1,2)", "currentColor", "var(--x)", ""):
        assert colors.parse(bad) is None
    assert colors.find("url(x.png) rgb(1, 2, 3) no-repeat") == (1.0, 2.0, 3.0, 1.0)


def test_accessibility_a_palette_colour_shortened_by_the_inliner_is_the_palettes(workspace: Path) -> None:
    # The inliner writes '#999999' as '#999': the finding still names the setting, in newsletter.yaml.
    ws, r = build_issue(workspace, settings_extra='theme:\n  colors:\n    muted: "#999999"\n')
    assert "color:#999'" in r.html
    found = [f for f in run_rule(accessibility, ws, r) if f.message.startswith("text in <") and "#999" in f.message]
    assert found
    lines = (workspace / "newsletter.yaml").read_text().split("\n")
    for f in found:
        assert f.file.endswith("newsletter.yaml") and '"#999999"' in lines[f.line - 1]
        assert "theme.colors.muted" in f.hint


# ---- inbox ---------------------------------------------------------------------------------


def test_inbox_subject_length(workspace: Path) -> None:
    long = GOOD_ISSUE.replace("Tide tables for the week", "Tide tables for the week, the harbour gates and a"
                              " new ferry timetable")
    ws, r = build_issue(workspace, long)
    found = run_rule(inbox, ws, r)
    assert [f.severity for f in found] == ["warning"] and found[0].line == 2 and "subject" in found[0].message
    ws, r = build_issue(workspace)
    assert run_rule(inbox, ws, r) == []


def test_inbox_preheader_length_and_not_the_subject(workspace: Path) -> None:
    short = GOOD_ISSUE.replace("Spring tides return on Thursday, and the harbour gates change their hours.",
                               "Spring tides.")
    ws, r = build_issue(workspace, short)
    assert any("preheader is 13 characters" in f.message and f.line == 4 for f in run_rule(inbox, ws, r))
    one = GOOD_ISSUE.replace("Spring tides return on Thursday, and the harbour gates change their hours.", "S")
    ws, r = build_issue(workspace, one)
    assert [f.message.split(";")[0] for f in run_rule(inbox, ws, r) if "preheader is" in f.message] == [
        "preheader is 1 character"]
    same = GOOD_ISSUE.replace("Spring tides return on Thursday, and the harbour gates change their hours.",
                              "Tide tables for the week")
    ws, r = build_issue(workspace, same)
    assert any("repeats the subject" in f.message for f in run_rule(inbox, ws, r))


def test_inbox_preheader_followed_by_filler(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    bare = re.sub("(&#847;|\u034f|&zwnj;|\u200c|&nbsp;|\u00a0)", "", r.html)
    assert any("not followed by filler" in f.message for f in run_rule(inbox, ws, r, html=bare))


# ---- plain text ------------------------------------------------------------------------------


def test_plaintext_present(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    assert run_rule(plaintext, ws, r) == []
    assert rules_of(run_rule(plaintext, ws, r, text="  \n"), "error") == ["the plain-text part is empty"]


def test_plaintext_no_html_or_markdown_residue(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    found = run_rule(plaintext, ws, r, text=r.text + "\nSee <b>this</b> now.\n")
    assert any("HTML in the plain-text part" in f.message for f in found)
    found = run_rule(plaintext, ws, r, text=r.text + "\nSee **this** and [that](https://x.example/).\n")
    assert any("Markdown residue" in f.message for f in found)
    ok = run_rule(plaintext, ws, r, text=r.text + "\nSee the report <https://dispatch.example/a>.\n")
    assert not any("residue" in f.message or "HTML in" in f.message for f in ok)
    # An entity with no '<' anywhere, and one beside a <URL> link, are found too.
    for extra in ("\nFish &amp; chips.\n", "\nSee <https://dispatch.example/a> &amp; more.\n"):
        found = run_rule(plaintext, ws, r, text=r.text.replace("<", "(").replace(">", ")") + extra)
        assert [f.message for f in found if "HTML in" in f.message] == ["HTML in the plain-text part: '&amp;'"], extra


def test_plaintext_text_the_editor_wrote_is_not_residue(workspace: Path) -> None:
    """'Press <Enter>' and a code line '# install the tool' are the issue's own text; the same
    marks left over from rendering are still found."""
    issue = GOOD_ISSUE + ("\nPress <Enter> to continue, then type \\*\\*twice\\*\\*.\n\n"
                          "Call the function with `**kwargs**` to pass options.\n\n"
                          "```\n# install the tool\npip install harbour\n```\n")
    ws, r = build_issue(workspace, issue)
    assert "Press <Enter> to continue" in r.text and "# install the tool" in r.text and "**twice**" in r.text
    found = run_rule(plaintext, ws, r)
    assert not [f.message for f in found if "residue" in f.message or "HTML in" in f.message]
    found = run_rule(plaintext, ws, r, text=r.text + "\n# A heading left over\n\nSee <b>this</b>.\n")
    assert [f.message for f in found if "residue" in f.message or "HTML in" in f.message] == [
        "HTML in the plain-text part: '<b>'", "Markdown residue in the plain-text part: a '#' heading"]


def test_plaintext_a_hash_the_wrapping_puts_at_a_line_start_is_no_heading(workspace: Path) -> None:
    issue = GOOD_ISSUE + ("\nSkippers who need the harbor master should call on the working radio channel # 16 is "
                          "the *calling* channel for the whole bay area.\n")
    ws, r = build_issue(workspace, issue)
    assert "\n# 16 is the calling channel" in r.text
    assert not [f.message for f in run_rule(plaintext, ws, r) if "residue" in f.message]
    # A heading left over right under a wrapped line of the editor's is still found.
    left = r.text.replace("whole bay area.", "whole bay area.\n# A heading left over")
    assert [f.message for f in run_rule(plaintext, ws, r, text=left) if "residue" in f.message] == [
        "Markdown residue in the plain-text part: a '#' heading"]


def test_plaintext_line_lengths(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    long_line = "word " * 17 + "end"
    found = run_rule(plaintext, ws, r, text=r.text + long_line + "\n")
    assert [f.severity for f in found] == ["warning"] and "88 characters" in found[0].message
    lone_url = "https://dispatch.example/" + "a" * 90
    assert run_rule(plaintext, ws, r, text=r.text + lone_url + "\n<" + lone_url + ">\n") == []
    found = run_rule(plaintext, ws, r, text=r.text + "x" * 1000 + "\n")
    assert [f.severity for f in found] == ["error"] and "998" in found[0].message


def test_plaintext_has_every_link_the_unsubscribe_url_and_the_address(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    missing_link = r.text.replace("https://dispatch.example/minutes", "")
    found = run_rule(plaintext, ws, r, text=missing_link)
    assert any("lacks the link https://dispatch.example/minutes" in f.message for f in found)
    no_unsub = r.text.replace("https://dispatch.example/unsubscribe", "")
    assert any("no unsubscribe link" in m for m in rules_of(run_rule(plaintext, ws, r, text=no_unsub), "error"))
    no_address = r.text.replace("1 Test Street, Testville", "")
    assert any("postal address" in m for m in rules_of(run_rule(plaintext, ws, r, text=no_address), "error"))


@pytest.mark.parametrize("esp", ["mailchimp", "sendgrid", "mailgun", "buttondown", "postmark", "generic"])
def test_plaintext_judges_our_own_tags_as_a_reader_sees_them(workspace: Path, esp: str) -> None:
    """Mailchimp's placeholder form has '**' in it, and Buttondown's and Postmark's are long:
    the text part was flagged for Markdown residue or an over-long line the editor can't fix."""
    issue = GOOD_ISSUE.replace("Good morning. This is the intro.",
                               "Good morning, %%first_name|reader%%, and welcome back to the tide tables for this week.")
    ws, r = build_issue(workspace, issue, settings_extra=f"esp: {esp}\n")
    assert run_rule(plaintext, ws, r) == []
    # Residue and long lines of the content itself are still found.
    found = run_rule(plaintext, ws, r, text=r.text + "\nSee **this** now, %%first_name|reader%%.\n" + "word " * 20 + "\n")
    assert [f.message.split(":")[0] for f in found] == ["Markdown residue in the plain-text part",
                                                        f"line {len(r.text.split(chr(10))) + 2} of the text part is 100 characters (over 78)"]


def test_plaintext_carries_a_linked_images_link_and_a_mailto_address_once(workspace: Path) -> None:
    issue = GOOD_ISSUE + ("\n![A tug at the quay](https://dispatch.example/tug.jpg){link=\"https://dispatch.example/tug\"}\n"
                          "\nWrite to [desk@dispatch.example](mailto:desk@dispatch.example).\n")
    ws, r = build_issue(workspace, issue)
    assert "[Image: A tug at the quay] <https://dispatch.example/tug>" in r.text
    assert "Write to desk@dispatch.example." in r.text and "<mailto:" not in r.text
    assert run_rule(plaintext, ws, r) == []


# ---- sections --------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "meant"), [
    ("Know Mroe", "Know More"), ("Room for Disagrement", "Room for Disagreement"), ("Notible", "Notable"),
    ("The News:", "The News"), ("Step back.", "Step Back"), ("Ruths View", "Ruth's View"),
    ("Reed's View:", "Reed's View"), ("The View Form Lagos", "The View From Lagos"), ("The Scoops", "The Scoop"),
    ("Toms View", "Tom's View"),
])
def test_sections_a_near_miss_of_a_label_is_a_warning_at_its_line(workspace: Path, title: str, meant: str) -> None:
    ws, r = build_issue(workspace, GOOD_ISSUE.replace("## The News", f"## {title}"))
    [finding] = run_rule(sections, ws, r)
    assert (finding.severity, finding.file, finding.line) == ("warning", str(ws.issues_dir / "2026-06-02-tides.md"), 12)
    assert finding.message.startswith(f"'## {title}' is read as a section of your own, not as '{meant}'")
    assert finding.hint == f"did you mean '## {meant}'?"


@pytest.mark.parametrize(("title", "meant"), [
    ("Chris View", ["Chris's View", "Chris' View"]), ("Jess View", ["Jess's View", "Jess' View"]),
    ("Marcus View", ["Marcus's View", "Marcus' View"]), ("Mikes View", ["Mike's View", "Mikes's View"]),
])
def test_sections_a_view_whose_name_ends_in_s_keeps_the_name(workspace: Path, title: str, meant: list[str]) -> None:
    # 'Chris View' suggested "Chri's View".
    ws, r = build_issue(workspace, GOOD_ISSUE.replace("## The News", f"## {title}"))
    [finding] = run_rule(sections, ws, r)
    assert f"not as '{meant[0]}'" in finding.message
    assert finding.hint == "did you mean " + " or ".join(f"'## {m}'" for m in meant) + "?"
    assert all(section_kind(m) == "view" for m in meant)


@pytest.mark.parametrize("title", ["The News", "Know More", "Ruth's View", "The View From Lagos", "The Newsroom",
                                   "Notable links", "What we are watching", "The Very Famous Lagos", "Overview"])
def test_sections_labels_and_labels_of_your_own_pass(workspace: Path, title: str) -> None:
    ws, r = build_issue(workspace, GOOD_ISSUE.replace("## The News", f"## {title}"))
    assert run_rule(sections, ws, r) == []


# ---- deliverability --------------------------------------------------------------------------


def test_deliverability_visible_unsubscribe_link(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    assert run_rule(deliverability, ws, r) == []
    hidden = re.sub(r'<a [^>]*href="https://dispatch.example/unsubscribe"[^>]*>Unsubscribe</a>', "", r.html)
    assert hidden != r.html
    found = run_rule(deliverability, ws, r, html=hidden)
    assert [f.severity for f in found] == ["error"] and "no visible unsubscribe link" in found[0].message
    tucked = hidden.replace("</body>", '<div style="display:none"><a href="https://dispatch.example/unsubscribe">'
                            "Unsubscribe</a></div></body>")
    assert run_rule(deliverability, ws, r, html=tucked)[0].severity == "error"


def _footer_without_unsubscribe() -> str:
    footer = (Path(__file__).parent.parent / "templates" / "partials" / "footer.mjml.j2").read_text()
    cut = re.sub(r'<a class="nl-link" href="\{\{ links.unsubscribe \}\}">Unsubscribe</a>', "", footer)
    assert cut != footer
    return cut


def test_deliverability_wants_the_unsubscribe_url_not_any_link_saying_unsubscribe(workspace: Path) -> None:
    issue = GOOD_ISSUE + "\nRead [how to unsubscribe from lists you never joined](https://dispatch.example/guide).\n"
    ws, r = build_issue(workspace, issue, templates={"partials/footer.mjml.j2": _footer_without_unsubscribe()})
    [found] = run_rule(deliverability, ws, r)
    assert found.severity == "error" and "no visible unsubscribe link" in found.message
    # At the HTML footer the workspace overrode, not at the text part's template.
    assert found.file == str(workspace / "templates" / "partials" / "footer.mjml.j2")


def test_deliverability_error_names_the_html_template_line(workspace: Path) -> None:
    footer = _footer_without_unsubscribe().replace(
        "{{ settings.footer_reason }}", '{{ settings.footer_reason }} <a href="{{ links.unsubscribe }}"></a>')
    ws, r = build_issue(workspace, templates={"partials/footer.mjml.j2": footer})
    [found] = run_rule(deliverability, ws, r)
    assert found.file.endswith("footer.mjml.j2")
    assert "links.unsubscribe" in footer.split("\n")[found.line - 1]
    assert "hidden or has no words" in found.hint


@pytest.mark.parametrize("style", ["visibility:hidden", "max-height:0;overflow:hidden", "font-size:0",
                                   "opacity:0", "height: 0px; overflow: hidden", "font-size: 0px !important"])
def test_deliverability_an_unsubscribe_link_hidden_by_style_is_not_visible(workspace: Path, style: str) -> None:
    ws, r = build_issue(workspace)
    link = re.search(r'<a [^>]*href="https://dispatch.example/unsubscribe"[^>]*>Unsubscribe</a>', r.html)
    assert link is not None
    hidden = r.html.replace(link.group(0), f'<span style="{style}">{link.group(0)}</span>')
    assert [f.severity for f in run_rule(deliverability, ws, r, html=hidden)] == ["error"]
    shown = r.html.replace(link.group(0), f'<span style="font-size:0"><b style="font-size:14px">{link.group(0)}</b>'
                                          '</span>')
    assert run_rule(deliverability, ws, r, html=shown) == []


@pytest.mark.parametrize("extra", ["esp: mailchimp\n", "esp: buttondown\n", "utm:\n  source: dispatch\n"])
def test_deliverability_finds_the_unsubscribe_link_as_the_html_writes_it(workspace: Path, extra: str) -> None:
    cfg = workspace / "newsletter.yaml"
    if extra.startswith("esp"):
        cfg.write_text(cfg.read_text().replace("unsubscribe_url: https://dispatch.example/unsubscribe\n", ""))
    ws, r = build_issue(workspace, settings_extra=extra)
    assert run_rule(deliverability, ws, r) == []


def test_visible_keeps_the_preheader_hidden_and_the_body_shown(workspace: Path) -> None:
    from newsletter.checks.context import CheckContext, visible
    from newsletter.render.jinja import search_path

    ws, r = build_issue(workspace)
    ctx = CheckContext(r, ws.settings, search_path(ws.templates_dir))
    [pre] = [el for el in ctx.body.iter("div") if "nl-preheader" in (el.get("class") or "")]
    assert not visible(pre)
    assert all(visible(a) for a in ctx.body.iter("a")) and all(visible(img) for img in ctx.body.iter("img"))


def test_deliverability_needs_an_unsubscribe_url(workspace: Path) -> None:
    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text().replace("unsubscribe_url: https://dispatch.example/unsubscribe\n", ""))
    ws, r = build_issue(workspace)
    found = run_rule(deliverability, ws, r)
    assert [f.message for f in found] == ["no unsubscribe URL is configured"]


def test_links_source_scan_used_when_the_build_stops() -> None:
    source = ("---\nsubject: x\n---\nSee [the minutes](http://dispatch.example/m) and <http://dispatch.example/n>.\n"
              "![A chart](http://dispatch.example/c.png)\n[Fine](https://dispatch.example/ok)\n")
    found = links.source_findings("issues/x.md", source)
    assert [(f.severity, f.line) for f in found] == [("warning", 4), ("warning", 4), ("error", 5)]
    assert links.source_findings("issues/x.md", "[Fine](https://dispatch.example/ok)\n") == []


def test_links_source_scan_skips_comments_and_code_and_reads_any_case() -> None:
    source = ("---\nsubject: x\n---\n<!-- was [the minutes](http://dispatch.example/m)\n"
              "and <http://dispatch.example/n> -->\nType `[a](http://localhost/x)` to link.\n"
              "```\n[b](http://localhost/y)\n```\nSee [the report](Http://dispatch.example/r).\n")
    found = links.source_findings("issues/x.md", source)
    assert [(f.line, f.message) for f in found] == [(10, "link uses http, not https: Http://dispatch.example/r")]


def test_a_failing_rule_becomes_an_error_finding_not_a_crash(workspace: Path) -> None:
    from newsletter.checks import run_checks
    from newsletter.render.jinja import search_path

    def broken(ctx: object) -> list:
        raise KeyError("colour")

    ws, r = build_issue(workspace)
    found = run_checks(r, ws.settings, search_path(ws.templates_dir), rules=[size.check, broken])
    assert [(f.rule, f.severity) for f in found] == [("check", "error")]
    assert "KeyError" in found[0].message and found[0].issue == r.issue.path


def test_inbox_default_preheader_points_at_the_sentence_it_came_from(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace('preheader: "Spring tides return on Thursday, and the harbour gates change their hours."\n',
                               "")
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(inbox, ws, r) if "preheader is" in f.message]
    lines = issue.split("\n")
    assert found and "The lede sentence comes first." in lines[found[0].line - 1]


def test_inbox_no_preheader_points_at_the_subject(workspace: Path) -> None:
    # It had no line, so an editor's --strict build failed on a finding with nowhere to go.
    issue = '---\nsubject: "Tide tables for the week"\ndate: 2026-06-02\n---\n# The first story\n'
    ws, r = build_issue(workspace, issue)
    [found] = [f for f in run_rule(inbox, ws, r) if f.message.startswith("no preheader")]
    assert (found.file, found.line) == (str(ws.issues_dir / "2026-06-02-tides.md"), 2)


def test_template_syntax_typed_in_the_issue_points_at_the_issue_line(workspace: Path) -> None:
    """Text such as "{{ price }}" reaches both parts as typed (content is never a template), and an
    email service may act on it when it sends; the finding names the issue's line, not a template."""
    issue = GOOD_ISSUE.replace("The facts of the matter", "The price is {{ price }} and the facts of the matter")
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(structure, ws, r) if "unrendered template syntax" in f.message]
    assert len(found) == 2  # the HTML and the text part
    line = issue.splitlines().index(next(ln for ln in issue.splitlines() if "{{ price }}" in ln)) + 1
    assert {(f.file, f.line) for f in found} == {(r.issue.path, line)}
    assert all("email service may take it for its own template syntax" in f.hint for f in found)


def test_links_in_a_headline_or_section_title_are_named_as_dropped(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("# The first story", "# The [first story](https://dispatch.example/s)").replace(
        "## The News", "## The News <https://dispatch.example/n>")
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(links, ws, r) if "dropped" in f.message]
    lines = issue.split("\n")
    assert [(f.severity, f.line, f.message) for f in found] == [
        ("warning", lines.index("# The [first story](https://dispatch.example/s)") + 1,
         "the link in this headline is dropped: headlines are plain text"),
        ("warning", lines.index("## The News <https://dispatch.example/n>") + 1,
         "the link in this section title is dropped: section titles are plain text")]
    ws, r = build_issue(workspace)
    assert not [f for f in run_rule(links, ws, r) if "dropped" in f.message]


def test_template_syntax_names_every_expression_once(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("The facts of the matter", "Hi {{first_name}}, the price is {{ price }} ({{ price }})")
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(structure, ws, r) if "unrendered template syntax in the text part" in f.message]
    assert [f.message.split("...")[1].count("{{") >= 1 for f in found] == [True, True]
    assert ["{{first_name}}" in found[0].message, "{{ price }}" in found[1].message] == [True, True]


def test_no_link_is_named_dropped_where_there_is_none(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("# The first story", "# Using `arr[0](x)` and notes [1][2]")
    ws, r = build_issue(workspace, issue)
    assert not [f for f in run_rule(links, ws, r) if "dropped" in f.message]


def test_template_syntax_findings_stop_at_ten_in_each_part(workspace: Path) -> None:
    issue = GOOD_ISSUE.replace("The facts of the matter", " ".join(f"{{{{ v{n} }}}}" for n in range(15)))
    ws, r = build_issue(workspace, issue)
    found = [f.message for f in run_rule(structure, ws, r) if "unrendered template syntax" in f.message]
    assert [m.split(":")[0] for m in found] == ["unrendered template syntax in the HTML"] * 10 + [
        "unrendered template syntax in the text part"] * 10


# ---- where findings point -------------------------------------------------------------------


def _issue_lines(r: object) -> list[str]:
    return r.issue.source.split("\n")  # type: ignore[attr-defined]


def test_findings_point_at_their_own_occurrence_not_the_first_alike(workspace: Path) -> None:
    issue = GOOD_ISSUE + ("\n<!-- old wording: [click here](https://dispatch.example/a) -->\n\n"
                          "Read it: [click here](https://dispatch.example/a).\n\n"
                          "[x](http://dispatch.example/report-2024) is last year's.\n\n"
                          "[y](http://dispatch.example/report) is this year's.\n\n"
                          "Read it again: [click here](https://dispatch.example/a).\n")
    ws, r = build_issue(workspace, issue)
    lines = _issue_lines(r)
    found = run_rule(links, ws, r)
    generic = [f.line for f in found if "click here" in f.message]
    assert generic == [lines.index("Read it: [click here](https://dispatch.example/a).") + 1,
                       lines.index("Read it again: [click here](https://dispatch.example/a).") + 1]
    http = {f.message.rsplit(" ", 1)[1]: f.line for f in found if "uses http" in f.message}
    assert lines[http["http://dispatch.example/report-2024"] - 1].startswith("[x]")
    assert lines[http["http://dispatch.example/report"] - 1].startswith("[y]")


def test_text_search_skips_comments_and_matches_whole_urls(workspace: Path) -> None:
    from newsletter.checks.context import CheckContext
    from newsletter.render.jinja import search_path

    issue = GOOD_ISSUE + ("\n<!-- the tide report is late\n(https://dispatch.example/b) -->\n\n"
                          "Here: the tide report is late, see <https://dispatch.example/b>.\n")
    ws, r = build_issue(workspace, issue)
    ctx = CheckContext(r, ws.settings, search_path(ws.templates_dir))
    lines = _issue_lines(r)
    assert ctx.issue_line("the tide report is late") == len(lines) - 1
    assert ctx.issue_line("https://dispatch.example/b") == len(lines) - 1
    assert ctx.issue_line("https://dispatch.example/mi") == 0  # a prefix of .../minutes is no URL of the issue


def test_derived_preheader_findings_point_at_the_lede_even_with_markdown(workspace: Path) -> None:
    issue = ('---\nsubject: "Tide tables for the week"\ndate: 2026-06-02\n---\nGood morning.\n\n'
             "# The port said so\n\nThe **port** said so.\n")
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(inbox, ws, r) if f.message.startswith("preheader is")]
    assert [f.line for f in found] == [_issue_lines(r).index("The **port** said so.") + 1]


def test_settings_findings_skip_yaml_comments_and_prefer_the_keys_line(workspace: Path) -> None:
    from newsletter.checks.context import CheckContext
    from newsletter.render.jinja import search_path

    extra = ('# esp: generic\n# background: "#F7F3DC"\nfooter_reason: "You set esp: once."\n'
             'esp: generic\ntheme:\n  colors:\n    background: "#F7F3DC"  # the cream # page\n')
    ws, r = build_issue(workspace, settings_extra=extra)
    ctx = CheckContext(r, ws.settings, search_path(ws.templates_dir))
    lines = (workspace / "newsletter.yaml").read_text().split("\n")
    assert lines[ctx.settings_line("esp:") - 1] == "esp: generic"
    assert lines[ctx.settings_line("#F7F3DC") - 1].startswith('    background: "#F7F3DC"')


def test_a_url_the_renderer_rewrites_keeps_its_issue_line(workspace: Path) -> None:
    # Percent-encoded ('gdańsk', a space) and UTM-tagged, the link was reported at email.html.
    issue = GOOD_ISSUE + ("\nSee [a](http://dispatch.example/stocznia-gdańsk) first.\n\n"
                          "Then [b](<http://dispatch.example/the notice>) and [c](http://dispatch.example/q?id=3).\n")
    ws, r = build_issue(workspace, issue, settings_extra="utm:\n  source: dispatch\n")
    assert "utm_source=dispatch" in r.html
    lines = _issue_lines(r)
    found = {f.message.split(": ", 1)[1]: f for f in run_rule(links, ws, r) if "uses http" in f.message}
    assert set(found) == {"http://dispatch.example/stocznia-gdańsk", "http://dispatch.example/the notice",
                          "http://dispatch.example/q?id=3"}
    for url, f in found.items():
        assert f.file == r.issue.path and (url in lines[f.line - 1] or url.replace(" ", "%20") in lines[f.line - 1])


def test_identical_findings_are_reported_once(workspace: Path) -> None:
    # An http signup_url is linked from the masthead and twice from the footer: one warning.
    from newsletter.checks import run_checks
    from newsletter.render.jinja import search_path

    cfg = workspace / "newsletter.yaml"
    cfg.write_text(cfg.read_text().replace("signup_url: https://", "signup_url: http://"))
    ws, r = build_issue(workspace)
    assert r.html.count('href="http://dispatch.example/subscribe"') > 1
    found = run_checks(r, ws.settings, search_path(ws.templates_dir), rules=[links.check])
    signup = [f for f in found if "http://dispatch.example/subscribe" in f.message]
    assert len(signup) == 1 and signup[0].file.endswith("newsletter.yaml") and signup[0].line > 0


def test_plaintext_residue_lines_after_a_line_of_unclosed_links(workspace: Path) -> None:
    """'[a](' thousands of times over (one unbreakable line of the text part) made the link
    search scan to the line's end from every '[': minutes for an issue under 1 MB. Each line
    is now searched up to its last ')'; the lines of what is found stay right."""
    ws, r = build_issue(workspace)
    lines = r.text.split("\n")
    found = run_rule(plaintext, ws, r, text=r.text + "\n" + "[a](" * 20000 + "\nSee [that](https://x.example/).\n")
    residue = [f for f in found if "residue" in f.message]
    assert [(f.line, f.message) for f in residue] == [
        (len(lines) + 2, "Markdown residue in the plain-text part: a [text](url) link")]
    found = run_rule(plaintext, ws, r, text=r.text + "\n" + "[" * 20000 + "]x) [t](u)\n")
    assert [(f.line, f.message) for f in found if "residue" in f.message] == [
        (len(lines) + 1, "Markdown residue in the plain-text part: a [text](url) link")]
    found = run_rule(plaintext, ws, r, text=r.text + "\n" + "[a](" * 20000 + ")\n\n`code`\n")
    assert [(f.line, f.message) for f in found if "residue" in f.message] == [
        (len(lines) + 1, "Markdown residue in the plain-text part: a [text](url) link")]
