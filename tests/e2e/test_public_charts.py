"""Widely used public charts (tests/data/public-charts, see its SOURCES.md) through envman on
a sandbox cluster with real helm 3 and 4: install, an empty plan, upgrade, rollback, prune."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from kubernetes import client, config

from envman.cli import cli
from envman.sandbox.testing import RunningSandbox, running_sandbox

pytestmark = pytest.mark.helm
CHARTS = Path(__file__).resolve().parents[1] / "data" / "public-charts"
CLUSTER = "pub"


@dataclass
class Case:
    """One chart: its app's namespace, install values, the upgrade's values, and a check of
    the cluster after each step (given the kubernetes ApiClient and the values' marker)."""

    chart: str
    namespace: str
    values: dict[str, Any]
    upgrade: dict[str, Any]
    check: Callable[[client.ApiClient, str, str], None]


def _cert_manager(api: client.ApiClient, namespace: str, marker: str) -> None:
    ext = client.ApiextensionsV1Api(api)
    crds = {c.metadata.name for c in ext.list_custom_resource_definition().items}
    assert {
        "certificates.cert-manager.io",
        "issuers.cert-manager.io",
        "clusterissuers.cert-manager.io",
    } <= crds
    adm = client.AdmissionregistrationV1Api(api)
    assert adm.read_validating_webhook_configuration("cert-manager-webhook").webhooks
    assert adm.read_mutating_webhook_configuration("cert-manager-webhook").webhooks
    deployment = client.AppsV1Api(api).read_namespaced_deployment("cert-manager-webhook", namespace)
    assert deployment.status.ready_replicas == 1
    assert deployment.spec.template.metadata.labels.get("marker") == marker


def _redis(api: client.ApiClient, namespace: str, marker: str) -> None:
    sts = client.AppsV1Api(api).read_namespaced_stateful_set("redis-master", namespace)
    assert sts.status.ready_replicas == 1
    assert sts.spec.template.metadata.labels.get("marker") == marker
    pvcs = client.CoreV1Api(api).list_namespaced_persistent_volume_claim(namespace).items
    assert [p.metadata.name for p in pvcs] == ["redis-data-redis-master-0"]
    assert pvcs[0].status.phase == "Bound"


def _node_exporter(api: client.ApiClient, namespace: str, marker: str) -> None:
    ds = client.AppsV1Api(api).read_namespaced_daemon_set("node-exporter-prometheus-node-exporter", namespace)
    assert ds.status.number_ready == ds.status.desired_number_scheduled >= 1
    assert ds.spec.template.metadata.labels.get("marker") == marker


def _fluent_bit(api: client.ApiClient, namespace: str, marker: str) -> None:
    ds = client.AppsV1Api(api).read_namespaced_daemon_set("fluent-bit", namespace)
    assert ds.status.number_ready == ds.status.desired_number_scheduled >= 1
    assert ds.spec.template.metadata.labels.get("marker") == marker


CASES = {
    "cert-manager": Case(
        "cert-manager",
        "cert-manager",
        {
            "crds": {"enabled": True},
            "podLabels": {"marker": "one"},
            "webhook": {"podLabels": {"marker": "one"}},
        },
        {"podLabels": {"marker": "two"}, "webhook": {"podLabels": {"marker": "two"}}},
        _cert_manager,
    ),
    "redis": Case(
        "redis",
        "data",
        {
            "architecture": "standalone",
            "auth": {"password": "not-a-secret"},
            "master": {"podLabels": {"marker": "one"}, "persistence": {"size": "1Gi"}},
        },
        {"master": {"podLabels": {"marker": "two"}}},
        _redis,
    ),
    "fluent-bit": Case(
        "fluent-bit",
        "logging",
        {"podLabels": {"marker": "one"}},
        {"podLabels": {"marker": "two"}},
        _fluent_bit,
    ),
    "node-exporter": Case(
        "prometheus-node-exporter",
        "monitoring",
        {"podLabels": {"marker": "one"}},
        {"podLabels": {"marker": "two"}},
        _node_exporter,
    ),
}


@dataclass
class Repo:
    root: Path
    sandbox: RunningSandbox
    helm: Path

    def envman(self, *args: str) -> Result:
        from click.testing import CliRunner

        argv = ["--no-color", "-C", str(self.root), "--kubeconfig", str(self.sandbox.kubeconfig), *args]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    def helm_json(self, *args: str) -> Any:
        kube = ["--kube-context", CLUSTER, "--kubeconfig", str(self.sandbox.kubeconfig)]
        out = subprocess.run(
            [str(self.helm), *kube, *args, "-o", "json"], check=True, capture_output=True, text=True
        )
        return json.loads(out.stdout)

    def write(self, app: str, case: Case, values: dict[str, Any] | None) -> None:
        """The environment `pub`: one cluster, and the app (absent when `values` is None)."""
        apps = {}
        if values is not None:
            apps[app] = {
                "chart": f"charts/{case.chart}",
                "namespace": case.namespace,
                "timeout": "60s",
                "values": values,
            }
        doc = {"clusters": {CLUSTER: {"region": "us-east-1"}}, "apps": apps}
        # JSON is YAML: no serializer needed.
        (self.root / "environments" / "pub.yaml").write_text(json.dumps(doc, indent=2))


@pytest.fixture
def repo(tmp_path: Path, helm_binary: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    for home in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(home, str(tmp_path / home.lower()))
    root = tmp_path / "repo"
    (root / "environments").mkdir(parents=True)
    shutil.copytree(CHARTS, root / "charts", ignore=shutil.ignore_patterns("SOURCES.md"))
    with running_sandbox([CLUSTER]) as sandbox:
        yield Repo(root, sandbox, helm_binary)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


@pytest.mark.parametrize("app", sorted(CASES))
def test_public_chart_lifecycle(repo: Repo, app: str) -> None:
    case = CASES[app]
    repo.write(app, case, case.values)
    installed = repo.envman("sync", "pub")
    assert installed.exit_code == 0, installed.output
    api = config.new_client_from_config(str(repo.sandbox.kubeconfig), context=CLUSTER)  # type: ignore[no-untyped-call]
    try:
        case.check(api, case.namespace, "one")
        plan = repo.envman("plan", "pub", "--detailed-exitcode")
        assert plan.exit_code == 0, plan.output

        repo.write(app, case, _merge(case.values, case.upgrade))
        upgraded = repo.envman("sync", "pub")
        assert upgraded.exit_code == 0, upgraded.output
        case.check(api, case.namespace, "two")
        plan = repo.envman("plan", "pub", "--detailed-exitcode")
        assert plan.exit_code == 0, plan.output

        # Real drift still shows: a Service of the release deleted by hand; sync repairs it.
        core = client.CoreV1Api(api)
        selector = f"app.kubernetes.io/instance={app}"
        service = core.list_namespaced_service(case.namespace, label_selector=selector).items[0].metadata.name
        core.delete_namespaced_service(service, case.namespace)
        plan = repo.envman("plan", "pub", "--detailed-exitcode")
        assert plan.exit_code == 2 and f"Service {case.namespace}/{service} missing" in plan.output, (
            plan.output
        )
        repaired = repo.envman("sync", "pub")
        assert repaired.exit_code == 0, repaired.output
        assert repo.envman("plan", "pub", "--detailed-exitcode").exit_code == 0

        rolled = repo.envman("rollback", "pub", "--app", app, "--to-revision", "1")
        assert rolled.exit_code == 0, rolled.output
        case.check(api, case.namespace, "one")
        revisions = repo.helm_json("history", app, "-n", case.namespace)
        assert [r["status"] for r in revisions] == ["superseded"] * 3 + ["deployed"]

        repo.write(app, case, None)
        pruned = repo.envman("sync", "pub", "--prune")
        assert pruned.exit_code == 0, pruned.output
        assert repo.helm_json("list", "-A") == []
        apps = client.AppsV1Api(api)
        assert not apps.list_namespaced_deployment(case.namespace).items
        assert not apps.list_namespaced_stateful_set(case.namespace).items
        assert not apps.list_namespaced_daemon_set(case.namespace).items
        if app == "cert-manager":  # crds.keep (the default): helm.sh/resource-policy keep
            ext = client.ApiextensionsV1Api(api)
            assert "certificates.cert-manager.io" in {
                c.metadata.name for c in ext.list_custom_resource_definition().items
            }
    finally:
        api.close()
