"""Live drift with plain data: only what the manifest sets is compared, as the API server stores it."""

from __future__ import annotations

import base64

from envman.plan.drift import IgnoreRule, ObjectDrift, object_drift, secret_texts
from envman.plan.manifests import ManifestObject, ObjectRef, manifest_differences, manifest_objects

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}, annotations: null}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: web:1
          resources: {limits: {cpu: 0.5, memory: 1024Mi}}
          ports: [{containerPort: 80}]
          args: [--a, --b]
        - name: sidecar
          image: side:1
"""


def deployment() -> ManifestObject:
    return manifest_objects(DEPLOYMENT, "web")[0]


def live(**changes: object) -> dict[str, object]:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "web",
            "labels": {"app": "web", "added": "by-someone"},
            "uid": "1",
        },
        "spec": {
            "replicas": 3,
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "spec": {
                    "containers": [
                        {"name": "sidecar", "image": "side:1", "imagePullPolicy": "Always"},
                        {
                            "name": "web",
                            "image": "web:1",
                            "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "args": ["--a", "--b"],
                        },
                    ]
                }
            },
        },
        "status": {"replicas": 3},
    }
    for path, value in changes.items():
        node = body
        *parents, last = path.split("__")
        for part in parents:
            node = node[part] if not part.isdigit() else node[int(part)]  # type: ignore[index]
        node[last if not last.isdigit() else int(last)] = value  # type: ignore[index]
    return body


def test_defaulted_and_added_fields_and_normalised_quantities_are_not_drift() -> None:
    assert deployment().ref == ObjectRef("apps/v1", "Deployment", "web", "web")
    assert object_drift(deployment(), live()) is None


def test_a_missing_object() -> None:
    assert object_drift(deployment(), None) == ObjectDrift(deployment().ref, "missing")


def test_modified_fields_are_listed_by_path_with_named_list_items() -> None:
    edited = live(spec__replicas=0)
    edited["spec"]["template"]["spec"]["containers"][1]["image"] = "web:hacked"  # type: ignore[index]
    drift = object_drift(deployment(), edited)
    assert drift is not None and drift.reason == "modified"
    assert drift.paths == ("spec.replicas", "spec.template.spec.containers[web].image")


def test_scalar_lists_compare_whole_and_a_removed_named_item_is_drift() -> None:
    edited = live()
    containers = edited["spec"]["template"]["spec"]["containers"]  # type: ignore[index]
    containers[1]["args"] = ["--b", "--a"]
    del containers[0]
    drift = object_drift(deployment(), edited)
    assert drift is not None
    assert drift.paths == (
        "spec.template.spec.containers[sidecar]",
        "spec.template.spec.containers[web].args",
    )


def test_ignore_differences_by_kind_and_with_any_list_item() -> None:
    edited = live(spec__replicas=7)
    edited["spec"]["template"]["spec"]["containers"][1]["image"] = "web:2"  # type: ignore[index]
    rules = [
        IgnoreRule("Deployment", ("spec.replicas",)),
        IgnoreRule(None, ("spec.template.spec.containers[*].image",)),
    ]
    assert object_drift(deployment(), edited, rules) is None
    assert object_drift(deployment(), edited, [IgnoreRule("StatefulSet", ("spec.replicas",))]) is not None


def test_secret_string_data_is_compared_as_the_data_it_becomes_and_values_never_shown() -> None:
    secret = manifest_objects(
        "kind: Secret\napiVersion: v1\nmetadata: {name: s}\nstringData: {password: hunter2}\n", "ns"
    )[0]
    stored = {"metadata": {"name": "s"}, "data": {"password": base64.b64encode(b"hunter2").decode()}}
    assert object_drift(secret, stored) is None
    changed = object_drift(secret, {"metadata": {"name": "s"}, "data": {"password": "eHl6"}})
    assert changed is not None and changed.paths == ("data.password",) and changed.values == ()
    assert "hunter2" not in repr(changed.to_dict()) and "eHl6" not in repr(changed.to_dict())


def test_bools_and_numbers_differ() -> None:
    obj = manifest_objects(
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\ndata: {on: 'true'}\n", "ns"
    )[0]
    assert object_drift(obj, {"metadata": {"name": "c"}, "data": {"on": True}}) is not None


def test_cluster_scoped_kinds_have_no_namespace_and_lists_are_unwrapped() -> None:
    text = "kind: List\napiVersion: v1\nitems:\n- {kind: ClusterRole, apiVersion: rbac.authorization.k8s.io/v1, metadata: {name: r}}\n"
    assert [o.ref for o in manifest_objects(text, "ns")] == [
        ObjectRef("rbac.authorization.k8s.io/v1", "ClusterRole", "", "r")
    ]


def test_manifest_differences_name_each_object() -> None:
    before = "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\ndata: {x: '1'}\n---\nkind: Service\napiVersion: v1\nmetadata: {name: old}\n"
    after = "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\ndata: {x: '2'}\n---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: new}\n"
    assert manifest_differences(before, after, "ns") == [
        "ConfigMap ns/new added",
        "Service ns/old removed",
        "ConfigMap ns/a changed",
    ]


MOUNTS = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: redis}
spec:
  template:
    spec:
      containers:
        - name: redis
          volumeMounts:
            - {name: empty-dir, mountPath: /opt/conf, subPath: app-conf-dir}
            - {name: empty-dir, mountPath: /tmp, subPath: tmp-dir}
"""


def test_volume_mounts_are_matched_by_mount_path_as_one_volume_may_be_mounted_twice() -> None:
    wanted = manifest_objects(MOUNTS, "data")[0]
    mounts = [
        {"name": "empty-dir", "mountPath": "/tmp", "subPath": "tmp-dir", "readOnly": False},
        {"name": "empty-dir", "mountPath": "/opt/conf", "subPath": "app-conf-dir"},
    ]
    body = {
        "metadata": {"name": "redis", "namespace": "data"},
        "spec": {"template": {"spec": {"containers": [{"name": "redis", "volumeMounts": mounts}]}}},
    }
    assert object_drift(wanted, body) is None
    mounts[0]["subPath"] = "other"
    drift = object_drift(wanted, body)
    assert drift is not None
    assert drift.paths == ("spec.template.spec.containers[redis].volumeMounts[/tmp].subPath",)


def test_drift_carries_the_live_and_desired_values_of_each_field() -> None:
    edited = live(spec__replicas=5)
    edited["spec"]["template"]["spec"]["containers"][1]["image"] = "web:hacked"  # type: ignore[index]
    drift = object_drift(deployment(), edited)
    assert drift is not None
    assert [str(v) for v in drift.values] == [
        "spec.replicas: live 5, desired 3",
        'spec.template.spec.containers[web].image: live "web:hacked", desired "web:1"',
    ]
    assert drift.to_dict()["values"][0] == {"path": "spec.replicas", "live": 5, "desired": 3}
    del edited["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    gone = object_drift(deployment(), edited)
    assert (
        gone is not None
        and "spec.template.spec.containers[sidecar]: live absent, desired {" in gone.fields()[1]
    )


def test_no_value_that_holds_a_secret_of_the_release_is_shown() -> None:
    """An env var fed from a secret value path: its path only, whichever side holds it."""
    manifest = manifest_objects(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 2\n"
        "  template: {spec: {containers: [{name: api, env: [{name: DB, value: 'postgres://u:hunter2@db'}]}]}}\n",
        "api",
    )[0]
    body = {
        "metadata": {"name": "api"},
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "api", "env": [{"name": "DB", "value": "x"}]}]}},
        },
    }
    hidden = secret_texts(("db.password",), {"db": {"password": "hunter2"}}, {})
    drift = object_drift(manifest, body, (), hidden)
    assert drift is not None and len(drift.paths) == 2
    assert [v.path for v in drift.values] == ["spec.replicas"]
    assert "hunter2" not in repr(drift.to_dict()) and "hunter2" not in "; ".join(drift.fields())
    unknown = object_drift(manifest, body, (), secret_texts(("hidden",), {}))
    assert unknown is not None and unknown.values == ()


def test_secret_texts_take_every_leaf_of_each_tree_in_every_encoding() -> None:
    texts = secret_texts(("a.b", "c"), {"a": {"b": "s3cret-one"}}, {"c": {"x": ["s3cret-two"]}})
    assert texts is not None
    assert {"s3cret-one", "s3cret-two", base64.b64encode(b"s3cret-one").decode()} <= texts
