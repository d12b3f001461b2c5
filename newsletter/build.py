"""The build orchestrator: one issue file in, email.html and email.txt out.

It reads top to bottom as the pipeline: parse the issue, build the template
context, render MJML, compile it with MRML, run the post-processing steps, render
the text part, then write everything atomically. Nothing is written until every
stage has succeeded, so a failed build leaves the last good output in place.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.errors import NewsletterError, TemplateError, display_path
from newsletter.output import write_all_atomic
from newsletter.textbytes import utf8
from newsletter.workspace import Workspace

if TYPE_CHECKING:
    from newsletter.cache import IssueSummary
    from newsletter.content import model as m
    from newsletter.parallel import Progress
    from newsletter.render.context import Context
    from newsletter.render.tags import TagVault

#: Gmail clips messages whose HTML is larger than this ("[Message clipped]").
GMAIL_CLIP_BYTES = 102 * 1024


@dataclass
class WebSource:
    """The email's HTML before its tags were put back, and what tells the web page apart."""

    html: str
    vault: TagVault
    #: UTM-tagged URL -> the URL as written, for every link the tagging changed.
    untagged: dict[str, str]
    #: The unsubscribe and preferences links as the email's HTML has them: never on a web page.
    hidden: tuple[str, ...] = ()


@dataclass
class BuildResult:
    """One issue rendered: the model, the MJML, the inlined HTML and the text part, and what the
    .eml, the quality gate and the archive page were (or will be) made from."""

    issue: m.Issue
    mjml: str
    html: str
    text: str
    words: int
    reading_minutes: int
    warnings: list[str] = field(default_factory=list)
    #: The message file (multipart/alternative), when delivery built one.
    eml: bytes | None = None
    #: Quality-gate findings (newsletter.checks), when the checks ran.
    findings: list[Any] = field(default_factory=list)
    #: What the web archive's page is made from (newsletter/deliver/archive.py); None once used.
    web_source: WebSource | None = None
    #: The unsubscribe link as the email has it (an https URL or the service's tag), for the .eml.
    unsubscribe_url: str = ""
    #: What the email's layout is, when it was rendered with the text as tokens: the MJML and
    #: the inlined HTML with their tokens, and the tags (newsletter/checks/layout.py).
    layout_key: tuple[str, str, tuple[str, ...]] | None = None

    @property
    def slug(self) -> str:
        return self.issue.slug

    @property
    def html_bytes(self) -> int:
        return len(utf8(self.html))

    @property
    def clipped(self) -> bool:
        return self.html_bytes > GMAIL_CLIP_BYTES


def render_issue(ws: Workspace, path: Path, *, issue: m.Issue | None = None, extras: bool = True,
                 text_part: bool = True, text_tokens: bool = False) -> BuildResult:
    """Everything for one issue, in memory. Raises NewsletterError with file:line.

    ``issue``: ``path`` already parsed (it is then not read again). ``extras=False`` stops
    after the HTML and text parts: no .eml, no quality gate (the preview's first pass).
    ``text_part=False`` stops after the HTML: the result's text is empty (the web archive's pages).
    ``text_tokens``: the running text goes through the default theme's MJML, MRML and premailer
    as tokens, so that a later render of the issue with only its words changed reuses their
    work (newsletter/render/texttokens.py): for a process that renders the same issue again
    and again, the preview. The bytes are the same either way."""
    # The pipeline loads on the first render: a build whose issues are all current never needs it.
    from newsletter.content.parse import parse_issue_file
    from newsletter.deliver.utm import link_tagger
    from newsletter.render.context import build_context
    from newsletter.render.cssbraces import check_theme_css
    from newsletter.render.jinja import get_environment
    from newsletter.render.theme import check_workspace_templates, search_path, theme_mjml_only
    from newsletter.render.mjml import (INLINE_CSS_TEMPLATE, MAIN_TEMPLATE, TEXT_TEMPLATE, compile_mjml,
                                        render_template)
    from newsletter.render.texttokens import TokensLost
    from newsletter.steps import StepInput, run_steps

    check_workspace_templates(ws.templates_dir)  # a broken templates/ must not mean the default look
    # 1. Read the issue file into the content model.
    issue = parse_issue_file(path) if issue is None else issue
    # 2. Build what the templates see (escaped content, links, tag tokens).
    tagger = link_tagger(issue, ws.settings.utm)  # None when UTM tagging is off
    untagged: dict[str, str] = {}  # what the web archive's page links to instead

    def link_url(url: str) -> str:
        tagged = tagger(url) if tagger is not None else url
        if tagged != url:
            untagged[tagged] = url
        return tagged

    context = build_context(issue, ws.settings, link_url=link_url if tagger is not None else None,
                            text_part=text_part, text_tokens=text_tokens and theme_mjml_only(ws.templates_dir))
    env = get_environment(ws.templates_dir)
    template_dirs = search_path(ws.templates_dir)
    # 3. Render the theme to MJML and compile it with MRML.
    mjml_source = render_template(env, MAIN_TEMPLATE, context.html)
    try:
        html = compile_mjml(mjml_source, template_dirs, remember=context.texts is not None)
    except TemplateError as e:  # kept for --emit-mjml: the error quotes a line of it
        if context.texts is not None:  # and the line quoted must have the text, not its tokens
            return render_issue(ws, path, issue=issue, extras=extras, text_part=text_part, text_tokens=False)
        e.rejected_mjml = (issue.slug, _theme_mjml(context, mjml_source))
        raise
    # 4. Post-process: inline the theme's CSS, put the text back, fix the doctype, put tags back.
    inline_css = render_template(env, INLINE_CSS_TEMPLATE, context.html)
    check_theme_css(inline_css, mjml_source, template_dirs)  # read silently when broken
    steps = StepInput(inline_css=inline_css, vault=context.vault, texts=context.texts)
    try:
        html = run_steps(html, steps)
    except TokensLost:  # text in the settings or a template looked like a token: render the text in place
        return render_issue(ws, path, issue=issue, extras=extras, text_part=text_part, text_tokens=False)
    # 5. Render the plain-text part from the same model.
    text = _tidy_text(render_template(env, TEXT_TEMPLATE, context.text)) if text_part else ""
    result = BuildResult(
        issue=issue,
        mjml=_theme_mjml(context, mjml_source),
        html=html,
        text=text,
        words=context.words,
        reading_minutes=context.text["reading_minutes"],
        web_source=WebSource(steps.before_tags, context.vault, untagged,
                             tuple(u for u in (context.html["links"].unsubscribe, context.html["links"].preferences) if u)),
        unsubscribe_url=context.links.unsubscribe,
        layout_key=(steps.before_text, mjml_source, context.vault.tags()) if context.texts is not None else None,
    )
    if result.clipped:
        result.warnings.append(
            f"{display_path(path)}: HTML is {result.html_bytes / 1024:.1f} KB, over Gmail's 102 KB limit: "
            "Gmail will clip it"
        )
    if not extras or not text_part:
        return result
    return add_extras(ws, result)


def _theme_mjml(context: Context, mjml_source: str) -> str:
    """The MJML as the theme made it: text and tags in place of their tokens."""
    if context.texts is not None:
        mjml_source = context.texts.restore_source(mjml_source)
    return context.vault.restore(mjml_source)


def add_extras(ws: Workspace, result: BuildResult, *, write: bool = False) -> BuildResult:
    """Steps 6 and 7 for a result rendered with ``extras=False``: the .eml and the quality
    gate's findings, added in place. The preview's second pass calls this on its first
    pass's result instead of rendering the issue again.

    ``write``: also write the issue's files, as write_issue does, on a thread while the gate
    runs (the files don't depend on its findings, and writing and syncing them mostly waits
    on the disk: about 0.7 ms off the preview's 14 ms second pass). Raises OutputError, after
    the gate, when they can't be written."""
    from newsletter.checks import run_checks
    from newsletter.deliver.eml import build_eml
    from newsletter.render.theme import search_path

    # 6. The message file: both parts as one multipart/alternative email.
    result.eml = build_eml(html=result.html, text=result.text, issue=result.issue, settings=ws.settings,
                           unsubscribe_url=result.unsubscribe_url)
    writer = _Writer(ws, result) if write else None
    try:
        # 7. The quality gate: the offline rules only (spam and online run in `newsletter check`).
        result.findings = run_checks(result, ws.settings, search_path(ws.templates_dir),
                                     html_file=ws.out_for(result.slug) / "email.html")
    except BaseException:
        if writer is not None:
            writer.join()  # the files are whole either way; the gate's error is the one to raise
        raise
    if writer is not None:
        writer.wait()
    return result


class _Writer(threading.Thread):
    """write_issue on a thread; ``wait`` joins it and raises what it raised."""

    def __init__(self, ws: Workspace, result: BuildResult) -> None:
        super().__init__(name="newsletter-write", daemon=True)
        # Encoded here, under the GIL the gate wants anyway; the thread only does system calls.
        self.outputs = [(path, utf8(data) if isinstance(data, str) else data)
                        for path, data in issue_outputs(ws, result)]
        self.ws, self.result = ws, result
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            write_all_atomic(self.outputs)
            _remove_old_mjml(self.ws, [self.result])
        except BaseException as e:  # noqa: BLE001 - handed to the thread that waits for it
            self.error = e

    def wait(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


def _tidy_text(text: str) -> str:
    """No trailing spaces, no runs of more than one blank line, one final newline."""
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def write_issue(ws: Workspace, result: BuildResult, *, emit_mjml: bool = False) -> list[Path]:
    """Write one issue's outputs atomically; returns the paths written."""
    outputs = issue_outputs(ws, result, emit_mjml=emit_mjml)
    write_all_atomic(outputs)  # all or nothing: a failure leaves every old file in place
    if not emit_mjml:
        _remove_old_mjml(ws, [result])
    return [p for p, _ in outputs]


def _write_rejected_mjml(ws: Workspace, slug: str, mjml: str) -> None:
    """The MJML that MRML rejected, in out/<slug>/email.mjml (its error names a line of it).
    Only that file: the issue's last good email stays as it was."""
    try:
        write_all_atomic([(ws.out_for(slug) / "email.mjml", mjml)])
    except NewsletterError:
        pass  # the build already fails with MRML's error; out/ unwritable is for the next one to say


def _remove_old_mjml(ws: Workspace, results: list[BuildResult]) -> None:
    """An email.mjml from an earlier ``--emit-mjml`` build no longer matches the email beside it."""
    for result in results:
        try:
            os.unlink(ws.out_for(result.slug) / "email.mjml")
        except OSError:  # none (the usual case), or it can't go: it is only a by-product
            pass


def issue_outputs(ws: Workspace, result: BuildResult, *, emit_mjml: bool = False) -> list[tuple[Path, str | bytes]]:
    """The files an issue's build writes, and their contents."""
    folder = ws.out_for(result.slug)
    outputs: list[tuple[Path, str | bytes]] = [
        (folder / "email.html", result.html),
        (folder / "email.txt", result.text),
    ]
    if result.eml is not None:
        outputs.append((folder / "email.eml", result.eml))
    if emit_mjml:
        outputs.append((folder / "email.mjml", result.mjml))
    return outputs


def build_issues(ws: Workspace, paths: list[Path], *, emit_mjml: bool = False, archive: bool = False,
                 ) -> list[tuple[BuildResult | None, list[Path], NewsletterError | None]]:
    """Issues rendered and written: the unit of work of every build, serial, parallel (in a
    worker process) or after a cache miss. Per-issue work belongs in render_issue,
    issue_outputs or here, never in build(), so that all three kinds of build do it.

    Returns (result, paths written, error) per issue, in order. With ``archive`` each issue's
    web page is written too (one that can't be made leaves the issue without it). The files
    of all the issues are written together: each issue's files are staged as it renders,
    then one sync makes them all durable and they are renamed into place (a sync per file
    cost about a sixth of a 1,000-issue build). An issue that fails to render, or one of
    whose files can't be replaced (a folder in the way), keeps its last good output and
    writes nothing; a failure while renaming puts every file of the batch back as it was
    (newsletter.output.commit) and fails them all: an issue reported failed wrote nothing."""
    from newsletter.output import blocked, commit, discard, stage

    outcomes: list[tuple[BuildResult | None, list[Path], NewsletterError | None]] = []
    staged: list[tuple[str, Path]] = []
    try:
        for path in paths:
            try:
                result = render_issue(ws, path)
                outputs = issue_outputs(ws, result, emit_mjml=emit_mjml)
                if archive:
                    outputs += _archive_page(ws, path, result)
                for target, _ in outputs:  # known before anything is written: this issue alone fails
                    error = blocked(target)
                    if error is not None:
                        raise error
                stage(outputs, into=staged)
            except NewsletterError as e:
                if emit_mjml and isinstance(e, TemplateError) and e.rejected_mjml is not None:
                    _write_rejected_mjml(ws, *e.rejected_mjml)
                outcomes.append((None, [], e))
                continue
            result.web_source = None  # done with: results can be kept for a whole serial build
            outcomes.append((result, [p for p, _ in outputs], None))
        commit(staged)
        if not emit_mjml:
            _remove_old_mjml(ws, [result for result, _, _ in outcomes if result is not None])
    except NewsletterError as e:  # nothing (or not everything) was written: none of them is built
        return [(None, [], error or e) for _, _, error in outcomes]
    finally:
        discard(staged)  # what was not renamed into place (nothing, once commit succeeded)
    return outcomes


def _archive_page(ws: Workspace, path: Path, result: BuildResult) -> list[tuple[Path, str | bytes]]:
    """The issue's web archive page, or nothing when it can't be made (the issue then stays
    uncached for the archive, and the next build tries again)."""
    from newsletter.deliver.archive import render_archive_page

    try:
        target, page, _ = render_archive_page(ws, path, email=result)
    except NewsletterError:
        return []
    return [(target, page)]


@dataclass
class IssueOutcome:
    """What became of one issue in a build: its result, its error, or that it was current."""

    path: Path
    #: The full result; only for issues built in this process (serial builds).
    result: BuildResult | None = None
    error: NewsletterError | None = None
    #: The report of every issue that built, here, in a worker, or from the cache.
    summary: IssueSummary | None = None
    #: True when the outputs were current and nothing was rebuilt.
    cached: bool = False


def build(ws: Workspace, paths: list[Path] | None = None, *, emit_mjml: bool = False, force: bool = False,
          jobs: int | None = None, progress: Progress | None = None, archive: bool = False,
          errors: list[NewsletterError] | None = None) -> list[IssueOutcome]:
    """Build the named issues (or all of them); one failure doesn't stop the others.

    Issues whose outputs are current are taken from the cache (out/.cache.json) unless
    ``force``; the rest build on ``jobs`` processes (default: every core). With ``archive``
    each issue's web page is built (and cached) too. See newsletter/parallel.py.
    ``errors``: where an error of no one issue goes (the cache can't be saved), so that the
    caller still gets every issue's outcome; without it, that error is raised.
    """
    from newsletter.parallel import run_batch

    return run_batch(ws, list(paths) if paths else ws.issue_files(), full=not paths, emit_mjml=emit_mjml,
                     force=force, jobs=jobs, progress=progress, archive=archive, errors=errors)
