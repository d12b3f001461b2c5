"""Where one issue's build time goes, phase by phase, in a warm process (CPU milliseconds).

    python3 benchmarks/breakdown.py [--issues 30]

Builds generated ~2,000-word issues the way a full build's worker does (email, .eml, quality
gate, web archive page made from the email) and prints the median CPU time of each phase.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import make_workspace  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--issues", type=int, default=30)
    args = ap.parse_args()

    from newsletter.build import _tidy_text, write_issue
    from newsletter.checks import run_checks
    from newsletter.content.parse import parse_issue_file
    from newsletter.deliver.archive import archive_page
    from newsletter.deliver.eml import build_eml
    from newsletter.deliver.utm import link_tagger
    from newsletter.render.context import build_context
    from newsletter.render.jinja import get_environment, search_path
    from newsletter.render.mjml import INLINE_CSS_TEMPLATE, MAIN_TEMPLATE, TEXT_TEMPLATE, compile_mjml, render_template
    from newsletter.steps import StepInput, run_steps
    from newsletter.build import BuildResult, WebSource
    from newsletter.workspace import open_workspace

    with tempfile.TemporaryDirectory() as t:
        ws = open_workspace(make_workspace(Path(t) / "ws", args.issues + 2))
        phases: dict[str, list[float]] = {}

        def lap(name: str, since: float) -> float:
            now = time.process_time()
            phases.setdefault(name, []).append(now - since)
            return now

        for n, path in enumerate(ws.issue_files()):
            c = time.process_time()
            issue = parse_issue_file(path)
            c = lap("parse (markdown-it, front matter)", c)
            tagger, untagged = link_tagger(issue, ws.settings.utm), {}

            def link_url(url: str) -> str:  # as render_issue does: remember what tagging changed
                tagged = tagger(url) if tagger is not None else url
                if tagged != url:
                    untagged[tagged] = url
                return tagged

            context = build_context(issue, ws.settings, link_url=link_url if tagger is not None else None)
            c = lap("template context", c)
            env = get_environment(ws.templates_dir)
            mjml_source = render_template(env, MAIN_TEMPLATE, context.html)
            c = lap("Jinja -> MJML", c)
            html = compile_mjml(mjml_source, search_path(ws.templates_dir))
            c = lap("MRML compile", c)
            css = render_template(env, INLINE_CSS_TEMPLATE, context.html)
            steps = StepInput(inline_css=css, vault=context.vault)
            html = run_steps(html, steps)
            c = lap("premailer and steps", c)
            text = _tidy_text(render_template(env, TEXT_TEMPLATE, context.text))
            c = lap("text part", c)
            links = context.html["links"]
            result = BuildResult(issue=issue, mjml=mjml_source, html=html, text=text, words=context.words,
                                 reading_minutes=context.text["reading_minutes"],
                                 web_source=WebSource(steps.before_tags, context.vault, untagged,
                                                      tuple(u for u in (links.unsubscribe, links.preferences) if u)))
            result.eml = build_eml(html=html, text=text, issue=issue, settings=ws.settings,
                                   unsubscribe_url=context.links.unsubscribe)
            c = lap(".eml message", c)
            result.findings = run_checks(result, ws.settings, search_path(ws.templates_dir),
                                         html_file=ws.out_for(issue.slug) / "email.html")
            c = lap("quality gate (checks)", c)
            write_issue(ws, result)
            c = lap("write email files (fsync)", c)
            archive_page(ws, path, email=result)  # as a full build's workers do
            lap("web archive page (from the email, write)", c)
            if n < 2:  # the first issues pay one-off costs: leave them out
                for v in phases.values():
                    v.pop()
        total = 0.0
        for name, values in phases.items():
            m = statistics.median(values) * 1000
            total += m
            print(f"{name:38s} {m:6.1f} ms")
        print(f"{'total (sum of medians)':38s} {total:6.1f} ms")


if __name__ == "__main__":
    main()
