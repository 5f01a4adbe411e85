"""The rollout engine, unchanged, driving Argo CD through the argocd adapter (an in-memory
hub): waves in order, a Degraded release fails its wave, `rollback-wave` puts the wave's
Applications back (a fresh one deleted, an upgraded one re-applied at its previous spec and
synced), the next wave never starts, and the plan read back from the hub says so."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from envman.adapters.argocd.health import ArgoHealth
from envman.adapters.argocd.release_ops import ArgoReleaseOps
from envman.plan.argocd.hub_plan import by_cluster, cluster_state, with_reported_drift
from envman.plan.compare import build_plan
from envman.plan.fleet import Fleet, resolve
from envman.plan.model import Plan
from envman.plan.select import select
from envman.rollout.engine import sync
from envman.rollout.report import Report
from envman.rollout.results import ReleaseResult, WaveResult
from envman.spec.loader import load_environment
from tests.adapters.argocd.fake_hub import DEGRADED, FakeHub, fleet_destinations
from tests.plan.argocd.fixtures import ARGO, GIT, HUB, desired
from tests.repo_builder import write_repo
from tests.rollout.fakes import World, options

US_ROLLED_BACK = [WaveResult.SUCCEEDED, WaveResult.ROLLED_BACK, WaveResult.NOT_STARTED]


def fleet_of(root: Path, text: str = ARGO) -> Fleet:
    write_repo(root, {"environments/prod.yaml": text})
    return resolve(load_environment(root, "prod"))


def plan_from_hub(fleet: Fleet, hub: FakeHub) -> Plan:
    found = by_cluster(list(hub.objects.values()), fleet.env.clusters)
    states = {c: cluster_state(c, found[c], {}) for c in fleet.env.clusters}
    return with_reported_drift(build_plan(fleet, select(fleet.env), desired(fleet), states), found)


def bad_image(obj: dict[str, Any]) -> bool:
    return bool(obj["spec"]["source"]["helm"]["valuesObject"].get("image", {}).get("tag") == "2.8.0")


def run(fleet: Fleet, hub: FakeHub, plan: Plan) -> Report:
    world = World()
    ops = {c: ArgoReleaseOps(hub, d, world.clock) for c, d in fleet_destinations(fleet, HUB, GIT).items()}
    ports = replace(
        world.ports(),
        helm_for=ops.__getitem__,
        health=ArgoHealth(hub, fleet_destinations(fleet, HUB, GIT)),
    )
    return asyncio.run(world.clock.run(sync(plan, ports, options(commit="c1"))))


def test_a_first_sync_goes_wave_by_wave_then_nothing_is_left_to_do(tmp_path: Path) -> None:
    fleet, hub = fleet_of(tmp_path), FakeHub()
    report = run(fleet, hub, plan_from_hub(fleet, hub))
    assert report.exit_code == 0, report.to_json()
    assert [w.result for w in report.waves] == [WaveResult.SUCCEEDED] * 3
    order = [name for verb, name in hub.calls if verb == "apply"]
    assert order[:4] == [
        "prod-use1-canary-crds",
        "prod-use1-canary-cache",
        "prod-use1-canary-api",
        "prod-use1-canary-web",
    ]
    assert [n.split("-")[1] for n in order] == ["use1"] * 8 + ["euw1"] * 4  # canary, us, world
    assert not plan_from_hub(fleet, hub).changed


def test_a_failing_wave_is_rolled_back_and_the_next_never_starts(tmp_path: Path) -> None:
    fleet, hub = fleet_of(tmp_path), FakeHub()
    assert run(fleet, hub, plan_from_hub(fleet, hub)).exit_code == 0
    text = ARGO.replace('image: {tag: "2.7.0"}', 'image: {tag: "2.8.0"}')
    fleet = fleet_of(tmp_path, text)
    hub.judge = lambda obj: (
        DEGRADED if bad_image(obj) and obj["metadata"]["name"] == "prod-use1-api" else None
    )
    before = len(hub.applied)
    report = run(fleet, hub, plan_from_hub(fleet, hub))
    assert report.exit_code == 3
    assert [w.result for w in report.waves] == US_ROLLED_BACK
    (api,) = [r for r in report.waves[1].releases if r.plan.app == "api"]
    assert api.result is ReleaseResult.ROLLED_BACK
    assert "Degraded" in (api.error or "")
    applied = [a["metadata"]["name"] for a in hub.applied[before:]]
    assert "prod-euw1-api" not in applied  # the world wave never started
    live = hub.objects["prod-use1-api"]["spec"]["source"]["helm"]["valuesObject"]
    assert live["image"]["tag"] == "2.7.0"  # the previous spec, re-applied
    canary = hub.objects["prod-use1-canary-api"]["spec"]["source"]["helm"]["valuesObject"]
    assert canary["image"]["tag"] == "2.8.0"


def test_a_fresh_application_of_a_failing_wave_is_deleted(tmp_path: Path) -> None:
    fleet, hub = fleet_of(tmp_path), FakeHub()
    hub.outcomes["prod-use1-web"] = DEGRADED
    report = run(fleet, hub, plan_from_hub(fleet, hub))
    assert report.exit_code == 3
    assert [w.result for w in report.waves] == US_ROLLED_BACK
    assert (
        sorted(n for n in hub.objects if n.startswith("prod-use1-") and "canary" not in n) == []
    )  # every fresh Application of the wave deleted
    assert sorted(n for n in hub.objects if "-canary-" in n) == [
        "prod-use1-canary-api", "prod-use1-canary-cache", "prod-use1-canary-crds", "prod-use1-canary-web",
    ]  # fmt: skip
