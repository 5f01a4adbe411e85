"""The plan read from the hub's Applications: the same `Plan` as push mode's, with Argo CD's
drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envman.plan.argocd.hub_plan import by_cluster, cluster_state, with_reported_drift
from envman.plan.compare import build_plan
from envman.plan.fleet import Fleet
from envman.plan.model import Action, Plan
from envman.plan.select import select
from tests.plan.argocd.fixtures import argo_fleet, built, desired, synced


def plan_of(fleet: Fleet, applications: list[dict[str, Any]], prune: bool = False) -> Plan:
    wanted = desired(fleet)
    found = by_cluster(applications, fleet.env.clusters)
    states = {c: cluster_state(c, found[c], {}) for c in fleet.env.clusters}
    return with_reported_drift(build_plan(fleet, select(fleet.env), wanted, states, prune), found)


def all_synced(fleet: Fleet) -> list[dict[str, Any]]:
    return [synced(built(fleet, r)) for rs in desired(fleet).values() for r in rs.values()]


def test_no_applications_is_an_install_of_everything(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    assert plan_of(fleet, []).summary()["install"] == 12


def test_synced_applications_are_unchanged(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    plan = plan_of(fleet, all_synced(fleet))
    assert plan.summary()["unchanged"] == 12
    assert not plan.changed


def test_a_value_or_version_change_is_an_upgrade_listing_it(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    apps = all_synced(fleet)
    api = next(a for a in apps if a["metadata"]["name"] == "prod-use1-api")
    api["spec"]["source"]["helm"]["valuesObject"]["image"]["tag"] = "2.6.0"
    web = next(a for a in apps if a["metadata"]["name"] == "prod-euw1-web")
    web["spec"]["source"]["targetRevision"] = "1.2.0"
    for changed in (api, web):  # Argo CD compared and synced them as they are
        changed["status"]["sync"]["comparedTo"]["source"] = changed["spec"]["source"]
    plan = plan_of(fleet, apps)
    by_name = {(r.cluster, r.app): r for r in plan.releases}
    assert [(c.path, c.before, c.after) for c in by_name["use1", "api"].changes] == [
        ("image.tag", "2.6.0", "2.7.0")
    ]
    assert [(c.path, c.before, c.after) for c in by_name["euw1", "web"].changes] == [
        ("version", "1.2.0", "1.2.3")
    ]
    assert plan.summary()["upgrade"] == 2


def test_drift_argo_cd_reports_is_an_upgrade(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    apps = all_synced(fleet)
    api = next(a for a in apps if a["metadata"]["name"] == "prod-euw1-api")
    api["status"]["sync"]["status"] = "OutOfSync"
    api["status"]["resources"] = [
        {
            "group": "apps",
            "version": "v1",
            "kind": "Deployment",
            "namespace": "api",
            "name": "api",
            "status": "OutOfSync",
        }
    ]
    plan = plan_of(fleet, apps)
    (drifted,) = [r for r in plan.releases if r.changed]
    assert (drifted.cluster, drifted.app, drifted.action) == ("euw1", "api", Action.UPGRADE)
    assert [d.ref.kind for d in drifted.drift] == ["Deployment"]
    assert plan.summary()["drift"] == 1


def test_an_application_the_spec_no_longer_wants_is_uninstalled_with_prune(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    apps = all_synced(fleet)
    gone = next(a for a in apps if a["metadata"]["name"] == "prod-use1-web")
    gone["metadata"]["labels"]["envman.io/app"] = "old-web"
    gone["spec"]["source"]["helm"]["releaseName"] = "old-web"
    plan = plan_of(fleet, apps, prune=True)
    uninstalls = [(r.cluster, r.release) for r in plan.releases if r.action is Action.UNINSTALL]
    assert uninstalls == [("use1", "old-web")]


def test_applications_of_other_environments_and_clusters_are_not_read(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    stray = synced(built(fleet, desired(fleet)["use1"]["api"]))
    stray["metadata"]["labels"]["envman.io/cluster"] = "elsewhere"
    assert by_cluster([stray], fleet.env.clusters) == {"use1-canary": {}, "use1": {}, "euw1": {}}
