"""The Application of a desired release: source, helm, destination, labels, sync options."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.kit.errors import PlanError
from envman.plan.argocd.applications import (
    FINALIZER,
    SYNC_WAVE,
    chart_source,
    jq_path,
    placements,
    sync_operation,
)
from envman.plan.desired import ChartSource
from tests.plan.argocd.fixtures import COMMIT, argo_fleet, built, desired


def test_a_local_chart_is_read_from_git_at_the_commit(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    app = built(fleet, desired(fleet)["use1"]["api"])
    assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
    assert app["metadata"]["name"] == "prod-use1-api"
    assert app["metadata"]["namespace"] == "argocd"
    assert app["spec"]["source"] == {
        "repoURL": "https://git.example.com/acme/deploy.git",
        "path": "deploy/charts/app",
        "targetRevision": COMMIT,
        "helm": {"releaseName": "api", "valuesObject": {"replicaCount": 3, "image": {"tag": "2.7.0"}}},
    }
    assert app["metadata"]["annotations"]["envman.io/commit"] == COMMIT
    assert app["metadata"]["annotations"]["envman.io/chart-version"] == "1.0.0"


def test_values_are_the_releases_merged_values(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    app = built(fleet, desired(fleet)["use1-canary"]["api"])
    assert app["spec"]["source"]["helm"]["valuesObject"] == {"replicaCount": 1, "image": {"tag": "2.7.0"}}


def test_a_remote_chart_is_repository_chart_and_version(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    app = built(fleet, desired(fleet)["euw1"]["web"])
    assert app["spec"]["source"] == {
        "repoURL": "https://charts.example.com/stable",
        "chart": "web",
        "targetRevision": "1.2.3",
        "helm": {"releaseName": "web", "valuesObject": {}},
    }


def test_an_oci_chart_is_the_registry_path_without_its_scheme(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    source = built(fleet, desired(fleet)["euw1"]["cache"])["spec"]["source"]
    assert (source["repoURL"], source["chart"], source["targetRevision"]) == (
        "registry.example.com/charts",
        "cache",
        "0.4.0",
    )


def test_a_local_chart_without_git_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="charts/app: a local chart needs a git repository"):
        chart_source(ChartSource("/repo/charts/app", "1.0.0"), "charts/app", None)


def test_destination_labels_wave_and_no_automated_sync(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    canary = built(fleet, desired(fleet)["use1-canary"]["web"])
    assert canary["spec"]["destination"] == {"name": "prod-canary", "namespace": "web"}
    assert canary["spec"]["project"] == "platform"
    assert canary["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "envman",
        "envman.io/environment": "prod",
        "envman.io/wave": "canary",
        "envman.io/cluster": "use1-canary",
        "envman.io/app": "web",
    }
    assert canary["metadata"]["finalizers"] == [FINALIZER]
    assert canary["spec"]["syncPolicy"] == {"syncOptions": ["CreateNamespace=true", "ServerSideApply=true"]}
    other = built(fleet, desired(fleet)["use1"]["web"])
    assert other["spec"]["destination"]["name"] == "use1"  # argocdName defaults to the cluster's name


def test_dependency_layers_become_sync_waves(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    layers = {app: place.layer for (cluster, app), place in placements(fleet).items() if cluster == "use1"}
    assert layers == {"crds": 0, "cache": 0, "api": 1, "web": 2}
    app = built(fleet, desired(fleet)["use1"]["web"])
    assert app["metadata"]["annotations"][SYNC_WAVE] == "2"


def test_ignore_differences_become_argo_cds_with_their_sync_option(tmp_path: Path) -> None:
    fleet = argo_fleet(tmp_path)
    app = built(fleet, desired(fleet)["use1"]["api"])
    assert app["spec"]["ignoreDifferences"] == [
        {
            "group": "*",
            "kind": "Deployment",
            "jqPathExpressions": [".spec.replicas", ".spec.template.spec.containers[].image"],
        }
    ]
    assert "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_jq_paths_quote_keys_that_are_not_identifiers() -> None:
    assert jq_path("metadata.annotations.example/x") == '.metadata.annotations["example/x"]'
    assert jq_path("spec.ports[0].port") == ".spec.ports[0].port"
    assert jq_path("spec.containers[api].image") == '.spec.containers[] | select(.name == "api") | .image'


def test_a_sync_is_started_as_argocd_app_sync_starts_it() -> None:
    assert sync_operation("abc", ["CreateNamespace=true"]) == {
        "initiatedBy": {"username": "envman"},
        "sync": {"revision": "abc", "prune": True, "syncOptions": ["CreateNamespace=true"]},
    }
