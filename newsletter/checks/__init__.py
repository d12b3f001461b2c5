"""The quality gate: rules run over a built issue, each returning Findings of one shape.

One module per rule family (size, section labels, structure, MJML attributes and nesting,
responsive, links, accessibility, inbox, compatibility, plaintext, deliverability; spam and
online run only on request). Every finding points at the line to fix: the issue file when the
problem comes from content, the template when it comes from the theme, the built
out/<slug>/email.html otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from newsletter.errors import ContentError, NewsletterError, SettingsError, TemplateError, display_path

if TYPE_CHECKING:
    from newsletter.build import BuildResult
    from newsletter.checks.context import CheckContext
    from newsletter.settings import Settings

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem (or note) found in a built issue."""

    rule: str
    severity: str  # error, warning or info
    message: str
    file: str
    line: int
    hint: str = ""
    #: The issue file this finding belongs to (for multi-issue reports).
    issue: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        # A finding with no file (no workspace) speaks for the command, as its summary line does.
        where = display_path(self.file) + (f":{self.line}" if self.line else "") if self.file else "newsletter"
        text = f"{where}: {self.severity}: {self.message} [{self.rule}]"
        return f"{text} ({self.hint})" if self.hint else text


Rule = Callable[["CheckContext"], Iterable[Finding]]


def default_rules() -> list[Rule]:
    """The offline rules every build runs, in report order."""
    from newsletter.checks import (accessibility, compat, deliverability, inbox, links, mjml, plaintext,
                                   responsive, sections, size, structure)

    return [size.check, sections.check, structure.layout, structure.check, mjml.check, responsive.layout,
            responsive.check, links.check, accessibility.layout, accessibility.check, inbox.check, compat.check,
            plaintext.check, deliverability.check]


def layout_rules() -> frozenset[Rule]:
    """The rules that judge the layout alone (newsletter/checks/layout.py): remembered."""
    from newsletter.checks import accessibility, responsive, structure

    return frozenset({structure.layout, responsive.layout, accessibility.layout})


def run_checks(result: BuildResult, settings: Settings, search_dirs: list[Path], *, html_file: Path | None = None,
               spam: bool = False, online: bool = False, online_options: dict[str, Any] | None = None,
               rules: list[Rule] | None = None) -> list[Finding]:
    """Every rule (or ``rules``) over one built issue. ``html_file`` is where the HTML is (or will
    be) written. A rule that fails becomes an error finding: it never stops a build."""
    from newsletter.checks.context import CheckContext

    ctx = CheckContext(result, settings, search_dirs, html_file)
    rules = list(rules) if rules is not None else default_rules()
    if spam:
        from newsletter.checks import spam as spam_rule

        rules.append(spam_rule.check)
    if online:
        from newsletter.checks import online as online_rule

        rules.append(lambda c: online_rule.check(c, **(online_options or {})))
    from newsletter.checks.layout import layout_findings

    layout = layout_rules()
    findings: list[Finding] = []
    for rule in rules:
        try:
            findings.extend(layout_findings(rule, ctx) if rule in layout else rule(ctx))
        except Exception as e:  # noqa: BLE001 - a bug in one rule must not cost the build or the report
            name = getattr(rule, "__module__", "?").rsplit(".", 1)[-1]
            findings.append(Finding("check", "error", f"the {name} rule failed: {type(e).__name__}: {e}",
                                    result.issue.path, 0, "this is a bug in newsletter: please report it"))
    issue = result.issue.path
    # One finding per problem: a setting that reaches several links (an http signup_url in the
    # masthead and the footer) is one thing to fix at one line.
    unique = dict.fromkeys(f if f.issue else Finding(f.rule, f.severity, f.message, f.file, f.line, f.hint, issue)
                           for f in findings)
    return list(unique)


def error_findings(error: NewsletterError, issue: str = "") -> list[Finding]:
    """A build-stopping error as error findings, one per problem it collected."""
    rule = ("content" if isinstance(error, ContentError) else "settings" if isinstance(error, SettingsError)
            else "template" if isinstance(error, TemplateError) else "build")
    return [Finding(rule, "error", p.message, p.file, p.line, p.hint, issue) for p in error.problems]


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out = {"errors": 0, "warnings": 0, "info": 0}
    for f in findings:
        out[{"error": "errors", "warning": "warnings", "info": "info"}[f.severity]] += 1
    return out


def failed(findings: Iterable[Finding], strict: bool = False) -> bool:
    """True when the gate fails: an error, or under ``strict`` a warning."""
    bad = ("error", "warning") if strict else ("error",)
    return any(f.severity in bad for f in findings)


def summary_line(findings: list[Finding]) -> str:
    c = counts(findings)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    return f"{plural(c['errors'], 'error')}, {plural(c['warnings'], 'warning')}, {c['info']} info"
