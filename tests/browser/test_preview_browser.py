"""The preview page in a real headless Chromium, against a server started on a free loopback port.

Nothing leaves the machine: the browser context answers the issue's one image URL with a
PNG made here and aborts every other request that isn't to 127.0.0.1.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL_ISSUE, free_port
from playwright.sync_api import Page, Route, expect

from newsletter.preview.server import PreviewServer

pytestmark = pytest.mark.browser

SLUG = "2026-06-02-tides"
ALT = "A tide gauge at dawn"
IMAGE_URL = "https://img.dispatch.example/gauge.png"
ISSUE = MINIMAL_ISSUE.replace("The facts of the matter.\n",
                              f"The facts of the matter.\n\n![{ALT}]({IMAGE_URL})\n\n" +
                              "\n\n".join(f"Paragraph {i} of the filler that makes the email tall." for i in range(40)) + "\n")
FRAME = "document.getElementById('frame')"


def png(width: int = 8, height: int = 8) -> bytes:
    """A solid red PNG, made here so the test needs no file and no network."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def server(workspace: Path) -> Iterator[PreviewServer]:
    (workspace / "issues" / f"{SLUG}.md").write_text(ISSUE, encoding="utf-8")
    s = PreviewServer(workspace, "127.0.0.1", free_port())
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def pv(browser: Any, server: PreviewServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    image = png()

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if url.startswith((server.url + "/", "data:")):
            route.continue_()
        elif url == IMAGE_URL:
            route.fulfill(status=200, content_type="image/png", body=image)
        else:
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def open_issue(page: Page, server: PreviewServer) -> None:
    page.goto(f"{server.url}/issue/{SLUG}")
    page.wait_for_function(f"() => {FRAME}.dataset.loaded !== undefined")


def in_frame(page: Page, expression: str) -> Any:
    """Evaluate ``expression`` with ``doc`` bound to the frame's document."""
    return page.evaluate(f"() => {{ const doc = {FRAME}.contentDocument; return {expression}; }}")


def wait_frame(page: Page, condition: str) -> None:
    """Wait until ``condition`` holds for a fully loaded frame document ``doc``."""
    page.wait_for_function(
        f"() => {{ const f = {FRAME}; const doc = f.contentDocument;"
        f" return !!doc && doc.readyState === 'complete' && f.dataset.loaded !== undefined && ({condition}); }}",
        timeout=15000,
    )


def button(page: Page, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def frame_text(page: Page) -> str:
    return str(in_frame(page, "doc.body ? doc.body.innerText : ''"))


def test_index_lists_the_issue_and_links_to_its_preview(pv: Page, server: PreviewServer) -> None:
    pv.goto(server.url + "/")
    link = pv.get_by_role("link", name="Tide tables for the week")
    expect(link).to_be_visible()
    link.click()
    expect(pv).to_have_url(f"{server.url}/issue/{SLUG}#w=1024")
    wait_frame(pv, "doc.body.innerText.includes('The first story')")
    expect(pv.locator("#subject")).to_have_text("Tide tables for the week")
    expect(pv.locator("#from")).to_have_text("Test Dispatch <desk@dispatch.example>")
    expect(pv.locator("#size")).to_contain_text("of 102 KB")
    expect(pv.locator("#overlay")).to_be_hidden()
    assert pv.locator("#frame").bounding_box()["width"] == 1024  # type: ignore[index]
    # The check findings (if the build has any) are listed under the header, one line each.
    result = server.state.entry(SLUG).result  # type: ignore[union-attr]
    assert result is not None
    count = len(result.findings) + len(result.warnings)
    expect(pv.locator("#findings li")).to_have_count(count)
    if count:
        pv.locator("#findings-summary").click()
        first = result.findings[0] if result.findings else None
        if first is not None:
            expect(pv.locator("#findings")).to_contain_text(first.message[:40])


def test_a_settings_warning_is_listed_with_the_findings(pv: Page, server: PreviewServer, workspace: Path) -> None:
    from newsletter.preview.plan import Kind, plan_rebuild

    config = workspace / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "sender_nmae: Desk\n", encoding="utf-8")
    server.state.apply(plan_rebuild([(Kind.MODIFIED, config)], workspace))
    open_issue(pv, server)
    pv.locator("#findings-summary").click()
    item = pv.locator("#findings li", has_text="unknown setting 'sender_nmae'")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("warning \u00b7 settings")


def test_mobile_gives_a_375px_frame_without_sideways_scrolling(pv: Page, server: PreviewServer) -> None:
    open_issue(pv, server)
    button(pv, "Mobile").click()
    pv.wait_for_function(f"() => {FRAME}.getBoundingClientRect().width === 375")
    wait_frame(pv, "doc.documentElement.clientWidth === 375")
    scroll_width, client_width = in_frame(pv, "[doc.documentElement.scrollWidth, doc.documentElement.clientWidth]")
    assert client_width == 375
    assert scroll_width <= client_width
    # The width field takes any other width.
    pv.locator("#width").fill("600")
    pv.locator("#width").press("Enter")
    pv.wait_for_function(f"() => {FRAME}.getBoundingClientRect().width === 600")
    expect(button(pv, "Mobile")).to_have_attribute("aria-pressed", "false")


def test_dark_changes_the_frames_colours(pv: Page, server: PreviewServer) -> None:
    open_issue(pv, server)
    colours = "[getComputedStyle(doc.body).backgroundColor, getComputedStyle(doc.querySelector('h1, p')).color]"
    wait_frame(pv, "!!doc.querySelector('h1, p')")
    light = in_frame(pv, colours)
    before = pv.locator("#frame").screenshot()
    button(pv, "Dark").click()
    wait_frame(pv, f"{FRAME}.contentWindow.location.search.includes('dark')")
    dark = in_frame(pv, colours)
    assert dark[0] != light[0] and dark[1] != light[1]
    assert in_frame(pv, "getComputedStyle(doc.documentElement).colorScheme") == "dark"
    assert pv.locator("#frame").screenshot() != before
    expect(button(pv, "Dark")).to_have_attribute("aria-pressed", "true")


def test_dark_keeps_a_dark_rules_other_conditions(pv: Page, server: PreviewServer, workspace: Path) -> None:
    """Dark made every block that mentioned the dark scheme unconditional: a phone-only dark
    rule applied in a desktop frame, and a rule for "not dark" applied in dark."""
    from conftest import REPO

    theme = (REPO / "templates" / "responsive.css.j2").read_text(encoding="utf-8")
    (workspace / "templates").mkdir()
    (workspace / "templates" / "responsive.css.j2").write_text(theme + (
        "@media (prefers-color-scheme: dark) and (max-width: 480px) { h1 { letter-spacing: 7px !important; } }\n"
        "@media not all and (prefers-color-scheme: dark) { h1 { text-transform: uppercase !important; } }\n"
    ), encoding="utf-8")
    server.state.build_everything()
    assert "letter-spacing: 7px" in (workspace / "out" / SLUG / "email.html").read_text(encoding="utf-8")
    h1 = "(() => { const s = getComputedStyle(doc.querySelector('h1')); return [s.letterSpacing, s.textTransform]; })()"
    open_issue(pv, server)
    wait_frame(pv, "!!doc.querySelector('h1')")
    assert in_frame(pv, h1) == ["normal", "uppercase"]  # light, desktop
    button(pv, "Dark").click()
    wait_frame(pv, f"{FRAME}.contentWindow.location.search.includes('dark')")
    assert in_frame(pv, h1) == ["normal", "none"]  # dark, desktop: neither rule
    button(pv, "Mobile").click()
    wait_frame(pv, "doc.documentElement.clientWidth === 375")
    assert in_frame(pv, h1) == ["7px", "none"]  # dark, phone: the phone's dark rule


def test_no_styles_removes_every_style_block_and_changes_the_frame(pv: Page, server: PreviewServer) -> None:
    open_issue(pv, server)
    wait_frame(pv, "doc.querySelectorAll('style').length > 0")
    before = pv.locator("#frame").screenshot()
    button(pv, "No styles").click()
    wait_frame(pv, f"{FRAME}.contentWindow.location.search.includes('nostyles')")
    assert in_frame(pv, "doc.querySelectorAll('style').length") == 0
    assert "The first story" in frame_text(pv)
    assert pv.locator("#frame").screenshot() != before


def test_images_off_shows_alt_text_instead_of_the_image(pv: Page, server: PreviewServer) -> None:
    open_issue(pv, server)
    wait_frame(pv, "[...doc.images].some((i) => i.complete && i.naturalWidth === 8)")
    assert ALT not in frame_text(pv)
    button(pv, "Images off").click()
    wait_frame(pv, f"{FRAME}.contentWindow.location.search.includes('imagesoff')")
    assert in_frame(pv, "doc.images.length") == 0
    assert ALT in frame_text(pv)


def test_text_and_source_show_the_plain_text_and_the_html(pv: Page, server: PreviewServer,
                                                          workspace: Path) -> None:
    open_issue(pv, server)
    button(pv, "Text").click()
    wait_frame(pv, f"{FRAME}.contentWindow.location.pathname.endsWith('/text.html')")
    text = (workspace / "out" / SLUG / "email.txt").read_text(encoding="utf-8")
    assert in_frame(pv, "doc.querySelector('pre').textContent").rstrip("\n") == text.rstrip("\n")
    # the 78-column guide is a one-pixel gradient line in the <pre>'s background
    assert "linear-gradient" in in_frame(pv, "getComputedStyle(doc.querySelector('pre')).backgroundImage")
    expect(button(pv, "Dark")).to_be_disabled()
    button(pv, "Source").click()
    wait_frame(pv, f"{FRAME}.contentWindow.location.pathname.endsWith('/source.html')")
    html = (workspace / "out" / SLUG / "email.html").read_text(encoding="utf-8")
    assert in_frame(pv, "doc.querySelector('pre').textContent") == html
    button(pv, "Source").click()  # pressing the active mode again goes back to the email
    wait_frame(pv, f"{FRAME}.contentWindow.location.pathname.endsWith('/view.html')")


def test_an_edit_appears_in_the_frame_keeping_width_mode_and_scroll(pv: Page, server: PreviewServer,
                                                                     workspace: Path) -> None:
    open_issue(pv, server)
    button(pv, "Mobile").click()
    button(pv, "Images off").click()
    wait_frame(pv, f"{FRAME}.contentWindow.location.search.includes('imagesoff')")
    pv.evaluate("window.scrollTo(0, 400)")
    pv.wait_for_function("() => window.scrollY === 400")
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.write_text(ISSUE.replace("The facts of the matter.", "Freshly edited facts."), encoding="utf-8")
    wait_frame(pv, "doc.body.innerText.includes('Freshly edited facts.')")
    assert pv.locator("#frame").bounding_box()["width"] == 375  # type: ignore[index]
    assert "imagesoff" in pv.evaluate(f"{FRAME}.contentWindow.location.search")
    pv.wait_for_function("() => window.scrollY === 400")
    # A reload of the whole page keeps them too (URL hash and sessionStorage).
    pv.reload()
    wait_frame(pv, "doc.body.innerText.includes('Freshly edited facts.')")
    assert pv.locator("#frame").bounding_box()["width"] == 375  # type: ignore[index]
    expect(button(pv, "Images off")).to_have_attribute("aria-pressed", "true")


def test_a_reload_of_the_whole_page_keeps_the_scroll_position(pv: Page, server: PreviewServer) -> None:
    """The start-up saved the scroll position (0, before the frame was there) over the one
    to restore, and preferred the browser's own restore, cut short by the empty page."""
    pv.set_viewport_size({"width": 1280, "height": 720})
    open_issue(pv, server)
    wait_frame(pv, f"{FRAME}.offsetHeight > 2500")
    pv.evaluate("window.scrollTo(0, 1500)")
    pv.wait_for_function("() => window.scrollY === 1500")
    pv.wait_for_timeout(300)  # the position is saved 100 ms after scrolling stops
    pv.reload()
    wait_frame(pv, "true")
    pv.wait_for_function("() => window.scrollY === 1500", timeout=5000)
    pv.wait_for_timeout(300)
    assert pv.evaluate("window.scrollY") == 1500  # and it stays there
    # a rebuild after that still keeps the position it is at
    pv.evaluate("window.scrollTo(0, 1200)")
    pv.wait_for_function("() => window.scrollY === 1200")
    shown = pv.evaluate(f"{FRAME}.dataset.loaded")
    server.state.build_everything()
    pv.wait_for_function(f"() => {FRAME}.dataset.loaded !== '{shown}'")
    pv.wait_for_function("() => window.scrollY === 1200")


def test_the_gone_message_goes_when_the_file_comes_back(pv: Page, server: PreviewServer, workspace: Path) -> None:
    open_issue(pv, server)
    issue = workspace / "issues" / f"{SLUG}.md"
    issue.unlink()
    expect(pv.locator("#status")).to_have_text("This issue's file is gone.", timeout=15000)
    issue.write_text(ISSUE.replace("The facts of the matter.", "Facts that came back."), encoding="utf-8")
    wait_frame(pv, "doc.body.innerText.includes('Facts that came back.')")
    expect(pv.locator("#status")).to_have_text("")


def test_a_yaml_error_shows_an_overlay_naming_file_and_line_and_the_fix_clears_it(
        pv: Page, server: PreviewServer, workspace: Path) -> None:
    open_issue(pv, server)
    issue = workspace / "issues" / f"{SLUG}.md"
    broken = ISSUE.replace('subject: "Tide tables for the week"', 'subject: "Tide tables\n  date: [oops')
    issue.write_text(broken, encoding="utf-8")
    overlay = pv.locator("#overlay")
    expect(overlay).to_be_visible(timeout=15000)
    problem = server.state.entry(SLUG).problems[0]  # type: ignore[union-attr]
    assert problem.line > 0
    expect(overlay).to_contain_text(f"issues/{SLUG}.md:{problem.line}")
    expect(overlay).to_contain_text("invalid YAML")
    # The last good version stays in the frame (which may be between two loads of it just now).
    wait_frame(pv, "doc.body.innerText.includes('The facts of the matter.')")
    expect(overlay).to_be_visible()
    issue.write_text(ISSUE.replace("The facts of the matter.", "Facts after the fix."), encoding="utf-8")
    expect(overlay).to_be_hidden(timeout=15000)
    wait_frame(pv, "doc.body.innerText.includes('Facts after the fix.')")


def test_a_settings_error_shows_in_the_overlay_too(pv: Page, server: PreviewServer, workspace: Path) -> None:
    open_issue(pv, server)
    config = workspace / "newsletter.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace("name: Test Dispatch\n", "name: [Test Dispatch\n", 1), encoding="utf-8")
    overlay = pv.locator("#overlay")
    expect(overlay).to_contain_text(re.compile(r"newsletter\.yaml:\d+"), timeout=15000)
    config.write_text(good.replace("name: Test Dispatch\n", "name: Renamed Dispatch\n", 1), encoding="utf-8")
    expect(overlay).to_be_hidden(timeout=15000)
    wait_frame(pv, "doc.body.innerText.includes('Renamed Dispatch')")


def test_copy_html_and_copy_text_put_exactly_the_built_files_on_the_clipboard(
        pv: Page, server: PreviewServer, workspace: Path) -> None:
    open_issue(pv, server)
    for label, name in (("Copy HTML", "email.html"), ("Copy text", "email.txt")):
        pv.evaluate("navigator.clipboard.writeText('something else')")
        pv.evaluate("document.getElementById('status').textContent = ''")
        button(pv, label).click()
        expect(pv.locator("#status")).to_contain_text(f"Copied {label.split()[1]}")
        copied = pv.evaluate("navigator.clipboard.readText()")
        assert copied.encode("utf-8") == (workspace / "out" / SLUG / name).read_bytes()


def test_download_eml_is_offered_when_the_message_file_exists(pv: Page, server: PreviewServer,
                                                              workspace: Path) -> None:
    eml = workspace / "out" / SLUG / "email.eml"
    open_issue(pv, server)
    link = pv.get_by_role("link", name="Download .eml")
    if not eml.exists():
        expect(link).to_be_hidden()
        eml.write_bytes(b"Subject: x\r\n\r\nbody\r\n")
        server.state.build_everything()
    expect(link).to_be_visible()
    with pv.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == eml.read_bytes()


@pytest.mark.parametrize("name", ["2026-06-10-café", "2026-06-04-日本", '2026-06-11-say "hi"'])
def test_the_eml_downloads_under_the_issues_own_name(pv: Page, server: PreviewServer, workspace: Path,
                                                    name: str) -> None:
    """The name went in a Latin-1 header as it was: 'café' lost its é, '日本' failed, and
    'say "hi"' ended the quoted name early."""
    from urllib.parse import quote

    (workspace / "issues" / f"{name}.md").write_text(ISSUE, encoding="utf-8")
    server.state.build_everything()
    pv.goto(f"{server.url}/issue/{quote(name)}")
    pv.wait_for_function(f"() => {FRAME}.dataset.loaded !== undefined")
    with pv.expect_download() as download:
        pv.get_by_role("link", name="Download .eml").click()
    # Chromium itself writes a quote in a saved file's name as '_'.
    assert download.value.suggested_filename == f"{name}.eml".replace('"', "_")
    assert Path(download.value.path()).read_bytes() == (workspace / "out" / name / "email.eml").read_bytes()
    # and followed from elsewhere, without the link's download attribute
    with pv.expect_download() as direct:
        pv.evaluate("url => { const a = document.createElement('a'); a.href = url; document.body.append(a); a.click(); }",
                    f"/email/{quote(name)}/email.eml")
    assert direct.value.suggested_filename == f"{name}.eml".replace('"', "_")


def test_script_in_the_email_never_runs_in_the_frame(pv: Page, server: PreviewServer, workspace: Path) -> None:
    """A theme can put anything in the HTML; the sandbox and the CSP keep it from running."""
    from conftest import REPO

    partial = (REPO / "templates" / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
    hostile = ('<mj-raw><script>window.parent.__pwned = 1; document.title = "pwned";</script>'
               '<img src="data:," alt="" onerror="window.parent.__pwned = 2"></mj-raw>')
    (workspace / "templates" / "partials").mkdir(parents=True)
    (workspace / "templates" / "partials" / "footer.mjml.j2").write_text(
        partial.replace("{{ settings.footer_reason }}", "Hostile footer.") + hostile + "\n", encoding="utf-8")
    open_issue(pv, server)
    wait_frame(pv, "doc.body.innerText.includes('Hostile footer.')")
    built = (workspace / "out" / SLUG / "email.html").read_text(encoding="utf-8")
    assert "window.parent.__pwned = 1" in built and "onerror=" in built  # it really is in the email
    pv.wait_for_timeout(300)  # give a script every chance to run
    assert pv.evaluate("window.__pwned") is None
    assert in_frame(pv, "doc.title") != "pwned"


def test_copy_falls_back_to_a_textarea_when_the_clipboard_api_refuses(pv: Page, server: PreviewServer,
                                                                      workspace: Path) -> None:
    open_issue(pv, server)
    pv.evaluate("navigator.clipboard.writeText('something else')")
    pv.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error('refused')); }")
    button(pv, "Copy text").click()
    expect(pv.locator("#status")).to_contain_text("Copied text")
    copied = pv.evaluate("navigator.clipboard.readText()")
    assert copied.encode("utf-8") == (workspace / "out" / SLUG / "email.txt").read_bytes()
