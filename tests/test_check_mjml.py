"""The `mjml` rule: attributes, values and nesting that MRML compiles silently, found the way
MJML's own validator (`mjml -v`) finds them, at the template line that wrote them.

The agreement tests run the reference validator (npm package mjml, installed into .tools/ by
./scripts/test) over thousands of elements and compare its verdicts with the rule's; like
tests/test_mjml_valid.py they need node, and say so when it is missing.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from check_helpers import GOOD_ISSUE, build_issue, run_rule

from newsletter.checks import mjml as rule
from newsletter.cli import cli

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / ".tools"
THEME = REPO / "templates"
EXAMPLES = [*sorted((REPO / "issues").glob("*.md")), REPO / "tests" / "golden" / "every-feature" / "issue.md"]

# ---- the rule on real builds --------------------------------------------------------------


def _story_with(old: str, new: str) -> dict[str, str]:
    story = (THEME / "partials" / "story.mjml.j2").read_text(encoding="utf-8")
    assert old in story
    return {"partials/story.mjml.j2": story.replace(old, new, 1)}


def _line_of(workspace: Path, rel: str, snippet: str) -> int:
    lines = (workspace / "templates" / rel).read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if snippet in line)


@pytest.mark.parametrize("issue", EXAMPLES, ids=lambda p: p.parent.name if p.name == "issue.md" else p.stem)
def test_the_default_theme_has_nothing_to_report(issue: Path, workspace: Path) -> None:
    ws, result = build_issue(workspace, issue.read_text(encoding="utf-8"), name=issue.name)
    assert run_rule(rule, ws, result) == []


def test_a_misspelt_attribute_is_a_warning_at_its_template_line_with_a_suggestion(workspace: Path) -> None:
    templates = _story_with('<mj-section padding="0 16px" css-class="nl-page">',
                            '<mj-section padding="0 16px" css-class="nl-page" backgroud-color="#fff">')
    ws, result = build_issue(workspace, templates=templates)
    found = run_rule(rule, ws, result)
    assert [(f.severity, f.message, f.hint) for f in found] == [
        ("warning", "<mj-section> has no attribute 'backgroud-color': MRML ignores it",
         "did you mean 'background-color'?")]
    assert found[0].file == str(workspace / "templates" / "partials" / "story.mjml.j2")
    assert found[0].line == _line_of(workspace, "partials/story.mjml.j2", "backgroud-color")


def test_a_value_its_type_refuses_names_what_the_attribute_takes(workspace: Path) -> None:
    templates = _story_with('<mj-section padding="0 16px"', '<mj-section padding="0 sixteen"')
    ws, result = build_issue(workspace, templates=templates)
    found = run_rule(rule, ws, result)
    assert [(f.message, f.hint) for f in found] == [
        ('<mj-section padding="0 sixteen">: not a valid value, MRML may ignore it',
         "padding takes 1 to 4 values in px or %, one space apart ('0' needs no unit)")]
    assert found[0].line == _line_of(workspace, "partials/story.mjml.j2", 'padding="0 sixteen"')


def test_a_value_written_by_jinja_points_at_the_line_with_the_element_and_attribute(workspace: Path) -> None:
    templates = _story_with('<mj-section padding="0 16px"', '<mj-section padding="0 {{ item.number }}"')
    ws, result = build_issue(workspace, templates=templates)
    found = run_rule(rule, ws, result)
    assert [f.message for f in found] == ['<mj-section padding="0 1">: not a valid value, MRML may ignore it']
    assert found[0].file == str(workspace / "templates" / "partials" / "story.mjml.j2")
    assert found[0].line == _line_of(workspace, "partials/story.mjml.j2", 'padding="0 {{ item.number }}"')


def test_an_element_in_a_parent_that_cannot_hold_it_points_at_the_emitted_mjml(workspace: Path) -> None:
    """'<mj-text>' is on many template lines: the MJML's own line is the one that is sure."""
    templates = _story_with('<mj-section padding="0 16px" css-class="nl-page">',
                            '<mj-section padding="0 16px" css-class="nl-page">\n<mj-text>misplaced</mj-text>')
    ws, result = build_issue(workspace, templates=templates)
    found = run_rule(rule, ws, result)
    assert [f.message for f in found] == [
        "<mj-text> inside <mj-section>: MJML allows it only inside <mj-attributes>, <mj-column>, <mj-hero>"]
    assert found[0].file.endswith("out/2026-06-02-tides/email.mjml")
    assert "--emit-mjml" in found[0].hint
    assert result.mjml.split("\n")[found[0].line - 1] == "<mj-text>misplaced</mj-text>"


def test_html_inside_raw_content_is_not_mjml(workspace: Path) -> None:
    templates = _story_with("<mj-raw>\n", '<mj-raw>\n<mj-section colour="x"></mj-section><div colour="x"></div>\n')
    ws, result = build_issue(workspace, GOOD_ISSUE + "\n# A second story\n\nMore.\n", templates=templates)
    assert '<mj-section colour="x">' in result.mjml
    assert run_rule(rule, ws, result) == []


def test_check_reports_it_and_strict_fails_on_it(workspace: Path) -> None:
    build_issue(workspace, templates=_story_with('css-class="nl-page"', 'css-class="nl-page" colour="red"'))
    plain = CliRunner().invoke(cli, ["check"])
    strict = CliRunner().invoke(cli, ["check", "--strict"])
    assert plain.exit_code == 0, plain.output
    assert strict.exit_code == 1
    line = _line_of(workspace, "partials/story.mjml.j2", 'colour="red"')
    assert (f"templates/partials/story.mjml.j2:{line}: warning: <mj-section> has no attribute 'colour': "
            "MRML ignores it [mjml]") in plain.output


def test_each_slip_is_reported_once_however_many_elements_repeat_it(workspace: Path) -> None:
    issue = GOOD_ISSUE + "".join(f"\n# Story {n}\n\nText {n}.\n" for n in range(2, 6))
    ws, result = build_issue(workspace, issue, templates=_story_with('css-class="nl-page"', 'css-class="nl-page" x="1"'))
    assert result.mjml.count(' x="1"') == 5
    assert len(run_rule(rule, ws, result)) == 1


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("unit(px,%){1,4}", ["0", "10px", "10.5px", "1,5px", "0 0", "1px 2px 3px 4px", "10px "],
     ["", "10", "-3px", "10 px", "5PX", "10px  20px", "1px 2px 3px 4px 5px", "0px\n0px", " 5px", "0" * 5000 + "x"]),
    ("unit(px,auto)", ["auto", "0", "12px"], ["10", "auto auto", "12%"]),
    ("unitWithNegative(px,em)", ["-1px", "0.5em", "0"], ["-1", "1rem"]),
    ("unit(px,%,)", ["1.5", "20px", "120%"], ["1.5em", "normal"]),
    ("color", ["red", "transparent", "#abc", "#AbCdEf", "rgb(1,2,3)", "rgba(1, 2, 3, 0.5)"],
     ["RED", "#abcd", "&#35;ffffff", "", "blue-ish"]),
    ("enum(left,right,center)", ["left", "center"], ["Center", "middle", ""]),
    ("enum(full-width,false,)", ["full-width", "false", ""], ["true"]),
    ("boolean", ["true", "false"], ["TRUE", "yes", ""]),
    ("integer", ["3", "x3"], ["", "three"]),
    ("string", ["", "anything at all"], []),
])
def test_the_types_accept_what_mjml_accepts(kind: str, good: list[str], bad: list[str]) -> None:
    accepts = rule._type(kind)
    assert [v for v in good if not accepts(v)] == []
    assert [v for v in bad if accepts(v)] == []


def test_a_tag_left_open_or_a_stray_end_tag_does_not_stop_the_scan() -> None:
    mjml = "<mjml><mj-body><mj-section></mj-column><mj-column colour='a'><mj-image src=x widht=1>"
    assert [(p.tag, p.kind, p.subject) for p in rule.problems(mjml)] == [
        ("mj-column", "attribute", "colour"), ("mj-image", "attribute", "widht")]


# ---- agreement with the reference validator ------------------------------------------------

REFERENCE = r"""
const path = require('path');
const mjml = require(path.join(process.argv[1], 'node_modules', 'mjml'));
const docs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  const out = [];
  for (const src of docs) {
    // 'strict' validates before rendering, which can fail on what the validator refuses.
    let errors;
    try {
      errors = (await mjml(src, {validationLevel: 'strict'})).errors;
    } catch (e) {
      if (!e.errors) throw e;
      errors = e.errors;
    }
    out.push(errors.map(e => [e.line, e.tagName, e.message]));
  }
  process.stdout.write(JSON.stringify(out));
})();
"""
PROBES = ["", "0", "1", "10", "10px", "10.5px", "-3px", "10%", "1.5em", "10px 20px", "0 0", "1px 2px 3px 4px",
          "1px 2px 3px 4px 5px", "10px  20px", "auto", "10 px", "5PX", "red", "RED", "transparent", "#abc",
          "#AbCdEf", "#abcd", "rgb(1,2,3)", "rgba(1, 2, 3, 0.5)", "true", "false", "TRUE", "yes", "middle",
          "x y", "https://example.com/a?b=1&amp;c=2"]
NOT_ATTRIBUTES = ["colour", "Width", "x", "padding-topp", "data-x"]


def node_prefix() -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so the reference MJML validator (npm package mjml) cannot run")
    if not (TOOLS / "node_modules" / "mjml").is_dir():
        pytest.fail("node is installed but the npm package mjml is not: run ./scripts/test (it installs it into .tools/)")
    return TOOLS


def reference(docs: list[str]) -> list[set[tuple[int, str, str, str]]]:
    """What `mjml -v` reports for each document, as (line, tag, kind, subject)."""
    done = subprocess.run(["node", "-e", REFERENCE, str(node_prefix())], input=json.dumps(docs), capture_output=True,
                          text=True, timeout=600, check=True)
    verdicts: list[set[tuple[int, str, str, str]]] = []
    for errors in json.loads(done.stdout):
        found: set[tuple[int, str, str, str]] = set()
        for line, tag, message in errors:
            if m := re.match(r"Attributes? (.+) (?:is|are) illegal$", message):
                found |= {(line, tag, "attribute", name) for name in m.group(1).split(", ")}
            elif m := re.match(r"Attribute (\S+) has invalid value", message):
                found.add((line, tag, "value", m.group(1)))
            elif m := re.match(r"(\S+) cannot be used inside (\S+), only inside", message):
                found.add((line, tag, "parent", m.group(2)))
            elif m := re.match(r"Element (\S+) doesn't exist", message):
                found.add((line, tag, "element", tag))
            else:
                raise AssertionError(f"a message the test doesn't know: {message!r}")
        verdicts.append(found)
    return verdicts


def ours(doc: str) -> set[tuple[int, str, str, str]]:
    return {(p.line, p.tag, p.kind, p.subject) for p in rule.problems(doc)}


def _enum_options(kind: str) -> list[str]:
    m = re.match(r"enum\(([^)]*)\)", kind)
    return m.group(1).split(",") if m else []


def test_every_attribute_and_value_is_judged_as_the_reference_judges_it() -> None:
    """Each component's every attribute with each probe value (and a few names it doesn't have),
    as children of <mj-attributes>, where mjml checks them as it checks the component itself."""
    docs = []
    for tag, attributes in sorted(rule.table().attributes.items()):
        lines = []
        for name, kind in sorted(attributes.items()):
            for value in dict.fromkeys(PROBES + _enum_options(kind)):
                lines.append(f'<{tag} {name}="{value}" />')
        lines += [f'<{tag} {name}="1" />' for name in NOT_ATTRIBUTES]
        docs.append("<mjml>\n<mj-head>\n<mj-attributes>\n" + "\n".join(lines) + "\n</mj-attributes>\n</mj-head>\n"
                    "<mj-body></mj-body>\n</mjml>\n")
    assert sum(doc.count("\n") for doc in docs) > 5000
    expected = reference(docs)
    assert sum(len(e) for e in expected) > 2000  # the probes do find problems
    for doc, theirs in zip(docs, expected):
        assert ours(doc) == theirs, doc.split("\n")[3].split(" ")[0]


def test_every_parent_and_child_is_judged_as_the_reference_judges_it() -> None:
    tags = sorted(rule.table().attributes)
    docs = []
    for parent in tags:
        pairs = "\n".join(f"<{parent}>\n<{child} />\n</{parent}>" for child in tags)
        docs.append(f"<mjml>\n<mj-body>\n{pairs}\n</mj-body>\n</mjml>\n")
    expected = reference(docs)
    assert sum(1 for e in expected for v in e if v[2] == "parent") > 500
    for doc, theirs in zip(docs, expected):
        theirs = {v for v in theirs if not (v[2] == "element" and v[1].startswith("mj-"))}  # the structure rule's
        assert ours(doc) == theirs, doc.split("\n")[2]


def _refresh_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("refresh_mjml_rules", str(REPO / "scripts" / "refresh-mjml-rules"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_table_is_what_the_installed_mjml_enforces() -> None:
    """data/mjml-rules.json, regenerated from .tools/, is byte for byte the file shipped: after
    changing mjml's version in scripts/test, run scripts/refresh-mjml-rules."""
    script = _refresh_script()
    fresh = script.render(script.dump(node_prefix()))
    assert fresh == rule.DATA_FILE.read_text(encoding="utf-8")


def test_a_jinja_value_is_found_where_jinja_writes_it_not_at_another_element(workspace: Path) -> None:
    footer = (THEME / "partials" / "footer.mjml.j2").read_text(encoding="utf-8")
    old = '<mj-text font-family="{{ fonts.sans }}" font-size="14px"'
    assert old in footer
    templates = {"partials/footer.mjml.j2": footer.replace(old, old + ' padding="{{ "28px zero" }}"', 1)}
    ws, result = build_issue(workspace, templates=templates)
    found = run_rule(rule, ws, result)
    assert [f.message for f in found] == ['<mj-text padding="28px zero">: not a valid value, MRML may ignore it']
    assert found[0].file == str(workspace / "templates" / "partials" / "footer.mjml.j2")
    assert found[0].line == _line_of(workspace, "partials/footer.mjml.j2", 'padding="{{ "28px zero" }}"')
