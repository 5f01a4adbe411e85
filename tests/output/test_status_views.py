"""`envman status`'s view: a header row, the app version and images, what differs, the
secrets not compared said once, each wave's verification against what runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from envman.output.status_views import status_row, status_text, wave_line, wave_row
from envman.plan.cluster_state import WaveVerification
from envman.plan.drift import FieldDrift, ObjectDrift
from envman.plan.manifests import ObjectRef
from envman.plan.model import Action, Change, ReleasePlan
from tests.rollout.fakes import release

MANIFEST = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n"
    "      initContainers: [{name: migrate, image: 'api:2.7.0'}]\n"
    "      containers: [{name: api, image: 'api:2.7.0'}, {name: proxy, image: 'envoy:1.30'}]\n"
)


STATUS_HEADERS = [
    "CLUSTER",
    "RELEASE",
    "CHART",
    "APP",
    "REV",
    "STATUS",
    "HEALTH",
    "STATE",
    "COMMIT",
    "IMAGES",
]
"""The columns of `envman status`, in order (tests/e2e/test_plan.py reads them too)."""


def installed(cluster: str, app: str, **changes: Any) -> ReleasePlan:
    plan = release(cluster, app)
    assert plan.live is not None
    live = replace(
        plan.live, manifest=MANIFEST, app_version="2.7.0", labels={"envman.io/commit": "0123456789abcdef"}
    )
    return replace(plan, live=live, **changes)


def plain(text: str, **_: Any) -> str:
    return text


def test_a_table_with_a_header_the_app_version_images_and_what_differs() -> None:
    synced = installed("c1", "web", action=Action.UNCHANGED, notes=("secret not compared: db.password",))
    differs = installed(
        "c1",
        "api",
        changes=(Change("image.tag", "2.7.0", "2.8.0"),),
        notes=("secret not compared: db.password",),
    )
    drift = ObjectDrift(
        ObjectRef("apps/v1", "Deployment", "api", "api"),
        "modified",
        ("spec.replicas",),
        (FieldDrift("spec.replicas", 5, 3),),
    )
    drifted = installed(
        "c2", "api", action=Action.UPGRADE, drift=(drift,), notes=("secret not compared: db.password",)
    )
    absent = replace(release("c2", "web", "install"), notes=("secret not compared: db.password",))
    releases = [synced, differs, drifted, absent]
    rows = [status_row(r, [] if r.live else None) for r in releases]
    lines = status_text(rows, releases, [], plain).splitlines()

    assert lines[0].split() == STATUS_HEADERS
    assert lines[1].split() == [
        "c1",
        "web",
        "0.9.0",
        "2.7.0",
        "3",
        "deployed",
        "healthy",
        "in-sync",
        "0123456789ab",
        "api:2.7.0,",
        "envoy:1.30",
    ]
    assert lines[2].split()[7] == "differs" and lines[3] == '    differs: image.tag: "2.7.0" -> "2.8.0"'
    assert lines[4].split()[7] == "drifted"
    assert lines[5] == "    drift: Deployment api/api modified: spec.replicas: live 5, desired 3"
    assert lines[6].split() == ["c2", "web", "-", "-", "-", "not-installed", "-", "not-installed", "-", "-"]
    assert (
        lines[-1] == "secret values not compared (status reads no secret): api db.password, web db.password"
    )
    assert sum("secret" in line for line in lines) == 1
    assert rows[1]["images"] == ["api:2.7.0", "envoy:1.30"] and rows[1]["app_version"] == "2.7.0"
    widths = {line.index("deployed") for line in lines[1:] if "deployed" in line}
    assert len(widths) == 1  # aligned


def test_a_wave_is_verified_only_for_what_runs() -> None:
    record = WaveVerification("canary", "2026-05-01T12:00:00+00:00", {"api": "d1"})
    assert wave_line(wave_row("canary", True, {"c1": record})) == (
        "wave canary: verified for what runs; last verified 2026-05-01T12:00:00+00:00"
    )
    after_rollback = wave_row("canary", False, {"c1": record}, ["api on c1"])
    assert after_rollback["unverified"] == ["api on c1"]
    assert wave_line(after_rollback) == (
        "wave canary: not verified for what runs (its gates did not pass for: api on c1); "
        "last verified 2026-05-01T12:00:00+00:00"
    )
    assert wave_line(wave_row("us", False, {"c2": None}, ["api on c2", "web on c2"])) == (
        "wave us: not verified for what runs (its gates did not pass for: api on c2, web on c2); never verified"
    )
