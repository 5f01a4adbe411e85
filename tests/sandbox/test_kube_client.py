"""The official kubernetes Python client and raw REST semantics against the sandbox."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from kubernetes import client
from ruamel.yaml import YAML

from envman.sandbox.testing import RunningSandbox
from tests.sandbox.conftest import ChartPath, Helm


def _raw(
    sandbox: RunningSandbox, method: str, path: str, body: Any = None, content_type: str = "application/json"
) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        sandbox.server("alpha") + path, data=data, method=method, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_deployment_status_and_label_selector(kube: client.ApiClient, helm: Helm, chart: ChartPath) -> None:
    helm.run(
        "upgrade",
        "--install",
        "web",
        chart("webapp"),
        "-n",
        "apps",
        "--create-namespace",
        "--wait",
        "--timeout",
        "30s",
    )
    apps = client.AppsV1Api(kube)
    deployment = apps.read_namespaced_deployment("web", "apps")
    assert deployment.status is not None
    assert deployment.metadata is not None
    assert deployment.status.ready_replicas == 2
    assert deployment.status.observed_generation == deployment.metadata.generation
    pods = client.CoreV1Api(kube).list_namespaced_pod(
        "apps", label_selector="app.kubernetes.io/instance=web,app.kubernetes.io/name in (webapp)"
    )
    assert len([p for p in pods.items if p.status and p.status.phase == "Running"]) == 2
    assert client.VersionApi(kube).get_code().git_version.startswith("v1.")


def test_status_error_bodies(sandbox: RunningSandbox) -> None:
    code, body = _raw(sandbox, "GET", "/api/v1/namespaces/default/configmaps/nope")
    assert (code, body["kind"], body["reason"]) == (404, "Status", "NotFound")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    assert _raw(sandbox, "POST", "/api/v1/namespaces/default/configmaps", cm)[0] == 201
    code, body = _raw(sandbox, "POST", "/api/v1/namespaces/default/configmaps", cm)
    assert (code, body["reason"]) == (409, "AlreadyExists")
    stale = {**cm, "metadata": {"name": "c", "resourceVersion": "1"}}
    code, body = _raw(sandbox, "PUT", "/api/v1/namespaces/default/configmaps/c", stale)
    assert (code, body["reason"]) == (409, "Conflict")
    bad = {**cm, "metadata": {"name": "Not_Valid"}}
    code, body = _raw(sandbox, "POST", "/api/v1/namespaces/default/configmaps", bad)
    assert (code, body["reason"]) == (422, "Invalid")
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "rules": []}
    roles = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles"
    # RBAC names are path segments, as on a real API server (cert-manager's "x:y" names).
    assert _raw(sandbox, "POST", roles, {**role, "metadata": {"name": "cm:leader"}})[0] == 201
    code, body = _raw(sandbox, "POST", roles, {**role, "metadata": {"name": "a%b"}})
    assert (code, body["reason"]) == (422, "Invalid")
    code, body = _raw(sandbox, "POST", "/api/v1/namespaces/default/configmaps/c", cm)
    assert (code, body["reason"]) == (405, "MethodNotAllowed")
    code, _ = _raw(sandbox, "POST", "/api/v1/namespaces/missing/configmaps", cm)
    assert code == 404


def _deployment(env: list[dict[str, str]]) -> dict[str, Any]:
    labels = {"app": "x"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx", "env": env}]},
            },
        },
    }


def test_apply_keeps_fields_other_managers_own(sandbox: RunningSandbox) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments/x?fieldManager=helm"
    applied = _deployment([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    code, _ = _raw(sandbox, "PATCH", path, applied, "application/apply-patch+yaml")
    assert code == 201
    other = {
        "metadata": {"labels": {"team": "ops"}},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "env": [{"name": "C", "value": "3"}]}]}}},
    }
    _raw(
        sandbox,
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/x?fieldManager=ops",
        other,
        "application/strategic-merge-patch+json",
    )
    code, obj = _raw(
        sandbox, "PATCH", path, _deployment([{"name": "A", "value": "9"}]), "application/apply-patch+yaml"
    )
    assert code == 200
    env = obj["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "A", "value": "9"}, {"name": "C", "value": "3"}]
    assert obj["metadata"]["labels"] == {"team": "ops"}
    assert obj["metadata"]["generation"] == 3


def test_managed_fields_and_apply_conflicts_as_a_real_api_server(sandbox: RunningSandbox) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments/owned"
    applied = _deployment([{"name": "A", "value": "1"}])
    applied["metadata"]["name"] = "owned"
    applied["spec"]["replicas"] = 2
    assert (
        _raw(sandbox, "PATCH", path + "?fieldManager=helm", applied, "application/apply-patch+yaml")[0] == 201
    )
    scaled = {"spec": {"replicas": 5}}
    code, obj = _raw(sandbox, "PATCH", path + "?fieldManager=kubectl", scaled, "application/merge-patch+json")
    managers = {m["manager"]: m for m in obj["metadata"]["managedFields"]}
    assert (managers["helm"]["operation"], managers["kubectl"]["operation"]) == ("Apply", "Update")
    assert managers["kubectl"]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    env = managers["helm"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name": "c"}']
    assert 'k:{"name": "A"}' in env["f:env"] and "f:replicas" not in managers["helm"]["fieldsV1"]["f:spec"]
    untouched = _deployment([{"name": "A", "value": "1"}])  # one that does not set replicas
    untouched["metadata"]["name"] = "owned"
    code, body = _raw(sandbox, "PATCH", path + "?fieldManager=helm", applied, "application/apply-patch+yaml")
    assert code == 409 and body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
    assert (
        _raw(sandbox, "PATCH", path + "?fieldManager=helm", untouched, "application/apply-patch+yaml")[0]
        == 200
    )
    code, obj = _raw(
        sandbox, "PATCH", path + "?fieldManager=helm&force=true", applied, "application/apply-patch+yaml"
    )
    assert code == 200 and obj["spec"]["replicas"] == 2
    assert [m["manager"] for m in obj["metadata"]["managedFields"]] == ["helm"]


def test_strategic_merge_directives(sandbox: RunningSandbox) -> None:
    base = "/apis/apps/v1/namespaces/default/deployments"
    _raw(sandbox, "POST", base, _deployment([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "c"}],
                    "containers": [
                        {"name": "c", "env": [{"$patch": "delete", "name": "A"}], "image": "nginx:2"}
                    ],
                }
            }
        }
    }
    code, obj = _raw(sandbox, "PATCH", f"{base}/x", patch, "application/strategic-merge-patch+json")
    assert code == 200
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["env"]) == ("nginx:2", [{"name": "B", "value": "2"}])


def test_watch_sends_initial_events_and_bookmark(sandbox: RunningSandbox) -> None:
    url = (
        sandbox.server("alpha") + "/api/v1/namespaces?watch=1&sendInitialEvents=true"
        "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"
    )
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=5) as response:
        events = [json.loads(line) for line in response.read().splitlines() if line]
    assert time.monotonic() - started < 3
    assert {e["type"] for e in events[:-1]} == {"ADDED"}
    bookmark = events[-1]
    assert bookmark["type"] == "BOOKMARK"
    annotations = bookmark["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}


def test_request_counters(sandbox: RunningSandbox) -> None:
    sandbox.reset_counters()
    _raw(sandbox, "GET", "/api/v1/namespaces")
    assert sandbox.requests("alpha") == 1
    assert sandbox.requests("beta") == 0


def test_explicit_nulls_are_dropped_from_built_in_objects_as_a_typed_decode_does(
    sandbox: RunningSandbox,
) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    meta = {"name": "n", "annotations": None, "labels": {"a": None, "b": "x"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": None}
    code, obj = _raw(sandbox, "POST", base, cm)
    assert code == 201 and obj["metadata"]["labels"] == {"a": "", "b": "x"}
    assert "annotations" not in obj["metadata"] and "data" not in obj
    code, obj = _raw(sandbox, "PUT", f"{base}/n", {**cm, "data": {"k": "v"}, "binaryData": None})
    assert code == 200 and obj["data"] == {"k": "v"} and "binaryData" not in obj
    applied = _deployment([{"name": "A", "value": "1"}])
    applied["spec"]["template"]["metadata"]["annotations"] = None
    applied["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": None}
    path = "/apis/apps/v1/namespaces/default/deployments/x?fieldManager=helm"
    code, obj = _raw(sandbox, "PATCH", path, applied, "application/apply-patch+yaml")
    assert code == 201 and "annotations" not in obj["spec"]["template"]["metadata"]
    assert obj["spec"]["template"]["spec"]["containers"][0]["resources"] == {}
    managed = json.dumps(obj["metadata"]["managedFields"])
    assert "f:annotations" not in managed and "f:limits" not in managed


def test_explicit_nulls_of_custom_resources_are_kept(sandbox: RunningSandbox, chart: ChartPath) -> None:
    crd = YAML(typ="safe").load(Path(chart("crds"), "crds", "widgets.yaml").read_text())
    assert _raw(sandbox, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)[0] == 201
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": None},
    }
    code, obj = _raw(sandbox, "POST", "/apis/example.com/v1/namespaces/default/widgets", widget)
    assert code == 201 and obj["spec"] == {"size": None}


def test_deleting_a_pod_answers_the_pod_being_terminated(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    core.create_namespaced_pod("default", pod)
    deleted = core.delete_namespaced_pod("p", "default")
    assert deleted.metadata.name == "p" and deleted.metadata.deletion_timestamp is not None
    assert deleted.metadata.deletion_grace_period_seconds == 30
    core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
    status = core.delete_namespaced_config_map("c", "default")
    assert isinstance(status, dict) and (status["kind"], status["status"]) == ("Status", "Success")


def test_deleting_a_service_answers_the_service_as_a_real_api_server_does(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    body = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}}}
    core.create_namespaced_service("default", body)
    gone = core.delete_namespaced_service("s", "default")
    assert (gone.kind, gone.metadata.name) == ("Service", "s")
    assert core.list_namespaced_service("default").items == []


def test_an_object_with_finalizers_waits_for_them_before_it_goes(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    body = {"metadata": {"name": "held", "finalizers": ["example.com/cleanup"]}, "data": {"a": "1"}}
    core.create_namespaced_config_map("default", body)
    core.delete_namespaced_config_map("held", "default")
    held = core.read_namespaced_config_map("held", "default")
    assert held.metadata.deletion_timestamp is not None and held.metadata.finalizers == [
        "example.com/cleanup"
    ]
    core.delete_namespaced_config_map("held", "default")  # again: still only marked
    assert (
        core.read_namespaced_config_map("held", "default").metadata.deletion_timestamp
        == held.metadata.deletion_timestamp
    )
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    try:
        core.read_namespaced_config_map("held", "default")
    except client.ApiException as exc:
        assert exc.status == 404
    else:
        raise AssertionError("the object outlived its last finalizer")
