"""`envman diff`'s view: sides named truthfully, identical per-cluster diffs shown once, no
trailing spaces, drift with its values, a summary at the end."""

from __future__ import annotations

from dataclasses import replace

from envman.kit.redact import Redactor
from envman.output.diff_views import diff_text
from envman.plan.drift import FieldDrift, ObjectDrift
from envman.plan.manifests import ObjectRef
from envman.plan.model import ReleasePlan
from tests.rollout.fakes import release

LONG = "x" * 50 + " " + "y" * 50 + " " + "z" * 60


def manifest(tag: str, note: str = "short") -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, annotations: {note: '"
        + note
        + "'}}\nspec:\n  replicas: 2\n  template: {spec: {containers: [{name: api, image: 'api:"
        + tag
        + "'}]}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: api}\ndata: {a: b}\n"
    )


def on(cluster: str, revision: int, stored: str) -> ReleasePlan:
    plan = release(cluster, "api", revision=revision)
    assert plan.live is not None
    return replace(plan, live=replace(plan.live, manifest=stored))


def test_the_same_change_on_several_clusters_is_shown_once_with_its_sides_named() -> None:
    items = [
        (on("c1", 7, manifest("1.0")), manifest("2.0")),
        (on("c2", 7, manifest("1.0")), manifest("2.0")),
        (on("c3", 7, manifest("1.0")), manifest("2.0")),
        (on("c4", 3, manifest("0.9")), manifest("2.0")),
    ]
    text = diff_text(items, Redactor())
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("==")] == [
        "== upgrade of api (namespace api): same change on 3 clusters: c1, c2, c3",
        "== upgrade of api (namespace api) on c4",
    ]
    assert lines[1:4] == ["# Deployment api/api", "--- stored (revision 7)", "+++ desired"]
    assert any(line.startswith("-") and line.endswith("image: api:1.0") for line in lines)
    assert any(line.startswith("+") and line.endswith("image: api:2.0") for line in lines)
    assert "# ConfigMap api/api" not in text  # unchanged objects are not shown
    assert "live" not in text
    assert (
        lines[-1]
        == "summary: 4 releases would change (api on 4 clusters); 2 distinct diffs above; 4 objects differ, 0 drifted"
    )


def test_revisions_that_differ_in_a_group_are_each_named() -> None:
    items = [(on("c1", 7, manifest("1.0")), manifest("2.0")), (on("c2", 8, manifest("1.0")), manifest("2.0"))]
    assert "--- stored (revisions 7 on c1, 8 on c2)" in diff_text(items, Redactor()).splitlines()


def test_long_values_are_not_folded_and_no_line_ends_in_a_space() -> None:
    text = diff_text([(on("c1", 7, manifest("1.0", LONG)), manifest("1.0", LONG + " more"))], Redactor())
    assert not [line for line in text.splitlines() if line != line.rstrip()]
    assert f"-    note: {LONG}" in text.splitlines()


def test_an_install_and_drift_with_values() -> None:
    fresh = release("c1", "web", "install")
    drift = ObjectDrift(
        ObjectRef("apps/v1", "Deployment", "api", "api"),
        "modified",
        ("spec.replicas",),
        (FieldDrift("spec.replicas", 5, 2),),
    )
    drifted = replace(on("c2", 7, manifest("1.0")), drift=(drift,))
    text = diff_text([(fresh, manifest("1.0")), (drifted, manifest("1.0"))], Redactor())
    lines = text.splitlines()
    assert "--- stored: none (not installed)" in lines
    assert "# drift: Deployment api/api modified: spec.replicas: live 5, desired 2" in lines
    assert lines[-1].endswith("; 2 objects differ, 1 drifted")


def test_secrets_are_redacted_on_both_sides() -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2-old}\n"
    text = diff_text([(on("c1", 7, secret), secret.replace("old", "new"))], Redactor(["hunter2-new"]))
    assert "hunter2" not in text
    assert "# Secret api/s: only secret values differ (not shown)" in text.splitlines()
