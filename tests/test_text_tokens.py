"""The running text as tokens through MRML and premailer (newsletter/render/texttokens.py):
the same bytes as with the text in place, MRML's and premailer's work reused when only the
text changed, tokens only for the default theme's MJML, and a token-like text in the
settings rendered with the text in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mjml
import pytest

from conftest import MINIMAL_SETTINGS, REPO
from hostile_cases import TOGETHER_FIELDS, issue_with, issue_with_all, load_vectors, make_workspace
from newsletter.build import BuildResult, render_issue
from newsletter.deliver.archive import email_as_web_html
from newsletter.errors import NewsletterError
from newsletter.render import inline, mjml as render_mjml
from newsletter.render.texttokens import TextTokens, TokensLost
from newsletter.workspace import Workspace, open_workspace

from benchmarks.generate import make_workspace as generated_workspace


class Spy:
    """Counts the tokens each render restored, and MRML's compiles."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.restored: list[int] = []
        self.compiles = 0
        real_restore, real_compile = TextTokens.restore, mjml.mjml2html

        def restore(tokens: TextTokens, html: str) -> str:
            self.restored.append(len(tokens))
            return real_restore(tokens, html)

        def compile_(*args: Any, **kwargs: Any) -> Any:
            self.compiles += 1
            return real_compile(*args, **kwargs)

        monkeypatch.setattr(TextTokens, "restore", restore)
        monkeypatch.setattr(mjml, "mjml2html", compile_)
        render_mjml._mrml.cache_clear()
        inline.inline_css.cache_clear()


def without_tokens(ws: Workspace, path: Path) -> BuildResult:
    """The issue rendered with its text in place."""
    return render_issue(ws, path, extras=False)


def assert_same(ws: Workspace, path: Path, spy: Spy) -> None:
    before = len(spy.restored)
    tokens = render_issue(ws, path, extras=False, text_tokens=True)
    assert spy.restored[before:] and spy.restored[before] > 0, "the render had no text tokens"
    assert tokens.layout_key is not None, "the render fell back to the text in place"
    plain = without_tokens(ws, path)
    assert tokens.html == plain.html
    assert tokens.mjml == plain.mjml
    assert tokens.text == plain.text
    assert tokens.web_source is not None and plain.web_source is not None
    assert tokens.web_source.html == plain.web_source.html
    assert email_as_web_html(tokens, ws.settings) == email_as_web_html(plain, ws.settings)


def test_example_and_generated_issues_are_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    example = open_workspace(REPO)
    for path in example.issue_files():
        assert_same(example, path, spy)
    generated = open_workspace(generated_workspace(tmp_path / "gen", 4, words=800))
    for path in generated.issue_files():
        assert_same(generated, path, spy)


def test_every_hostile_vector_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Markup, entities, control characters, no-break and zero-width spaces, bidi marks,
    Jinja and MJML syntax, merge tags: in every text field at once, with and without tokens."""
    spy = Spy(monkeypatch)
    ws = make_workspace(tmp_path / "hostile", MINIMAL_SETTINGS)
    compared = 0
    for vector in load_vectors():
        path = ws.issues_dir / f"2026-06-02-{vector.id}.md"
        path.write_text(issue_with_all(vector.text, TOGETHER_FIELDS), encoding="utf-8")
        try:
            render_issue(ws, path, extras=False, text_tokens=True)
        except NewsletterError:
            continue  # refused (tests/test_hostile.py says how): nothing to compare
        assert_same(ws, path, spy)
        compared += 1
    assert compared >= 100


def test_a_text_edit_reuses_mrml_and_premailer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    ws = make_workspace(tmp_path / "ws", MINIMAL_SETTINGS)
    path = ws.issues_dir / "2026-06-02-edit.md"
    text = issue_with(None, "")
    path.write_text(text, encoding="utf-8")
    first = render_issue(ws, path, extras=False, text_tokens=True)
    assert spy.compiles == 1

    path.write_text(text.replace("Another paragraph.", "Another paragraph, edited & <longer>."), encoding="utf-8")
    edited = render_issue(ws, path, extras=False, text_tokens=True)
    assert spy.compiles == 1  # the same MJML: MRML's and premailer's work reused
    assert "Another paragraph, edited &amp; &lt;longer&gt;." in edited.html
    assert "Another paragraph." not in edited.html and "Another paragraph." in first.html
    assert edited.html == without_tokens(ws, path).html

    path.write_text(text.replace("Another paragraph.", "Another [linked](https://ok.example/b) paragraph."),
                    encoding="utf-8")
    linked = render_issue(ws, path, extras=False, text_tokens=True)
    assert spy.compiles >= 2  # a new link is new markup: compiled again
    assert 'href="https://ok.example/b"' in linked.html


def custom_template(ws: Workspace, name: str, old: str, new: str) -> Workspace:
    source = (REPO / "templates" / name).read_text(encoding="utf-8")
    assert old in source
    target = ws.root / "templates" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.replace(old, new, 1), encoding="utf-8")
    return open_workspace(ws.root)


def test_a_theme_with_its_own_mjml_gets_the_text_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace's own MJML template may do anything with a paragraph (upper-case it, cut it,
    count its words): it is handed the text, never tokens."""
    spy = Spy(monkeypatch)
    ws = custom_template(make_workspace(tmp_path / "ws", MINIMAL_SETTINGS), "partials/story.mjml.j2",
                         "{{ part.html }}", "{{ part.html | upper }} ({{ part.html | wordcount }} words)")
    path = ws.issues_dir / "2026-06-02-filtered.md"
    path.write_text(issue_with(None, ""), encoding="utf-8")
    result = render_issue(ws, path, extras=False, text_tokens=True)
    assert spy.restored == []
    assert "ANOTHER PARAGRAPH." in result.html and "(7 words)" in result.html  # p class nl p Another paragraph p


def test_a_theme_with_its_own_css_only_still_gets_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    ws = custom_template(make_workspace(tmp_path / "ws", MINIMAL_SETTINGS), "email.css.j2", "{", "{ /* ours */")
    path = ws.issues_dir / "2026-06-02-css.md"
    path.write_text(issue_with(None, ""), encoding="utf-8")
    assert_same(ws, path, spy)


def test_content_cannot_forge_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    ws = make_workspace(tmp_path / "ws", MINIMAL_SETTINGS)
    path = ws.issues_dir / "2026-06-02-forged.md"
    path.write_text(issue_with_all("nlTx0x and nlTx1x, nlTb1 and nlTx99999x"), encoding="utf-8")
    result = render_issue(ws, path, extras=False, text_tokens=True)
    assert spy.restored and spy.restored[-1] > 0
    assert result.html.count("nlTx0x and nlTx1x, nlTb1 and nlTx99999x") >= 5
    assert result.html == without_tokens(ws, path).html


def test_settings_text_that_looks_like_a_token_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Text the theme writes from the settings can't be told from a token: one token then
    appears twice (or one that doesn't exist appears), and the issue is rendered again with
    its text in place."""
    spy = Spy(monkeypatch)
    settings = MINIMAL_SETTINGS.replace("tagline: A newsletter used by the tests.", "tagline: Codes nlTx0x, nlTx7777x.")
    ws = make_workspace(tmp_path / "ws", settings)
    path = ws.issues_dir / "2026-06-02-theme.md"
    path.write_text(issue_with(None, ""), encoding="utf-8")
    result = render_issue(ws, path, extras=False, text_tokens=True)
    assert spy.restored and spy.restored[0] > 0  # tried with tokens first
    assert "Codes nlTx0x, nlTx7777x." in result.html
    assert "An ordinary paragraph of news." in result.html
    assert result.html == without_tokens(ws, path).html


def test_restore_refuses_a_missing_or_doubled_token() -> None:
    tokens = TextTokens()
    a, b = tokens.html("one & two"), tokens.html("three")
    assert tokens.restore(f"<p>{a}</p><p>{b}</p>") == "<p>one &amp; two</p><p>three</p>"
    assert tokens.restore_source(f"<p>{a}</p>") == "<p>one &amp; two</p>"
    for broken in (f"<p>{a}</p>", f"<p>{a}{a}{b}</p>", f"<p>{a}{b}{tokens.prefix}2x</p>", a.upper() + b):
        with pytest.raises(TokensLost):
            tokens.restore(broken)


def test_text_lxml_might_rewrite_stays_in_place() -> None:
    tokens = TextTokens()
    for text in ("a\u00a0b", "tab\there", "cr\rlf", " ", "", "nul\x00", "line\u2028break"):
        assert tokens.html(text) == text.replace("&", "&amp;") or "&" in text
    assert len(tokens) == 0
    assert tokens.html('say "hi" & <b>') == f"{tokens.prefix}0x"


def test_the_preview_reuses_mrml_and_premailer_while_words_change(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview renders with tokens; `build` (one render per issue) doesn't need them."""
    from newsletter.preview.plan import Plan
    from newsletter.preview.state import PreviewState

    spy = Spy(monkeypatch)
    ws = make_workspace(tmp_path / "ws", MINIMAL_SETTINGS)
    path = ws.issues_dir / "2026-06-02-typing.md"
    text = issue_with(None, "")
    path.write_text(text, encoding="utf-8")
    state = PreviewState(ws.root)
    state.build_everything()
    assert spy.compiles == 1 and spy.restored and spy.restored[-1] > 0
    for n in range(3):
        path.write_text(text.replace("Another paragraph.", f"Another paragraph, draft {n}."), encoding="utf-8")
        state.apply(Plan(issues=frozenset({path})))
        entry = state.entry(path.stem)
        assert entry is not None and entry.result is not None and not entry.problems
        assert f"draft {n}." in entry.result.html and f"draft {n}." in (ws.root / "out" / path.stem / "email.html").read_text(encoding="utf-8")
    assert spy.compiles == 1

    restored, kept = len(spy.restored), (render_mjml._mrml.cache_info().currsize, inline.inline_css.cache_info().currsize)
    render_issue(ws, path.rename(path.with_name("2026-06-03-built.md")))  # as `build` renders: the text in place
    assert len(spy.restored) == restored
    assert spy.compiles == 2  # and nothing kept: a build renders each issue once
    assert (render_mjml._mrml.cache_info().currsize, inline.inline_css.cache_info().currsize) == kept


def test_an_mrml_error_quotes_the_text_not_its_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The error names the MJML line where MRML stopped: with the words, as `build` shows it."""
    Spy(monkeypatch)
    real = mjml.mjml2html

    def refuse_paragraphs(source: str, **kwargs: Any) -> Any:
        at = source.find('<p class="nl-p')
        if at >= 0:
            raise ValueError(f"unexpected element at position {len(source[:at].encode())}")
        return real(source, **kwargs)

    monkeypatch.setattr(mjml, "mjml2html", refuse_paragraphs)
    ws = make_workspace(tmp_path / "ws", MINIMAL_SETTINGS)
    path = ws.issues_dir / "2026-06-02-broken.md"
    path.write_text(issue_with(None, ""), encoding="utf-8")
    with pytest.raises(NewsletterError) as tokens:
        render_issue(ws, path, extras=False, text_tokens=True)
    with pytest.raises(NewsletterError) as plain:
        render_issue(ws, path, extras=False)
    assert str(tokens.value) == str(plain.value)
    assert "Good morning" in str(tokens.value) and "nlTx" not in str(tokens.value)
