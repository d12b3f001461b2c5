"""The example issues' email.html in a real headless Chromium: phone and desktop widths,
no <style> at all (as some Gmail accounts see it), and dark mode.

Nothing leaves the machine: the page is loaded from a file, and every http(s) request
(the example images on harborwatch.example) is answered by Playwright's router with a
1200 x 800 PNG made here, so images load at a size larger than any column.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from newsletter.build import render_issue
from newsletter.settings import load_settings
from newsletter.workspace import Workspace

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = {
    "single": REPO / "issues" / "2026-06-02-calder-bay-night-pilots.md",
    "multi": REPO / "issues" / "2026-06-05-harlow-cranes-and-low-water.md",
    "every-feature": REPO / "tests" / "golden" / "every-feature" / "issue.md",
}
WIDTHS = [320, 375, 414, 1024]


def png(width: int, height: int) -> bytes:
    """A plain grey PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\x88\x88\x88" * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


IMAGE = png(1200, 800)


@pytest.fixture(scope="module")
def emails(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ws")
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    ws = Workspace(root, load_settings(root / "newsletter.yaml"))
    out = {}
    for name, issue in EXAMPLES.items():
        path = root / f"{name}.html"
        path.write_text(render_issue(ws, issue).html, encoding="utf-8")
        out[name] = path
    return out


def open_email(page: Any, path: Path, width: int, scheme: str = "light") -> None:
    def answer(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        elif route.request.resource_type == "image":
            route.fulfill(status=200, content_type="image/png", body=IMAGE)
        else:
            route.abort()

    page.route("**/*", answer)
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


LAYOUT = """() => {
  const vw = window.innerWidth;
  const imgs = [...document.images].map(i => {
    const r = i.getBoundingClientRect();
    return {src: i.src, left: r.left, right: r.right, width: r.width, loaded: i.complete && i.naturalWidth > 0};
  });
  const sizes = [...document.querySelectorAll('p.nl-p, li.nl-li')].map(e => parseFloat(getComputedStyle(e).fontSize));
  const cards = [...document.querySelectorAll('.nl-card')].map(e => e.getBoundingClientRect().width);
  return {vw, scrollWidth: document.scrollingElement.scrollWidth, imgs, sizes, cards};
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_no_sideways_scrolling_images_fit_text_readable(page: Any, emails: dict[str, Path], name: str,
                                                        width: int) -> None:
    open_email(page, emails[name], width)
    m = page.evaluate(LAYOUT)
    assert m["scrollWidth"] <= m["vw"], f"{name} at {width}px scrolls sideways: {m['scrollWidth']} > {m['vw']}"
    assert m["imgs"], "the example has images"
    for img in m["imgs"]:
        assert img["loaded"], img
        assert img["left"] >= 0 and img["right"] <= m["vw"] and img["width"] <= min(m["vw"], 600), img
    assert m["sizes"] and min(m["sizes"]) >= 16, f"body text below 16px: {sorted(set(m['sizes']))}"
    assert m["cards"] and max(m["cards"]) <= min(m["vw"], 600)


def test_one_600px_column_on_desktop(page: Any, emails: dict[str, Path]) -> None:
    open_email(page, emails["multi"], 1024)
    box = page.evaluate("""() => {
      const r = document.querySelector('.nl-masthead').closest('div[style*="max-width:600px"]').getBoundingClientRect();
      return {left: r.left, width: r.width, vw: window.innerWidth};
    }""")
    assert box["width"] == pytest.approx(600, abs=1)
    assert box["left"] == pytest.approx((box["vw"] - 600) / 2, abs=2)  # centred


def test_images_scale_down_on_phones(page: Any, emails: dict[str, Path]) -> None:
    open_email(page, emails["single"], 320)
    width = page.evaluate("() => document.images[0].getBoundingClientRect().width")
    assert 200 <= width <= 320 - 2 * 16  # fills the card instead of its 508px attribute


STYLES = """() => {
  const cs = e => getComputedStyle(e);
  const cell = document.querySelector('.nl-card > table > tbody > tr > td');
  const q = s => document.querySelector(s);
  return {
    styleCount: document.querySelectorAll('style').length,
    cardBorder: cs(cell).borderTopWidth + ' ' + cs(cell).borderTopStyle,
    cardBackground: cs(cell).backgroundColor,
    pageBackground: cs(q('.nl-body')).backgroundColor,
    headline: cs(q('.nl-headline')).fontFamily + ' ' + cs(q('.nl-headline')).fontSize,
    label: cs(q('.nl-label')).fontFamily + ' ' + cs(q('.nl-label')).textTransform,
    credit: q('.nl-credit') ? cs(q('.nl-credit')).fontFamily : 'none',
    body: cs(q('p.nl-p')).fontFamily + ' ' + cs(q('p.nl-p')).fontSize,
    link: cs(q('a.nl-link')).color,
    preheaderShown: q('.nl-preheader').getBoundingClientRect().height > 0 && cs(q('.nl-preheader')).display !== 'none',
  };
}"""


@pytest.mark.parametrize("name", ["single", "multi"])
def test_the_look_holds_without_any_style_block(page: Any, emails: dict[str, Path], name: str) -> None:
    open_email(page, emails[name], 375)
    with_styles = page.evaluate(STYLES)
    page.evaluate("() => document.querySelectorAll('style').forEach(s => s.remove())")
    bare = page.evaluate(STYLES)
    assert with_styles["styleCount"] > 0 and bare["styleCount"] == 0
    assert bare["cardBorder"] == "2px solid"
    assert bare["cardBackground"] == "rgb(255, 253, 242)"  # theme.colors.paper
    assert bare["pageBackground"] == "rgb(247, 243, 220)"  # theme.colors.background
    assert "Georgia" in bare["headline"]
    assert "Helvetica" in bare["label"] and "uppercase" in bare["label"]
    assert "Georgia" in bare["body"] and bare["body"].endswith("18px")
    assert bare["link"] == "rgb(26, 63, 184)"
    assert not bare["preheaderShown"]
    if name == "single":
        assert "Courier" in bare["credit"]
    # Without <style> only the phone tweaks (smaller masthead, headline) go away.
    for key in ("cardBorder", "cardBackground", "pageBackground", "label", "body", "link", "credit"):
        assert bare[key] == with_styles[key], key


CONTRAST = """() => {
  const rgb = s => s.match(/\\d+(\\.\\d+)?/g).slice(0, 4).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bgOf = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                        if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  const texts = [...document.querySelectorAll('.nl-body p, .nl-body li, .nl-body h1, .nl-body h2, .nl-body h3, .nl-body h4, .nl-body a, .nl-body span')]
    .filter(e => e.offsetParent !== null && e.textContent.trim() && !e.closest('.nl-preheader'));
  const worst = texts.map(e => ({cls: e.className || e.tagName, ratio: ratio(rgb(getComputedStyle(e).color), bgOf(e))}))
    .sort((a, b) => a.ratio - b.ratio)[0];
  const p = document.querySelector('p.nl-p');
  return {body: getComputedStyle(document.querySelector('.nl-body')).backgroundColor,
          card: getComputedStyle(document.querySelector('.nl-card > table > tbody > tr > td')).backgroundColor,
          text: getComputedStyle(p).color, worst, count: texts.length};
}"""


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_dark_mode_changes_the_palette_and_stays_readable(page: Any, emails: dict[str, Path], name: str) -> None:
    open_email(page, emails[name], 375, "light")
    light = page.evaluate(CONTRAST)
    open_email(page, emails[name], 375, "dark")
    dark = page.evaluate(CONTRAST)
    assert dark["body"] != light["body"] and dark["card"] != light["card"] and dark["text"] != light["text"]
    assert dark["body"] == "rgb(31, 29, 26)"  # theme.colors.dark_background
    for mode in (light, dark):
        assert mode["count"] > 20
        assert mode["worst"]["ratio"] >= 4.5, mode["worst"]


def test_masthead_rules_stay_visible_in_dark_mode(page: Any, emails: dict[str, Path]) -> None:
    """The masthead's dividers are drawn in the text colour of each palette, never the background's."""
    rules = """() => Array.from(document.querySelectorAll('[class*="nl-rule"] p')).map(
        p => getComputedStyle(p).borderTopColor)"""
    for scheme, expected in (("light", "rgb(31, 29, 26)"), ("dark", "rgb(243, 239, 217)")):
        open_email(page, emails["single"], 375, scheme)
        colours = page.evaluate(rules)
        assert colours and all(c == expected for c in colours), (scheme, colours)


def test_cards_widen_to_the_phone_screen(page: Any, emails: dict[str, Path]) -> None:
    """The phone media query trims the 16px page margin around cards to 8px."""
    open_email(page, emails["multi"], 375)
    left = page.evaluate("() => document.querySelector('.nl-card').getBoundingClientRect().left")
    assert left == pytest.approx(8, abs=1)
    open_email(page, emails["multi"], 1024)
    left = page.evaluate("() => document.querySelector('.nl-card').getBoundingClientRect().left")
    assert left == pytest.approx((1024 - 600) / 2 + 16, abs=2)


ODDITIES = """\
---
subject: "Rules, code, images in lists"
date: 2026-06-02
---
Good morning.

---

- A list item with a picture:

  ![A tug at the quay](https://x.example/tug.png)

# Gates and tides

The lede.

## The News

> A quote with its bar.

---

```
def close_gates():
    if tide > 4.2:
        shut(all=True)
```
"""


@pytest.fixture(scope="module")
def oddities(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("odd")
    shutil.copy(REPO / "newsletter.yaml", root / "newsletter.yaml")
    (root / "issue.md").write_text(ODDITIES, encoding="utf-8")
    ws = Workspace(root, load_settings(root / "newsletter.yaml"))
    path = root / "odd.html"
    path.write_text(render_issue(ws, root / "issue.md").html, encoding="utf-8")
    return path


def test_rules_and_quote_bars_stay_visible_in_dark_mode(page: Any, oddities: Path) -> None:
    colors = load_settings(REPO / "newsletter.yaml").theme.colors
    open_email(page, oddities, 600, "dark")
    rules = page.eval_on_selector_all("hr.nl-rule", "els => els.map(e => getComputedStyle(e).borderTopColor)")
    bars = page.eval_on_selector_all("blockquote.nl-quote", "els => els.map(e => getComputedStyle(e).borderLeftColor)")
    assert len(rules) == 2 and set(rules) == {rgb(colors.dark_border)}
    assert bars == [rgb(colors.dark_accent)]


def test_code_keeps_its_indentation(page: Any, oddities: Path) -> None:
    open_email(page, oddities, 600)
    lines = page.eval_on_selector_all("code.nl-code", "els => els.map(e => e.innerText.replace(/\\u00a0/g, ' '))")
    assert lines == ["def close_gates():", "    if tide > 4.2:", "        shut(all=True)"]


def test_an_image_in_a_list_fits_the_card_by_its_width_attribute_alone(page: Any, oddities: Path) -> None:
    """Outlook on Windows sizes an image by its width attribute: drop every style and CSS
    width, and the image in the list must still fit the page's 600 px."""
    open_email(page, oddities, 600)
    page.evaluate("""() => { document.querySelectorAll('style').forEach(s => s.remove());
        document.querySelectorAll('img').forEach(i => { i.style.width = ''; i.style.maxWidth = ''; }); }""")
    width = page.eval_on_selector("img.nl-img", "i => i.getBoundingClientRect().width")
    assert width == 484
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 600


def rgb(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))
