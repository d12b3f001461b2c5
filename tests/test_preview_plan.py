"""Which issues a file change rebuilds (newsletter.preview.plan.plan_rebuild)."""

from __future__ import annotations

from pathlib import Path

from newsletter.preview.plan import Kind, Plan, plan_rebuild

ROOT = Path("/ws")
A = ROOT / "issues" / "2026-06-02-a.md"
B = ROOT / "issues" / "2026-06-09-b.md"


def test_an_issue_edit_rebuilds_that_issue_only() -> None:
    plan = plan_rebuild([(Kind.MODIFIED, A)], ROOT)
    assert plan == Plan(issues=frozenset({A}))
    assert not plan.rebuild_all and not plan.reload_settings


def test_a_new_issue_is_built() -> None:
    assert plan_rebuild([(Kind.ADDED, B)], ROOT).issues == {B}


def test_a_deleted_issue_is_forgotten_not_built() -> None:
    plan = plan_rebuild([(Kind.DELETED, A)], ROOT)
    assert plan.removed == {A} and plan.issues == frozenset()


def test_save_by_rename_rebuilds_whatever_order_the_events_come_in() -> None:
    for changes in ([(Kind.DELETED, A), (Kind.ADDED, A)], [(Kind.ADDED, A), (Kind.DELETED, A)]):
        plan = plan_rebuild(changes, ROOT)
        assert plan.issues == {A} and plan.removed == frozenset()


def test_two_issues_edited_together_rebuild_both() -> None:
    assert plan_rebuild([(Kind.MODIFIED, A), (Kind.MODIFIED, B)], ROOT).issues == {A, B}


def test_a_template_change_rebuilds_every_issue_without_reloading_settings() -> None:
    for path in (ROOT / "templates" / "email.mjml.j2", ROOT / "templates" / "partials" / "story.mjml.j2"):
        plan = plan_rebuild([(Kind.MODIFIED, path)], ROOT)
        assert plan.rebuild_all and not plan.reload_settings


def test_settings_change_reloads_settings_and_rebuilds_everything() -> None:
    plan = plan_rebuild([(Kind.MODIFIED, ROOT / "newsletter.yaml"), (Kind.MODIFIED, A)], ROOT)
    assert plan.reload_settings and plan.rebuild_all


def test_outputs_swap_files_and_other_files_are_ignored() -> None:
    ignored = [
        ROOT / "out" / "2026-06-02-a" / "email.html",
        ROOT / "issues" / ".2026-06-02-a.md.swp",
        ROOT / "issues" / "#2026-06-02-a.md#",
        ROOT / "issues" / "2026-06-02-a.md~",
        ROOT / "issues" / "notes.txt",
        ROOT / "issues" / "drafts" / "later.md",
        ROOT / "README.md",
        ROOT / "templates-old" / "email.mjml.j2",
    ]
    plan = plan_rebuild([(Kind.MODIFIED, p) for p in ignored], ROOT)
    assert plan.empty


def test_no_changes_is_an_empty_plan() -> None:
    assert plan_rebuild([], ROOT).empty


def test_changes_made_while_a_watch_was_starting_are_found_by_comparing_snapshots() -> None:
    from newsletter.preview.watcher import differences

    before = {A: 1, B: 1, ROOT / "newsletter.yaml": 1}
    after = {A: 2, ROOT / "newsletter.yaml": 1, ROOT / "templates" / "email.mjml.j2": 5}
    changes = differences(before, after)
    assert sorted(changes, key=str) == sorted([(Kind.MODIFIED, A), (Kind.DELETED, B),
                                               (Kind.ADDED, ROOT / "templates" / "email.mjml.j2")], key=str)
    plan = plan_rebuild(changes, ROOT)
    assert plan.rebuild_all and plan.removed == {B}
    assert differences(before, before) == []


def test_a_change_to_a_links_file_rebuilds_the_link(tmp_path: Path) -> None:
    from newsletter.preview.watcher import link_targets, through_links, watched_folders

    root = tmp_path.resolve()
    (root / "issues").mkdir()
    (root / "drafts").mkdir()
    draft = root / "drafts" / "2026-06-09-x.md"
    draft.write_text("x", encoding="utf-8")
    link, alias, gone = (root / "issues" / f"{n}.md" for n in ("2026-06-09-x", "2026-06-09-alias", "2026-06-10-gone"))
    link.symlink_to("../drafts/2026-06-09-x.md")
    alias.symlink_to("2026-06-09-x.md")  # a link to the link: the file is the draft
    gone.symlink_to("../drafts/2026-06-10-gone.md")
    (root / "issues" / "2026-06-11-loop.md").symlink_to("2026-06-11-loop.md")  # its build reports the loop
    (root / "out" / "x").mkdir(parents=True)  # a file the build writes: watching it would never settle
    (root / "out" / "x" / "email.txt").write_text("x", encoding="utf-8")
    (root / "issues" / "2026-06-12-out.md").symlink_to("../out/x/email.txt")
    targets = link_targets(root)
    assert targets == {draft: [alias, link], root / "drafts" / "2026-06-10-gone.md": [gone]}
    assert root / "drafts" in watched_folders(root) and root / "out" / "x" not in watched_folders(root)
    for kind in Kind:  # saved, replaced or deleted: the links' issues are built again
        changes = through_links([(kind, draft)], targets)
        assert changes == [(kind, draft), (Kind.MODIFIED, alias), (Kind.MODIFIED, link)]
        assert plan_rebuild(changes, root).issues == {alias, link}
    other = root / "drafts" / "notes.md"
    assert through_links([(Kind.MODIFIED, other)], targets) == [(Kind.MODIFIED, other)]
