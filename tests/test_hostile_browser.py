"""The hostile corpus in a real Chromium: no built email and no preview page opens a dialog.

Every vector is planted in every text field of one issue at once, and in each URL field
on its own. Each successful build is loaded twice: the bare email.html straight from disk
(no CSP to hide behind, so the HTML itself must be inert) and the preview page of
`newsletter preview`, which frames the email. A dialog counter (page.on("dialog")) must
stay at zero; the harness is shown to count a real alert first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest

from conftest import MINIMAL_SETTINGS
from hostile_cases import SOLO_FIELDS, TOGETHER_FIELDS, build_text, issue_with, issue_with_all, load_vectors, make_workspace

pytestmark = [pytest.mark.browser, pytest.mark.slow]
VECTORS = load_vectors()
NOT_LOCAL = re.compile(r"^(?!file://|http://127\.0\.0\.1:)")


class DialogCounter:
    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.seen: list[str] = []
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def visit(self, url: str, ready: str | None = None) -> list[str]:
        """Dialogs opened by loading ``url`` (and, with ``ready``, once that selector is there)."""
        before = len(self.seen)
        self.page.goto(url, wait_until="load")
        if ready is not None:
            self.page.wait_for_selector(ready, state="attached", timeout=10_000)
        # Give onfocus/autofocus, onbegin, timers and hover handlers a chance to fire.
        self.page.mouse.move(100, 100)
        self.page.mouse.move(300, 400)
        self.page.wait_for_timeout(30)
        return self.seen[before:]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, Path]]]:
    """Build every vector; returns a workspace holding one issue per vector (for the
    preview) and (vector id, email.html) for each successful build."""
    root = tmp_path_factory.mktemp("hostile-browser")
    ws = make_workspace(root / "all", MINIMAL_SETTINGS)
    preview_ws = make_workspace(root / "preview", MINIMAL_SETTINGS)
    pages = root / "pages"
    pages.mkdir()
    built: list[tuple[str, Path]] = []

    def build(vid: str, field: str, text: str) -> bool:
        name = f"2026-06-02-{vid}-{field}".replace("_", "-")
        path, result, _ = build_text(ws, name, text, extras=False)  # the HTML is all a page needs
        path.unlink()
        if result is None:
            return False  # refused cleanly (test_hostile.py checks how): nothing to load
        html = pages / f"{name}.html"
        html.write_text(result.html, encoding="utf-8")
        if not any(v == vid for v, _ in built):
            (preview_ws.issues_dir / f"{name}.md").write_text(text, encoding="utf-8")
        built.append((vid, html))
        return True

    for vector in VECTORS:
        if not build(vector.id, "all", issue_with_all(vector.text)):
            # Some field refused it (a URL hidden in link syntax, a control character...):
            # plant it in the text fields one at a time instead.
            for field in TOGETHER_FIELDS:
                build(vector.id, field, issue_with(field, vector.text))
        for field in SOLO_FIELDS:
            if field != "intro_front_matter":  # rendered like the body intro, which "all" covers
                build(vector.id, field, issue_with(field, vector.text))
    return preview_ws.root, built


@pytest.fixture(scope="module")
def dialogs(browser) -> Iterator[DialogCounter]:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    # Only the page itself and the loopback preview: remote images and scripts are never fetched.
    # The pattern is matched inside the browser, so local requests never wait on this process.
    context.route(NOT_LOCAL, lambda route: route.abort())
    page = context.new_page()
    yield DialogCounter(page)
    context.close()


def test_counter_sees_a_real_alert(dialogs: DialogCounter, tmp_path: Path) -> None:
    page = tmp_path / "alert.html"
    page.write_text("<html><body><img src=x onerror=alert(1)></body></html>", encoding="utf-8")
    assert dialogs.visit(page.as_uri()) == ["alert: 1"]


def test_counter_sees_an_alert_inside_a_frame(dialogs: DialogCounter, tmp_path: Path) -> None:
    """The preview shows the email in an iframe: dialogs from frames must be counted too."""
    inner = tmp_path / "inner.html"
    inner.write_text("<html><body><script>alert('framed')</script></body></html>", encoding="utf-8")
    outer = tmp_path / "outer.html"
    outer.write_text(f'<html><body><iframe src="{inner.as_uri()}"></iframe></body></html>', encoding="utf-8")
    assert dialogs.visit(outer.as_uri()) == ["alert: framed"]


def test_almost_every_vector_reaches_the_browser(built: tuple[Path, list[tuple[str, Path]]]) -> None:
    """The browser tests below load real pages: every vector but those refused in every field
    (a NUL byte or a form feed is a content error) was built at least once, most of them in all text fields."""
    _, pages = built
    loaded = {vid for vid, _ in pages}
    together = {vid for vid, page in pages if page.stem.endswith("-all")}
    assert {v.id for v in VECTORS} - loaded <= {"js_urls-08", "js_urls-21"}
    assert len(together) >= 0.9 * len(VECTORS)


def test_no_built_email_opens_a_dialog(built: tuple[Path, list[tuple[str, Path]]], dialogs: DialogCounter) -> None:
    _, pages = built
    opened = []
    for vid, page in pages:
        opened += [f"{vid} ({page.name}): {d}" for d in dialogs.visit(page.as_uri())]
    assert opened == []


def test_no_preview_page_opens_a_dialog(built: tuple[Path, list[tuple[str, Path]]], dialogs: DialogCounter) -> None:
    """`newsletter preview`'s own page for one issue per vector, with the email in its frame."""
    from conftest import free_port
    from newsletter.preview.server import PreviewServer

    root, _ = built
    slugs = sorted(p.stem for p in (root / "issues").glob("*.md"))
    assert len(slugs) >= len(VECTORS) - 2
    server = PreviewServer(root, "127.0.0.1", free_port())
    server.start()
    try:
        opened = []
        for slug in slugs:
            # The page sets data-loaded on its frame once the email has loaded in it.
            seen = dialogs.visit(f"{server.url}/issue/{slug}", ready="iframe#frame[data-loaded]")
            opened += [f"{slug}: {d}" for d in seen]
        assert opened == []
    finally:
        server.stop()
