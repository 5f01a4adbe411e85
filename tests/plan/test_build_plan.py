"""`build_plan`: desired vs live per wave, cluster and dependency layer (plain data only)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from envman.output.plan_views import json_view, markdown_view, text_view
from envman.plan.cluster_state import LiveRelease, managed_labels, secret_labels
from envman.plan.compare import build_plan, release_plan
from envman.plan.fleet import Fleet
from envman.plan.model import Action, Change, ClusterPlan, Plan, ReleasePlan, WavePlan
from envman.plan.select import select
from tests.plan.builders import (
    API_SECRET,
    desired_of,
    empty_states,
    live_of,
    load_fleet,
    state_of,
    synced_states,
)


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return load_fleet(tmp_path)


def actions(plan: Plan) -> dict[str, dict[str, str]]:
    return {c.name: {r.app: r.action.value for r in c.releases} for w in plan.waves for c in w.clusters}


def release(plan: Plan, cluster: str, app: str) -> ReleasePlan:
    (found,) = (r for r in plan.releases if r.cluster == cluster and r.app == app)
    return found


def test_empty_clusters_install_everything_in_wave_then_layer_order(fleet: Fleet) -> None:
    selection = select(fleet.env)
    plan = build_plan(fleet, selection, desired_of(fleet, selection), empty_states(fleet))
    assert [w.name for w in plan.waves] == ["canary", "us", "world"]
    assert [[c.name for c in w.clusters] for w in plan.waves] == [
        ["use1-canary"],
        ["use1"],
        ["euw1", "apse1"],
    ]
    canary = plan.waves[0].clusters[0]
    assert [[r.app for r in layer] for layer in canary.layers] == [["crds"], ["web", "db"], ["api"]]
    assert canary.region == "us-east-1"
    assert [r.app for r in plan.waves[2].clusters[1].releases] == ["crds", "web"]  # api, db disabled
    assert {r.action for r in plan.releases} == {Action.INSTALL}
    assert all(r.changes == () and r.live is None for r in plan.releases)
    assert plan.summary() == {
        "install": 14,
        "upgrade": 0,
        "unchanged": 0,
        "uninstall": 0,
        "drift": 0,
        "verify": 0,
    }
    assert plan.changed


def test_an_install_carries_its_desired_chart_and_version(fleet: Fleet) -> None:
    selection = select(fleet.env, clusters=["use1"])
    plan = build_plan(fleet, selection, desired_of(fleet, selection), empty_states(fleet))
    api = release(plan, "use1", "api")
    assert (api.release, api.namespace, api.version) == ("api", "api", "1.0.0")
    assert api.chart == "charts/app"  # as written in the spec, not a path of this machine
    assert Path(api.desired.chart.ref) == fleet.env.root / "charts" / "app"


def test_releases_live_as_desired_are_unchanged(fleet: Fleet) -> None:
    selection = select(fleet.env)
    desired = desired_of(fleet, selection)
    plan = build_plan(fleet, selection, desired, synced_states(desired))
    assert {r.action for r in plan.releases} == {Action.UNCHANGED}
    assert not plan.changed
    assert not any(w.changed for w in plan.waves)
    assert plan.summary()["unchanged"] == 14


def test_a_chart_version_change_is_an_upgrade(fleet: Fleet) -> None:
    selection = select(fleet.env, clusters=["use1"])
    desired = desired_of(fleet, selection)
    states = synced_states(desired)
    states["use1"].releases[("web", "web")] = live_of(desired["use1"]["web"], version="0.9.0")
    plan = build_plan(fleet, selection, desired, states)
    web = release(plan, "use1", "web")
    assert web.action is Action.UPGRADE
    assert web.changes == (Change("version", "0.9.0", "1.0.0"),)
    assert web.changes[0].kind == "version"
    assert actions(plan)["use1"] == {
        "crds": "unchanged",
        "web": "upgrade",
        "db": "unchanged",
        "api": "unchanged",
    }


@pytest.mark.parametrize("status", ["failed", "pending-upgrade", "superseded", "uninstalling"])
def test_a_release_not_deployed_is_upgraded_even_with_equal_values(fleet: Fleet, status: str) -> None:
    selection = select(fleet.env, clusters=["use1"], apps=["crds"])
    desired = desired_of(fleet, selection)
    states = {"use1": state_of("use1", [live_of(desired["use1"]["crds"], status=status)])}
    (crds,) = build_plan(fleet, selection, desired, states).releases
    assert crds.action is Action.UPGRADE
    assert crds.changes == (Change("status", status, "deployed"),)


def test_a_cluster_override_shows_as_a_change_on_that_cluster_only(fleet: Fleet) -> None:
    """Live everywhere at the app-level replicaCount 3: only the canary (override 1) upgrades."""
    selection = select(fleet.env, apps=["api"])
    desired = desired_of(fleet, selection)
    states = synced_states(desired)
    canary = desired["use1-canary"]["api"]
    states["use1-canary"].releases[("api", "api")] = live_of(
        canary, values={**canary.values, "replicaCount": 3}
    )
    plan = build_plan(fleet, selection, desired, states)
    assert actions(plan) == {
        "use1-canary": {"api": "upgrade"},
        "use1": {"api": "unchanged"},
        "euw1": {"api": "unchanged"},
        "apse1": {},
    }
    assert release(plan, "use1-canary", "api").changes == (Change("replicaCount", 3, 1),)


def test_nested_and_list_changes_are_listed_by_path(fleet: Fleet) -> None:
    selection = select(fleet.env, clusters=["use1"], apps=["api"])
    desired = desired_of(fleet, selection)
    api = desired["use1"]["api"]
    live_values = {
        **api.values,
        "image": {"repository": "api", "tag": "2.6.0"},
        "hosts": ["a.example.com"],
        "resources": {"limits": {"cpu": 1, "memory": "512Mi"}},
    }
    states = {"use1": state_of("use1", [live_of(api, values=live_values)])}
    (plan_api,) = build_plan(fleet, selection, desired, states).releases
    assert plan_api.action is Action.UPGRADE
    assert plan_api.changes == (
        Change("hosts", ["a.example.com"], ["a.example.com", "b.example.com"]),
        Change("image.tag", "2.6.0", "2.7.0"),
        Change("resources.limits.memory", "512Mi", "1Gi"),
    )


def test_a_changed_secret_is_an_upgrade_marked_secret(fleet: Fleet) -> None:
    selection = select(fleet.env, clusters=["use1"], apps=["api"])
    desired = desired_of(fleet, selection)
    api = desired["use1"]["api"]
    assert api.values["db"] == {"password": API_SECRET}
    assert api.secret_paths == ("db.password",)
    states = {"use1": state_of("use1", [live_of(api, values={**api.values, "db": {"password": "old"}})])}
    (plan_api,) = build_plan(fleet, selection, desired, states).releases
    assert plan_api.action is Action.UPGRADE
    assert plan_api.changes == (Change("db.password", "old", API_SECRET, secret=True),)


def orphan(name: str, namespace: str, labels: dict[str, str]) -> LiveRelease:
    return LiveRelease(name, namespace, 5, "deployed", name, "0.1.0", {"x": 1}, labels)


def test_prune_uninstalls_only_this_environments_envman_releases(fleet: Fleet) -> None:
    selection = select(fleet.env, clusters=["use1"])
    desired = desired_of(fleet, selection)
    stale = orphan("old-app", "legacy", managed_labels("prod", "old-app"))
    foreign = orphan("grafana", "monitoring", {})
    other_env = orphan("cache", "cache", managed_labels("staging", "cache"))
    states = synced_states(desired)
    for extra in (stale, foreign, other_env):
        states["use1"].releases[(extra.namespace, extra.name)] = extra

    kept = build_plan(fleet, selection, desired, states)
    assert "uninstall" not in actions(kept)["use1"].values()
    assert len(kept.releases) == 4

    pruned = build_plan(fleet, selection, desired, states, prune=True)
    cluster = pruned.waves[0].clusters[0]
    assert [(r.app, r.action) for r in cluster.layers[-1]] == [("old-app", Action.UNINSTALL)]
    gone = cluster.layers[-1][0]
    assert (gone.release, gone.namespace, gone.desired, gone.live) == ("old-app", "legacy", None, stale)
    assert (gone.chart, gone.version) == ("old-app", "0.1.0")
    assert pruned.summary() == {
        "install": 0,
        "upgrade": 0,
        "unchanged": 4,
        "uninstall": 1,
        "drift": 0,
        "verify": 0,
    }


def test_prune_removes_an_app_disabled_on_a_cluster_but_not_an_unselected_app(fleet: Fleet) -> None:
    """db is disabled on apse1 but still live there: pruned, unless --app leaves db out."""
    db_live = LiveRelease("db", "data", 2, "deployed", "app", "1.0.0", {}, managed_labels("prod", "db"))
    states = empty_states(fleet)
    states["apse1"].releases[("data", "db")] = db_live

    everything = select(fleet.env, clusters=["apse1"])
    plan = build_plan(fleet, everything, desired_of(fleet, everything), states, prune=True)
    assert actions(plan) == {"apse1": {"crds": "install", "web": "install", "db": "uninstall"}}

    only_web = select(fleet.env, clusters=["apse1"], apps=["web"])
    plan = build_plan(fleet, only_web, desired_of(fleet, only_web), states, prune=True)
    assert actions(plan) == {"apse1": {"web": "install"}}


def test_selection_drops_unselected_clusters_and_their_empty_waves(fleet: Fleet) -> None:
    selection = select(fleet.env, regions=["eu-west-1"], apps=["api", "crds"])
    plan = build_plan(fleet, selection, desired_of(fleet, selection), empty_states(fleet))
    assert [(w.name, [c.name for c in w.clusters]) for w in plan.waves] == [("world", ["euw1"])]
    assert [[r.app for r in layer] for layer in plan.waves[0].clusters[0].layers] == [["crds"], ["api"]]
    assert plan.waves[0].settings.max_parallel == 2


def test_a_secret_removed_from_the_spec_is_never_shown(tmp_path: Path) -> None:
    fleet = load_fleet(tmp_path)
    desired = desired_of(fleet, select(fleet.env))["use1"]["api"]
    live = live_of(desired, values={**desired.values, "token": "s3cr3tZZZ", "old": {"pw": "hunter2hunter2"}})
    recorded = replace(live, labels={**live.labels, **secret_labels(["token", "old.pw"])})
    plan = release_plan(desired, recorded)
    assert {c.path for c in plan.changes} == {"token", "old"} and all(c.secret for c in plan.changes)
    whole = Plan("prod", (WavePlan(fleet.waves[0], (ClusterPlan("use1", "us-east-1", ((plan,),)),)),))
    for view in (json_view(whole), markdown_view(whole), text_view(whole, lambda text, **_: text)):
        assert "s3cr3tZZZ" not in view and "hunter2hunter2" not in view
    unnamed = replace(live, labels={**live.labels, **secret_labels(["a path/that no label holds"])})
    assert list(secret_labels(["a path/that no label holds"]).values()) == ["hidden"]
    assert all(c.secret for c in release_plan(desired, unnamed).changes)  # every removed value hidden
