"""What is reviewed is what runs (pure): which releases the plan renders, how a rendering
decides a chart edit, and which revision a failed verification goes back to."""

from __future__ import annotations

from dataclasses import replace

from envman.plan.cluster_state import DIGEST_LABEL, STATE_LABEL, LiveRelease
from envman.plan.compare import NO_OBJECT_CHANGED, needs_render, release_plan
from envman.plan.desired import ChartSource, DesiredRelease
from envman.plan.model import Action
from envman.plan.verification import last_verified, values_to_render, verified_revision

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
"""
HOOK = """apiVersion: batch/v1
kind: Job
metadata:
  name: web-migrate
  annotations: {{helm.sh/hook: pre-upgrade}}
spec:
  backoffLimit: {limit}
"""


def desired(digest: str = "new", **values: object) -> DesiredRelease:
    return DesiredRelease(
        "c1",
        "us-east-1",
        "web",
        "web",
        "web",
        ChartSource("charts/web", "1.0.0"),
        {"tag": "1", **values},
        chart_spec="charts/web",
        chart_digest=digest,
    )


def live(digest: str | None = "old", *, replicas: int = 1, limit: int = 1, **labels: str) -> LiveRelease:
    recorded = {DIGEST_LABEL: digest} if digest is not None else {}
    return LiveRelease(
        "web",
        "web",
        4,
        "deployed",
        "web",
        "1.0.0",
        {"tag": "1"},
        {**recorded, **labels},
        manifest=DEPLOYMENT.format(replicas=replicas),
        hooks=HOOK.format(limit=limit),
    )


def rendered(replicas: int = 1, limit: int = 1) -> str:
    return DEPLOYMENT.format(replicas=replicas) + "---\n" + HOOK.format(limit=limit)


def test_only_releases_whose_inputs_changed_are_rendered() -> None:
    assert not needs_render(desired("old"), live("old")), "digest, version and values match"
    assert needs_render(desired("old"), None), "a new release"
    assert needs_render(desired("new"), live("old")), "the chart's files changed"
    assert needs_render(desired("old"), live(None)), "no digest recorded (another tool installed it)"
    assert needs_render(desired("old", tag="2"), live("old")), "a value changed"
    moved = replace(desired("old"), chart=ChartSource("charts/web", "1.1.0"))
    assert needs_render(moved, live("old")), "the version changed"


def test_a_chart_edit_that_changes_no_object_is_unchanged_with_a_note() -> None:
    plan = release_plan(desired("new"), live("old"), rendered=rendered())
    assert plan.action is Action.UNCHANGED and plan.changes == ()
    assert plan.notes == (NO_OBJECT_CHANGED,)
    same = release_plan(desired("old"), live("old"))
    assert plan.digest == same.digest, "what runs is still the verified state: no gates to run again"


def test_a_chart_edit_that_changes_an_object_lists_the_objects() -> None:
    plan = release_plan(desired("new"), live("old"), rendered=rendered(replicas=2))
    assert plan.action is Action.UPGRADE
    assert [(c.kind, c.after) for c in plan.changes] == [("chart content", "Deployment web/web changed")]


def test_hooks_count_in_the_comparison() -> None:
    plan = release_plan(desired("new"), live("old"), rendered=rendered(limit=3))
    assert [c.after for c in plan.changes] == ["Job web/web-migrate changed"]


def test_with_values_changed_too_the_content_change_is_the_digests() -> None:
    plan = release_plan(desired("new", tag="2"), live("old"), rendered=rendered(replicas=2))
    assert [(c.kind, c.before, c.after) for c in plan.changes] == [
        ("chart content", "old", "new"),
        ("value", "1", "2"),
    ]


def test_unrendered_releases_compare_by_digest() -> None:
    plan = release_plan(desired("new"), live("old"))  # `status` renders nothing
    assert [(c.kind, c.before, c.after) for c in plan.changes] == [("chart content", "old", "new")]


def test_a_release_installed_by_another_tool_is_compared_by_its_rendering() -> None:
    assert release_plan(desired("new"), live(None), rendered=rendered()).action is Action.UNCHANGED
    changed = release_plan(desired("new"), live(None), rendered=rendered(replicas=3))
    assert [c.after for c in changed.changes] == ["Deployment web/web changed"]


def test_a_secret_not_read_renders_with_the_live_value_or_a_stand_in() -> None:
    release = replace(desired(), unresolved=("db.password",))
    assert values_to_render(release, {"db": {"password": "live-one"}})["db"] == {"password": "live-one"}
    assert values_to_render(release, {})["db"] == {"password": "envman-secret-not-read"}


def revision(number: int, status: str, digest: str | None) -> LiveRelease:
    labels = {STATE_LABEL: digest} if digest else {}
    return LiveRelease("web", "web", number, status, "web", "1.0.0", labels=labels)


def test_the_last_verified_revision_is_the_newest_that_ran_the_recorded_state() -> None:
    history = [
        revision(1, "superseded", "d1"),
        revision(2, "superseded", "d2"),
        revision(3, "superseded", "d1"),
        revision(4, "failed", "d2"),
        revision(5, "deployed", "d3"),
    ]
    assert last_verified(history, "d1") == 3
    assert last_verified(history, "d2") == 2, "a failed revision never ran the state"
    assert last_verified(history, "d9") is None


def test_the_running_revision_is_the_verified_one_when_its_label_or_its_plan_says_so() -> None:
    labelled = release_plan(
        desired("old"), replace(live("old"), labels={DIGEST_LABEL: "old", STATE_LABEL: "d"})
    )
    assert verified_revision(labelled, "d", ()) == 4
    plan = release_plan(desired("old"), live("old"))
    assert verified_revision(plan, plan.digest, ()) == 4, "unchanged and planned to the recorded state"
    assert verified_revision(plan, "other", [revision(2, "superseded", "other")]) == 2
    assert verified_revision(plan, None, ()) is None, "no record: nothing verified"
