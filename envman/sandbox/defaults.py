"""Admission: the defaulting and validation the API server applies on create and update."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any, Protocol

from envman.sandbox import pod_defaults, selectors
from envman.sandbox.resources import ResourceType
from envman.sandbox.status import invalid

Obj = dict[str, Any]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_IMMUTABLE = {
    "Deployment": "spec.selector",
    "StatefulSet": "spec.selector",
    "DaemonSet": "spec.selector",
    "ReplicaSet": "spec.selector",
    "Job": "spec.template",
}


# Kinds whose names are only path segments (no "/", "%", nor "." or ".."), as in a real API
# server: RBAC names such as "cert-manager-webhook:subjectaccessreviews" are valid.
_PATH_SEGMENT_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})


def validate_name(rtype: ResourceType, name: str) -> None:
    """422 when the name is not a valid object name for the kind."""
    if rtype.builtin and rtype.kind in _PATH_SEGMENT_KINDS and name:
        if name in (".", "..") or "/" in name or "%" in name:
            raise invalid(
                rtype.kind,
                rtype.group,
                name,
                "metadata.name",
                f"Invalid value: \"{name}\": may not be '.' or '..' and may not contain '/' or '%'",
            )
        return
    if rtype.kind in ("Namespace", "Service"):
        pattern, limit, rule = (
            (_LABEL, 63, "RFC 1123 label")
            if rtype.kind == "Namespace"
            else (_LABEL_1035, 63, "RFC 1035 label")
        )
    else:
        pattern, limit, rule = _SUBDOMAIN, 253, "RFC 1123 subdomain"
    if not name:
        raise invalid(
            rtype.kind, rtype.group, name, "metadata.name", "Required value: name or generateName is required"
        )
    if len(name) > limit or not pattern.match(name):
        raise invalid(
            rtype.kind,
            rtype.group,
            name,
            "metadata.name",
            f'Invalid value: "{name}": a lowercase {rule} must consist of lower case '
            "alphanumeric characters or '-'",
        )


def _get(obj: Obj, path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def check_update(rtype: ResourceType, old: Obj, new: Obj) -> None:
    """422 when an update changes an immutable field."""
    path = _IMMUTABLE.get(rtype.kind) if rtype.builtin else None
    if path and _get(old, path) != _get(new, path):
        raise invalid(
            rtype.kind, rtype.group, new["metadata"]["name"], path, "Invalid value: field is immutable"
        )


def _check_selector(rtype: ResourceType, obj: Obj) -> None:
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    name = obj["metadata"]["name"]
    if not selector:
        raise invalid(rtype.kind, rtype.group, name, "spec.selector", "Required value")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selectors.matches_labels(selectors.from_label_selector(selector), labels):
        raise invalid(
            rtype.kind,
            rtype.group,
            name,
            "spec.template.metadata.labels",
            "Invalid value: `selector` does not match template `labels`",
        )


def _template(obj: Obj) -> None:
    template = obj.setdefault("spec", {}).setdefault("template", {})
    template.setdefault("metadata", {})
    pod_defaults.pod_spec(template.setdefault("spec", {}))


def _rolling(spec: Obj, key: str, default: Obj) -> None:
    strategy = spec.setdefault(key, {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        for name, value in default.items():
            rolling.setdefault(name, value)


def _deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _rolling(spec, "strategy", {"maxUnavailable": "25%", "maxSurge": "25%"})
    _template(obj)


def _statefulset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    _rolling(spec, "updateStrategy", {"partition": 0})
    for claim in spec.get("volumeClaimTemplates") or []:
        claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    _template(obj)


def _daemonset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("revisionHistoryLimit", 10)
    _rolling(spec, "updateStrategy", {"maxUnavailable": 1, "maxSurge": 0})
    _template(obj)


def _replicaset(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _template(obj)


def _job(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    for key, value in (
        ("completions", 1),
        ("parallelism", 1),
        ("backoffLimit", 6),
        ("completionMode", "NonIndexed"),
        ("suspend", False),
    ):
        spec.setdefault(key, value)
    uid = obj["metadata"]["uid"]
    if not spec.get("manualSelector"):
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        for key in ("controller-uid", "batch.kubernetes.io/controller-uid"):
            labels[key] = uid
        for key in ("job-name", "batch.kubernetes.io/job-name"):
            labels[key] = obj["metadata"]["name"]
    _template(obj)
    spec["template"]["spec"].setdefault("restartPolicy", "Never")


class Allocator(Protocol):
    """Hands out a cluster's Service addresses: cluster IPs and node ports."""

    def ip(self) -> str: ...

    def node_port(self) -> int: ...


def _service(obj: Obj, alloc: Allocator, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    previous = (old or {}).get("spec") or {}
    if spec["type"] != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = previous.get("clusterIP") or alloc.ip()
        spec["clusterIPs"] = [spec["clusterIP"]]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    exposed = spec["type"] in ("NodePort", "LoadBalancer")
    if exposed:
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    earlier = {
        (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in previous.get("ports") or []
    }
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if exposed and not port.get("nodePort"):
            port["nodePort"] = earlier.get((port.get("port"), port["protocol"])) or alloc.node_port()
    status: Obj = {"loadBalancer": {}}
    if spec["type"] == "LoadBalancer":
        status = {"loadBalancer": {"ingress": [{"ip": "127.0.0.1", "ipMode": "VIP"}]}}
    obj["status"] = status


def _secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def _namespace(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj["status"] = {"phase": "Active"}
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]


def admit(rtype: ResourceType, obj: Obj, old: Obj | None, alloc: Allocator) -> None:
    """Default and validate `obj` (being created when `old` is None) in place."""
    if not rtype.builtin:
        return
    kind = rtype.kind
    simple: dict[str, Callable[[Obj], None]] = {
        "Deployment": _deployment,
        "StatefulSet": _statefulset,
        "DaemonSet": _daemonset,
        "ReplicaSet": _replicaset,
        "Secret": _secret,
        "Namespace": _namespace,
        "Pod": _pod,
    }
    if kind == "Job":
        _job(obj)
    elif kind == "Service":
        _service(obj, alloc, old)
    elif kind in simple:
        simple[kind](obj)
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        _check_selector(rtype, obj)
    if kind == "Pod" and not (obj.get("spec") or {}).get("containers"):
        raise invalid(kind, "", obj["metadata"]["name"], "spec.containers", "Required value")
    if old is not None:
        check_update(rtype, old, obj)


def _pod(obj: Obj) -> None:
    pod_defaults.pod_spec(obj.setdefault("spec", {}))
    pod_defaults.admit_pod(obj)


def phase_for_new(rtype: ResourceType) -> Obj | None:
    """The initial status of a newly created object of a kind that has one."""
    initial: dict[str, Obj] = {
        "PersistentVolumeClaim": {"phase": "Bound", "accessModes": ["ReadWriteOnce"]},
        "Pod": {"phase": "Pending"},
    }
    return initial.get(rtype.kind) if rtype.builtin else None
