"""The caniemail compatibility rule: scoped to what the theme and the content add, judged for
the target clients in newsletter.yaml, with caniemail's notes; and the shipped data snapshot."""

from __future__ import annotations

import json
from pathlib import Path

from check_helpers import GOOD_ISSUE, build_issue, run_rule, severe

from newsletter.checks import compat
from newsletter.render.theme import theme_dir

DATA = Path(compat.__file__).parent / "data"


def _override_css(extra: str) -> dict[str, str]:
    default = (theme_dir() / "email.css.j2").read_text(encoding="utf-8")
    return {"email.css.j2": default + extra}


def test_default_theme_has_no_compatibility_warnings(workspace: Path) -> None:
    ws, r = build_issue(workspace)
    found = run_rule(compat, ws, r)
    assert found, "the default theme uses features with partial support: they are reported as info"
    assert severe(found) == []


def test_display_flex_in_a_template_override_names_gmail_and_the_note(workspace: Path) -> None:
    ws, r = build_issue(workspace, templates=_override_css(".nl-row { display: flex; }\n"))
    found = [f for f in run_rule(compat, ws, r) if f.hint.endswith("/css-display-flex/")]
    assert len(found) == 1
    f = found[0]
    assert f.severity == "warning"
    assert "not supported in Outlook Windows" in f.message
    assert "Gmail iOS" in f.message and "Gmail Android" in f.message
    assert "Not supported with non Google accounts." in f.message  # caniemail's note
    override = workspace / "templates" / "email.css.j2"
    assert f.file == str(override)
    assert "display: flex" in override.read_text().split("\n")[f.line - 1]
    assert f.hint == "https://www.caniemail.com/features/css-display-flex/"


def test_targets_come_from_settings(workspace: Path) -> None:
    extra = "check:\n  targets: [apple-mail.macos, apple-mail.ios]\n"
    ws, r = build_issue(workspace, settings_extra=extra, templates=_override_css(".nl-row { display: flex; }\n"))
    assert [f for f in run_rule(compat, ws, r) if f.hint.endswith("/css-display-flex/")] == []
    root2 = workspace.parent / "gmail-only"
    (root2 / "issues").mkdir(parents=True)
    (root2 / "newsletter.yaml").write_text((workspace / "newsletter.yaml").read_text().replace(
        "apple-mail.macos, apple-mail.ios", "gmail.desktop-webmail, gmail.ios"))
    ws, r = build_issue(root2, templates=_override_css(".nl-grid { display: grid; }\n"))
    grid = [f for f in run_rule(compat, ws, r) if f.hint.endswith("/css-display-grid/")]
    assert grid and grid[0].severity == "warning" and "Gmail Desktop Webmail, Gmail iOS" in grid[0].message


def test_style_block_features_are_info_and_mjml_boilerplate_is_not_checked(workspace: Path) -> None:
    font_face = "@font-face { font-family: X; src: url(x.woff); }\n"
    ws, r = build_issue(workspace, templates={"responsive.css.j2": font_face})
    found = [f for f in run_rule(compat, ws, r) if f.hint.endswith("/css-at-font-face/")]
    assert [f.severity for f in found] == ["info"]
    # MRML's own <style> uses `#outlook a` (id selector): nothing the theme wrote, so not reported.
    assert "#outlook a" in r.html
    assert not any("ID selector" in f.message or "id selector" in f.message for f in run_rule(compat, ws, r))


def test_theme_can_accept_a_degradation(workspace: Path) -> None:
    css = ".nl-row { display: flex; }\n{# check: allow css-display-flex (stacks as blocks in Outlook) #}\n"
    ws, r = build_issue(workspace, templates=_override_css(css))
    found = [f for f in run_rule(compat, ws, r) if f.hint.endswith("/css-display-flex/")]
    assert [f.severity for f in found] == ["info"] and "check: allow" in found[0].message


def test_content_elements_are_checked_at_the_issue_line(workspace: Path) -> None:
    issue = GOOD_ISSUE + "\n![The harbour at dawn](https://dispatch.example/dawn.webp)\n"
    ws, r = build_issue(workspace, issue)
    found = [f for f in run_rule(compat, ws, r) if f.hint.endswith("/image-webp/")]
    assert found and found[0].severity == "warning" and "Outlook Windows" in found[0].message
    assert found[0].file == r.issue.path and "dawn.webp" in issue.split("\n")[found[0].line - 1]
    ws, r = build_issue(workspace, issue.replace(".webp", ".jpg"))
    assert severe(run_rule(compat, ws, r)) == []


def test_snapshot_is_package_data_with_its_licence() -> None:
    data = json.loads((DATA / "caniemail.json").read_text(encoding="utf-8"))
    assert len(data["data"]) > 250 and data["last_update_date"]
    assert {"css-display-flex", "html-img", "css-at-media-prefers-color-scheme"} <= {f["slug"] for f in data["data"]}
    licence = (DATA / "CANIEMAIL-LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Permission is hereby granted" in licence


def test_unknown_target_is_a_warning_at_its_setting_line(workspace: Path) -> None:
    ws, r = build_issue(workspace, settings_extra="check:\n  targets:\n    - gmail.ios\n    - outlok.windows\n")
    found = [f for f in run_rule(compat, ws, r) if "unknown email client" in f.message]
    assert len(found) == 1 and found[0].severity == "warning" and "'outlook.windows'" in found[0].hint
    lines = (workspace / "newsletter.yaml").read_text().split("\n")
    assert found[0].file.endswith("newsletter.yaml") and "outlok.windows" in lines[found[0].line - 1]


def test_a_template_link_whose_file_is_gone_is_skipped_as_jinja_skips_it(workspace: Path) -> None:
    # It made the compatibility rule fail ("this is a bug"), and its findings were lost.
    (workspace / "templates" / "partials").mkdir(parents=True)
    (workspace / "templates" / "partials" / "footer.mjml.j2").symlink_to("/nonexistent/footer.mjml.j2")
    ws, r = build_issue(workspace)
    found = run_rule(compat, ws, r)
    assert found and not [f for f in found if f.rule == "check"]
    assert severe(found) == []


def test_the_data_has_one_result_per_client_for_every_feature() -> None:
    from newsletter.checks.caniemail import dataset, known_clients

    data = dataset()
    assert len(known_clients()) == len(data["clients"]) > 40
    for feature in data["data"]:
        assert len(feature["support"].split("|")) == len(data["clients"]), feature["slug"]


def test_support_is_the_newest_result_of_one_client_with_its_notes() -> None:
    from newsletter.checks.caniemail import dataset, support

    flex = dataset()["by_slug"]["css-display-flex"]
    assert support(flex, "outlook.windows") == ("n", [])
    assert support(flex, "apple-mail.macos") == ("y", [])
    assert support(flex, "gmail.ios") == ("a", ["1"])
    assert support(flex, "no-such.client") == ("u", [])
