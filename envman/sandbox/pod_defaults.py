"""What the API server sets on pod specs and pods, as `kubectl describe pod` shows it.

Every pod spec (a pod's and each workload's template) gets the defaulting functions of
core/v1: restart and DNS policies, grace period, scheduler, container termination message
and pull policy, probe timings (timeout 1 s, period 10 s, success 1, failure 3) and HTTP
probe scheme and path, volume modes (0644), `fieldRef` API versions. A pod itself also gets
what only pods get: requests defaulted from limits, service links, the ServiceAccount
admission (the `default` account and its token volume), the default tolerations, priority 0,
and its QoS class (Guaranteed, Burstable or BestEffort, from its CPU and memory resources).
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

Obj = dict[str, Any]

PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
VOLUME_MODE = 420
"""0644, the defaultMode of secret, configMap, downwardAPI and projected volumes."""
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOLERATION_SECONDS = 300
QOS_RESOURCES = ("cpu", "memory")
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[numkMGTPE]?)$")
_SUFFIX = {"n": "1e-9", "u": "1e-6", "m": "1e-3", "": "1", "k": "1e3", "M": "1e6", "G": "1e9", "T": "1e12"}
_SUFFIX |= {"P": "1e15", "E": "1e18", "Ki": str(2**10), "Mi": str(2**20), "Gi": str(2**30), "Ti": str(2**40)}
_SUFFIX |= {"Pi": str(2**50), "Ei": str(2**60)}


def containers(spec: Obj) -> list[Obj]:
    return [c for key in _CONTAINER_LISTS for c in spec.get(key) or [] if isinstance(c, dict)]


def pod_spec(spec: Obj) -> None:
    """The core/v1 defaults of a PodSpec (a pod's or a template's), in place."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for container in containers(spec):
        _container(container)
    for volume in spec.get("volumes") or []:
        _volume(volume)


def _container(container: Obj) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    tag = str(container.get("image", "")).rpartition(":")[2]
    container.setdefault("imagePullPolicy", "Always" if tag == "latest" else "IfNotPresent")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(kind), dict):
            _probe(container[kind])
    for handler in ((container.get("lifecycle") or {}).get(h) for h in ("postStart", "preStop")):
        if isinstance(handler, dict):
            _http_get(handler)
    for env in container.get("env") or []:
        _field_ref((env.get("valueFrom") or {}).get("fieldRef"))


def _probe(probe: Obj) -> None:
    for key, value in PROBE_DEFAULTS.items():
        probe.setdefault(key, value)
    _http_get(probe)


def _http_get(handler: Obj) -> None:
    action = handler.get("httpGet")
    if isinstance(action, dict):
        action.setdefault("path", "/")
        action.setdefault("scheme", "HTTP")


def _field_ref(ref: Any) -> None:
    if isinstance(ref, dict):
        ref.setdefault("apiVersion", "v1")


def _volume(volume: Obj) -> None:
    for kind in ("secret", "configMap", "downwardAPI", "projected"):
        if isinstance(volume.get(kind), dict):
            volume[kind].setdefault("defaultMode", VOLUME_MODE)
    for item in (volume.get("downwardAPI") or {}).get("items") or []:
        _field_ref(item.get("fieldRef"))


def admit_pod(pod: Obj) -> None:
    """What only a pod gets (SetDefaults_Pod and the admission plugins), and its QoS class."""
    spec = pod.setdefault("spec", {})
    for container in containers(spec):
        resources = container.setdefault("resources", {})
        for name, value in (resources.get("limits") or {}).items():
            resources.setdefault("requests", {}).setdefault(name, value)
    spec.setdefault("enableServiceLinks", True)
    _service_account(spec)
    tolerations = spec.setdefault("tolerations", [])
    for taint in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == taint for t in tolerations):
            tolerations.append(
                {
                    "key": taint,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": TOLERATION_SECONDS,
                }
            )
    if not spec.get("priorityClassName"):
        spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    pod.setdefault("status", {})["qosClass"] = qos_class(spec)


def _service_account(spec: Obj) -> None:
    """The ServiceAccount admission: the `default` account and, unless automounting is off,
    a projected token volume mounted in every container."""
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = spec["serviceAccount"] = account
    if spec.get("automountServiceAccountToken") is False:
        return
    if any(m.get("mountPath") == TOKEN_PATH for c in containers(spec) for m in c.get("volumeMounts") or []):
        return
    name = f"kube-api-access-{secrets.token_hex(3)[:5]}"
    spec.setdefault("volumes", []).append(_token_volume(name))
    for container in containers(spec):
        mount = {"name": name, "readOnly": True, "mountPath": TOKEN_PATH}
        container.setdefault("volumeMounts", []).append(mount)


def _token_volume(name: str) -> Obj:
    namespace = {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
    return {
        "name": name,
        "projected": {
            "defaultMode": VOLUME_MODE,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [namespace]}},
            ],
        },
    }


def template_view(container: Obj) -> Obj:
    """A pod's container without what `admit_pod` added to it (the token mount; requests are
    defaulted from limits on both sides), to compare it with its template's."""
    view = dict(container)
    mounts = [m for m in container.get("volumeMounts") or [] if m.get("mountPath") != TOKEN_PATH]
    if "volumeMounts" in view:
        view["volumeMounts"] = mounts
    resources = dict(container.get("resources") or {})
    limits = resources.get("limits") or {}
    if limits:
        resources["requests"] = {**limits, **(resources.get("requests") or {})}
    view["resources"] = resources
    return view


def quantity(value: Any) -> Decimal | None:
    """A resource quantity (`500m`, `64Mi`, `0.5`, `1e3`) as a number, None when malformed."""
    match = _QUANTITY.match(str(value).strip())
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number + suffix)
        return Decimal(number) * Decimal(_SUFFIX[suffix])
    except (InvalidOperation, KeyError):
        return None


def qos_class(spec: Obj) -> str:
    """The pod's QoS class as the API server computes it from CPU and memory: BestEffort with
    no request or limit, Guaranteed when every container's limits are set and equal their
    requests, else Burstable."""
    requests: list[Decimal] = []
    guaranteed = True
    for container in [c for key in ("initContainers", "containers") for c in spec.get(key) or []]:
        resources = container.get("resources") or {}
        asked, capped = resources.get("requests") or {}, resources.get("limits") or {}
        for name in QOS_RESOURCES:
            want, cap = quantity(asked.get(name, 0)), quantity(capped.get(name, 0))
            requests += [q for q in (want, cap) if q]
            if not cap or want != cap:
                guaranteed = False
    if not requests:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
