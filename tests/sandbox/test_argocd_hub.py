"""The emulated Argo CD hub: Applications (git and Helm repository sources) synced by real helm
to a sandbox destination, read through the kubernetes client on the hub and the destination;
the status Argo CD writes, its health rules, drift, pruning, sync waves, the resources
finalizer and failed operations."""

from __future__ import annotations

import base64
import http.server
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from envman.sandbox.argocd.hub import HubSettings
from envman.sandbox.testing import RunningSandbox, running_sandbox
from tests.argocd_schema import assert_valid
from tests.e2e.chart_servers import PASSWORD, USER, chart_repository, make_chart, oci_registry
from tests.sandbox.argocd_helpers import (
    ChartRepo,
    Hub,
    application,
    finished,
    health,
    sync_status,
)
from tests.sandbox.conftest import CHARTS, HELMS

Obj = dict[str, Any]
RESYNC = 0.3


@dataclass
class Argo:
    sandbox: RunningSandbox
    hub: Hub
    alpha: client.ApiClient
    repo: ChartRepo
    helm: Path

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.alpha)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.alpha)

    def git_source(self, revision: str, **values: Any) -> Obj:
        helm: Obj = {"releaseName": "web", "valuesObject": {"replicaCount": 1, **values}}
        return {"repoURL": self.repo.url, "path": "charts/webapp", "targetRevision": revision, "helm": helm}

    def deploy(self, name: str = "web-alpha", **values: Any) -> Obj:
        """Create an Application at the repository's HEAD and sync it; the finished Application."""
        sha = self.repo.git("rev-parse", "HEAD")
        self.hub.create(application(name, self.git_source(sha, **values), sync_revision=sha))
        return self.hub.wait(name, lambda a: finished(a) and health(a) == "Healthy")


@pytest.fixture
def argo(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Argo]:
    """A sandbox with cluster `alpha` and the hub (context `argocd-hub`); helm 4 unless the test
    is parametrised over `HELMS` (indirect)."""
    binary = HELMS[getattr(request, "param", "helm4")]
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run scripts/setup")
    monkeypatch.setenv("ENVMAN_HELM", str(binary))
    repo = ChartRepo.with_chart(tmp_path / "repo", CHARTS / "webapp")
    with running_sandbox(["alpha"], hub=HubSettings(resync_seconds=RESYNC)) as sandbox:
        hub = config.new_client_from_config(str(sandbox.kubeconfig), context="argocd-hub")  # type: ignore[no-untyped-call]
        alpha = config.new_client_from_config(str(sandbox.kubeconfig), context="alpha")  # type: ignore[no-untyped-call]
        yield Argo(sandbox, Hub(hub), alpha, repo, binary)
        hub.close()
        alpha.close()


def test_the_hub_serves_argo_cds_crds_project_and_cluster_secrets(argo: Argo) -> None:
    ext = client.ApiextensionsV1Api(argo.hub.api)
    names = {c.metadata.name for c in ext.list_custom_resource_definition().items}
    assert {"applications.argoproj.io", "appprojects.argoproj.io"} <= names
    project = argo.hub.custom.get_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "argocd", "appprojects", "default"
    )
    assert project["spec"]["destinations"] == [{"namespace": "*", "server": "*"}]
    secrets = client.CoreV1Api(argo.hub.api).list_namespaced_secret(
        "argocd", label_selector="argocd.argoproj.io/secret-type=cluster"
    )
    (secret,) = secrets.items
    data = {k: base64.b64decode(v).decode() for k, v in secret.data.items()}
    assert data["name"] == "alpha" and data["server"] == argo.sandbox.server("alpha")
    assert "config" in data


@pytest.mark.parametrize("argo", sorted(HELMS), indirect=True)
def test_a_git_source_syncs_and_reports_argo_cds_status(argo: Argo) -> None:
    sha = argo.repo.git("rev-parse", "HEAD")
    argo.hub.create(application("web-alpha", argo.git_source(sha), sync_revision=sha))
    seen: list[str] = []

    def healthy(app: Obj) -> bool:
        seen.append(health(app))
        return finished(app) and health(app) == "Healthy"

    app = argo.hub.wait("web-alpha", healthy)
    assert "Progressing" in seen, seen
    status = app["status"]
    assert status["sync"]["status"] == "Synced" and status["sync"]["revision"] == sha
    assert status["sync"]["comparedTo"]["destination"] == {"name": "alpha", "namespace": "apps"}
    assert status["sync"]["comparedTo"]["source"]["targetRevision"] == sha
    state = status["operationState"]
    assert state["phase"] == "Succeeded" and state["message"] == "successfully synced (all tasks run)"
    assert state["operation"]["initiatedBy"] == {"username": "envman"}
    assert state["startedAt"] <= state["finishedAt"] and state["syncResult"]["revision"] == sha
    results = {(r["kind"], r["name"]): r for r in state["syncResult"]["resources"]}
    assert results[("Deployment", "web")]["message"] == "deployment.apps/web serverside-applied"
    assert results[("Job", "web-migrate")]["hookType"] == "PreSync"
    assert results[("Job", "web-migrate")]["hookPhase"] == "Succeeded"
    assert ("Pod", "web-test") not in results  # helm test hooks have no Argo CD equivalent
    (entry,) = status["history"]
    assert entry["id"] == 0 and entry["revision"] == sha and entry["source"]["path"] == "charts/webapp"
    assert entry["deployStartedAt"] == state["startedAt"] and entry["deployedAt"] == state["finishedAt"]
    assert status["reconciledAt"] and status["summary"]["images"] == ["nginx:1.27"]
    resources = {(r["kind"], r["name"]): r for r in status["resources"]}
    assert resources[("Deployment", "web")] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
        "namespace": "apps",
        "name": "web",
        "status": "Synced",
        "health": {"status": "Healthy"},
    }
    assert "health" not in resources[("ConfigMap", "web")]
    assert resources[("Ingress", "web")]["health"] == {"status": "Healthy"}  # the sandbox publishes Ingresses
    assert ("Job", "web-migrate") not in resources  # hooks are not managed resources
    assert_valid(app)

    deployment = argo.apps.read_namespaced_deployment("web", "apps")
    assert deployment.metadata.labels["app.kubernetes.io/instance"] == "web-alpha"
    assert {m.manager for m in deployment.metadata.managed_fields} >= {"argocd-controller"}
    assert deployment.spec.replicas == 1


@pytest.mark.parametrize("argo", sorted(HELMS), indirect=True)
def test_a_helm_repository_source_with_credentials_and_ca(argo: Argo, tmp_path: Path) -> None:
    make_chart(CHARTS / "webapp", "webapp", "1.2.3", tmp_path / "served", argo.helm)
    with chart_repository(tmp_path / "served", tmp_path / "ca") as (repo, ca):
        repo.index(argo.helm)
        core = client.CoreV1Api(argo.hub.api)
        core.create_namespaced_secret(
            "argocd",
            {
                "metadata": {"name": "charts", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
                "stringData": {"type": "helm", "url": repo.url, "username": USER, "password": PASSWORD},
            },
        )
        core.create_namespaced_config_map(
            "argocd", {"metadata": {"name": "argocd-tls-certs-cm"}, "data": {"127.0.0.1": ca.read_text()}}
        )
        source = {
            "repoURL": repo.url,
            "chart": "webapp",
            "targetRevision": "1.2.3",
            "helm": {"releaseName": "web"},
        }
        argo.hub.create(application("web-chart", source, sync_revision="1.2.3"))
        app = argo.hub.wait("web-chart", lambda a: finished(a) and health(a) == "Healthy")
    status = app["status"]
    assert status["sync"] == {**status["sync"], "status": "Synced", "revision": "1.2.3"}
    assert status["operationState"]["syncResult"]["revision"] == "1.2.3"
    assert status["history"][0]["source"]["chart"] == "webapp"
    assert argo.core.read_namespaced_config_map("web", "apps").data == {"message": "hello"}
    assert_valid(app)


@pytest.mark.parametrize("argo", sorted(HELMS), indirect=True)
def test_an_oci_helm_source_with_credentials(argo: Argo, tmp_path: Path) -> None:
    archive = make_chart(CHARTS / "webapp", "ociweb", "0.3.0", tmp_path / "pushed", argo.helm)
    with oci_registry(tmp_path / "oci") as host:
        login = {**os.environ, "HELM_REGISTRY_CONFIG": str(tmp_path / "registry.json")}
        subprocess.run(
            [str(argo.helm), "registry", "login", host, "--username", USER, "--password-stdin", "--plain-http"],
            input=PASSWORD.encode(), env=login, check=True, capture_output=True,
        )  # fmt: skip
        push = [str(argo.helm), "push", str(archive), f"oci://{host}/charts", "--plain-http"]
        subprocess.run(push, env=login, check=True, capture_output=True)
        client.CoreV1Api(argo.hub.api).create_namespaced_secret(
            "argocd",
            {
                "metadata": {"name": "registry", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
                "stringData": {
                    "type": "helm",
                    "url": f"{host}/charts",
                    "enableOCI": "true",
                    "insecureOCIForceHttp": "true",
                    "username": USER,
                    "password": PASSWORD,
                },
            },
        )
        source = {"repoURL": f"{host}/charts", "chart": "ociweb", "targetRevision": "0.3.0"}
        argo.hub.create(
            application("web-oci", {**source, "helm": {"releaseName": "web"}}, sync_revision="0.3.0")
        )
        app = argo.hub.wait("web-oci", lambda a: finished(a) and health(a) == "Healthy")
    assert app["status"]["sync"]["revision"] == "0.3.0" and sync_status(app) == "Synced"
    assert argo.core.read_namespaced_config_map("web", "apps").data == {"message": "hello"}


@pytest.mark.parametrize("argo", sorted(HELMS), indirect=True)
def test_values_reach_the_chart_and_a_new_sync_records_history(argo: Argo) -> None:
    argo.deploy(message="first")
    argo.repo.write("charts/webapp/values.yaml", (CHARTS / "webapp" / "values.yaml").read_text() + "\n")
    sha = argo.repo.commit("touch")
    argo.hub.sync("web-alpha", sha, spec={"source": argo.git_source(sha, message="second")})
    app = argo.hub.wait("web-alpha", lambda a: finished(a) and len(a["status"]["history"]) == 2)
    assert [h["id"] for h in app["status"]["history"]] == [0, 1]
    assert app["status"]["history"][1]["revision"] == sha
    assert argo.core.read_namespaced_config_map("web", "apps").data == {"message": "second"}


def test_a_failing_image_pull_makes_the_application_degraded(argo: Argo) -> None:
    argo.deploy(hook={"enabled": False})
    argo.sandbox.fail("alpha", mode="image-pull")
    sha = argo.repo.git("rev-parse", "HEAD")
    source = argo.git_source(sha, hook={"enabled": False}, image={"tag": "9.9-missing"})
    argo.hub.sync("web-alpha", sha, spec={"source": source})
    app = argo.hub.wait("web-alpha", lambda a: finished(a) and health(a) == "Degraded")
    assert app["status"]["operationState"]["phase"] == "Succeeded"  # applying worked; health did not
    assert "nginx:9.9-missing" in app["status"]["health"]["message"]
    argo.sandbox.heal("alpha")
    assert health(argo.hub.wait("web-alpha", lambda a: health(a) == "Healthy")) == "Healthy"


def test_pod_health_off_keeps_argo_cds_own_aggregation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ENVMAN_HELM", str(HELMS["helm4"]))
    repo = ChartRepo.with_chart(tmp_path / "repo", CHARTS / "webapp")
    sha = repo.git("rev-parse", "HEAD")
    with running_sandbox(["alpha"], hub=HubSettings(resync_seconds=RESYNC, pod_health=False)) as sandbox:
        hub = Hub(config.new_client_from_config(str(sandbox.kubeconfig), context="argocd-hub"))  # type: ignore[no-untyped-call]
        sandbox.fail("alpha", mode="image-pull")
        source = {"repoURL": repo.url, "path": "charts/webapp", "targetRevision": sha}
        helm = {"releaseName": "web", "valuesObject": {"hook": {"enabled": False}}}
        hub.create(application("web-alpha", {**source, "helm": helm}, sync_revision=sha))
        app = hub.wait("web-alpha", finished)
        assert hub.wait("web-alpha", lambda a: "Waiting for rollout" in str(a["status"]["health"]))
        assert health(app) == "Progressing"


def test_a_hand_edit_or_a_deleted_object_shows_as_out_of_sync(argo: Argo) -> None:
    argo.deploy()
    argo.core.patch_namespaced_config_map("web", "apps", {"data": {"message": "edited by hand"}})
    app = argo.hub.wait("web-alpha", lambda a: sync_status(a) == "OutOfSync")
    drifted = [r for r in app["status"]["resources"] if r["status"] == "OutOfSync"]
    assert [(r["kind"], r["name"]) for r in drifted] == [("ConfigMap", "web")]
    argo.core.delete_namespaced_service("web", "apps")
    app = argo.hub.wait(
        "web-alpha",
        lambda a: any(
            r["kind"] == "Service" and r["status"] == "OutOfSync" for r in a["status"]["resources"]
        ),
    )
    service = next(r for r in app["status"]["resources"] if r["kind"] == "Service")
    assert service["health"] == {"status": "Missing"}
    argo.core.patch_namespaced_secret(
        "web", "apps", {"metadata": {"labels": {"app.kubernetes.io/instance": None}}}
    )
    app = argo.hub.wait(
        "web-alpha",
        lambda a: any(r["kind"] == "Secret" and r["status"] == "OutOfSync" for r in a["status"]["resources"]),
    )
    sha = argo.repo.git("rev-parse", "HEAD")
    argo.hub.sync("web-alpha", sha)
    app = argo.hub.wait("web-alpha", lambda a: finished(a) and sync_status(a) == "Synced")
    assert argo.core.read_namespaced_config_map("web", "apps").data == {"message": "hello"}
    assert (
        argo.core.read_namespaced_secret("web", "apps").metadata.labels["app.kubernetes.io/instance"]
        == "web-alpha"
    )


def test_objects_no_longer_rendered_are_pruned_only_when_asked(argo: Argo) -> None:
    argo.deploy()
    (argo.repo.path / "charts/webapp/templates/config.yaml").write_text(
        (CHARTS / "webapp/templates/config.yaml").read_text().split("---")[1]
    )
    sha = argo.repo.commit("drop the ConfigMap")
    argo.hub.sync("web-alpha", sha, spec={"source": argo.git_source(sha)})
    app = argo.hub.wait("web-alpha", finished)
    skipped = next(
        r for r in app["status"]["operationState"]["syncResult"]["resources"] if r["kind"] == "ConfigMap"
    )
    assert (skipped["status"], skipped["message"]) == ("PruneSkipped", "ignored (requires pruning)")
    extra = next(r for r in app["status"]["resources"] if r["kind"] == "ConfigMap")
    assert extra["requiresPruning"] is True and sync_status(app) == "OutOfSync"
    argo.hub.sync("web-alpha", sha, prune=True)
    app = argo.hub.wait("web-alpha", lambda a: finished(a) and sync_status(a) == "Synced")
    assert not argo.core.list_namespaced_config_map(
        "apps", label_selector="app.kubernetes.io/instance=web-alpha"
    ).items


def test_sync_waves_wait_for_the_earlier_wave_to_be_healthy(argo: Argo) -> None:
    template = argo.repo.path / "charts/webapp/templates/config.yaml"
    template.write_text(
        template.read_text().replace(
            "kind: ConfigMap\nmetadata:\n",
            'kind: ConfigMap\nmetadata:\n  annotations: {"argocd.argoproj.io/sync-wave": "1"}\n',
        )
    )
    sha = argo.repo.commit("the ConfigMap in wave 1")
    argo.sandbox.fail("alpha", mode="never-ready")
    argo.hub.create(application("web-alpha", argo.git_source(sha), sync_revision=sha))
    app = argo.hub.wait(
        "web-alpha",
        lambda a: "healthy state of apps/Deployment/web" in str(a.get("status", {}).get("operationState")),
    )
    assert app["status"]["operationState"]["phase"] == "Running" and "operation" in app
    assert not argo.core.list_namespaced_config_map("apps").items
    argo.sandbox.heal("alpha")
    app = argo.hub.wait("web-alpha", finished)
    assert app["status"]["operationState"]["phase"] == "Succeeded"
    assert argo.core.read_namespaced_config_map("web", "apps").data == {"message": "hello"}
    wave = next(r for r in app["status"]["resources"] if r["kind"] == "ConfigMap")
    assert wave["syncWave"] == 1


def test_deleting_with_the_finalizer_removes_the_destination_objects(argo: Argo) -> None:
    argo.deploy()
    assert argo.apps.list_namespaced_deployment("apps").items
    keep = {"metadata": {"annotations": {"helm.sh/resource-policy": "keep"}}}
    argo.core.patch_namespaced_secret("web", "apps", keep)
    argo.hub.delete("web-alpha")
    deadline = time.monotonic() + 10
    while argo.hub.exists("web-alpha") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not argo.hub.exists("web-alpha")
    assert not argo.apps.list_namespaced_deployment("apps").items
    assert not argo.core.list_namespaced_config_map("apps").items
    assert not argo.core.list_namespaced_pod("apps").items
    assert [s.metadata.name for s in argo.core.list_namespaced_secret("apps").items] == ["web"]  # kept


def test_a_chart_that_does_not_render_fails_the_operation(argo: Argo) -> None:
    (argo.repo.path / "charts/webapp/templates/broken.yaml").write_text("{{ .Values.nope.deeper }}\n")
    sha = argo.repo.commit("a broken template")
    argo.hub.create(application("web-alpha", argo.git_source(sha), sync_revision=sha))
    app = argo.hub.wait("web-alpha", finished)
    state = app["status"]["operationState"]
    assert state["phase"] == "Error"
    assert state["message"].startswith(
        "ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: "
        "rpc error: code = Unknown desc = `helm template web "
    )
    assert "nil pointer evaluating interface {}.deeper" in state["message"]
    assert sync_status(app) == "Unknown"
    assert app["status"]["conditions"][0]["type"] == "ComparisonError"
    assert not argo.apps.list_namespaced_deployment("apps").items
    assert_valid(app)


def test_an_unknown_revision_or_destination_fails_the_operation(argo: Argo) -> None:
    argo.hub.create(
        application("web-alpha", argo.git_source("no-such-branch"), sync_revision="no-such-branch")
    )
    app = argo.hub.wait("web-alpha", finished)
    assert app["status"]["operationState"]["phase"] == "Error"
    assert "unable to resolve 'no-such-branch' to a commit SHA" in app["status"]["operationState"]["message"]
    sha = argo.repo.git("rev-parse", "HEAD")
    argo.hub.create(application("web-gamma", argo.git_source(sha), destination="gamma", sync_revision=sha))
    app = argo.hub.wait("web-gamma", finished)
    assert (
        app["status"]["operationState"]["message"]
        == "InvalidSpecError: there are no clusters with this name: gamma"
    )


def test_objects_the_destination_refuses_fail_the_sync(argo: Argo) -> None:
    sha = argo.repo.git("rev-parse", "HEAD")
    argo.hub.create(application("web-alpha", argo.git_source(sha), sync_revision=sha, create_namespace=False))
    app = argo.hub.wait("web-alpha", finished)
    state = app["status"]["operationState"]
    assert state["phase"] == "Failed"
    assert state["message"].startswith(
        'one or more objects failed to apply, reason: namespaces "apps" not found'
    )
    failed = [r for r in state["syncResult"]["resources"] if r["status"] == "SyncFailed"]
    assert failed and failed[0]["message"] == 'namespaces "apps" not found'


def test_an_idle_hub_writes_nothing(argo: Argo) -> None:
    argo.deploy()
    app = argo.hub.wait(
        "web-alpha",
        lambda a: all(
            r.get("health", {}).get("status", "Healthy") == "Healthy" for r in a["status"]["resources"]
        ),
    )
    version = app["metadata"]["resourceVersion"]
    time.sleep(RESYNC * 5)
    assert argo.hub.get("web-alpha")["metadata"]["resourceVersion"] == version


def test_a_missing_chart_version_fails_the_operation(argo: Argo, tmp_path: Path) -> None:
    served = tmp_path / "plain"
    make_chart(CHARTS / "webapp", "webapp", "0.1.0", served, argo.helm)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        subprocess.run([str(argo.helm), "repo", "index", str(served), "--url", url], check=True)
        source = {"repoURL": url, "chart": "webapp", "targetRevision": "9.9.9"}
        argo.hub.create(application("missing", source, sync_revision="9.9.9"))
        app = argo.hub.wait("missing", finished)
    finally:
        server.shutdown()
    state = app["status"]["operationState"]
    assert state["phase"] == "Error"
    assert f'chart "webapp" version "9.9.9" not found in {url} repository' in state["message"]
