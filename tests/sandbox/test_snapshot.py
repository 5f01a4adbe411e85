"""A sandbox started from another's snapshot holds what it held: helm's releases, every object
with its field managers, custom resources; helm goes on from there (the e2e suite's synced
`prod` starts this way)."""

from __future__ import annotations

import json
from dataclasses import replace

from kubernetes import client, config

from envman.sandbox.testing import RunningSandbox, running_sandbox
from tests.sandbox.conftest import ChartPath, Helm, deploy, history


def _objects(sandbox: RunningSandbox, cluster: str) -> dict[str, object]:
    api = config.new_client_from_config(str(sandbox.kubeconfig), context=cluster)  # type: ignore[no-untyped-call]
    try:
        deployment = client.AppsV1Api(api).read_namespaced_deployment("web", "apps")
        config_map = client.CoreV1Api(api).read_namespaced_config_map("web", "apps")
        crds = client.ApiextensionsV1Api(api).list_custom_resource_definition().items
        return {
            "replicas": deployment.spec.replicas,
            "ready": deployment.status.ready_replicas,
            "managers": sorted(m.manager for m in deployment.metadata.managed_fields or []),
            "config": config_map.data,
            "crds": sorted(c.metadata.name for c in crds),
        }
    finally:
        api.close()


def test_a_restored_sandbox_holds_the_releases_and_objects_and_helm_goes_on(
    sandbox: RunningSandbox, helm: Helm, chart: ChartPath
) -> None:
    assert deploy(helm, "web", chart("webapp"), "--set", "replicaCount=2") == 0
    assert deploy(helm, "widgets", chart("crds")) == 0
    before = _objects(sandbox, "alpha")
    with running_sandbox(["alpha", "beta"], restore=sandbox.snapshot()) as copy:
        again = replace(helm, env={**helm.env, "KUBECONFIG": str(copy.kubeconfig)})
        assert _objects(copy, "alpha") == before
        assert [r["status"] for r in history(again, "web", "apps")] == ["deployed"]
        values = json.loads(again.run("get", "values", "web", "-n", "apps", "-o", "json").stdout)
        assert values == {"replicaCount": 2}
        assert deploy(again, "web", chart("webapp"), "--set", "replicaCount=3") == 0
        assert [r["status"] for r in history(again, "web", "apps")] == ["superseded", "deployed"]
        assert _objects(copy, "alpha")["replicas"] == 3
        assert history(helm, "web", "apps")[-1]["revision"] == 1, "the original is untouched"
