"""The cells of kube-apiserver's printers: ages as `duration.HumanDuration` writes them, a pod's
READY, STATUS and RESTARTS, a Job's status, a Service's ports and external IP, Endpoints and
EndpointSlices, Events; each a function of the stored object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
MORE = 3
"""How many endpoints, ports or hosts a cell lists before `+ N more...`."""


def parse_time(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """A duration as k8s.io/apimachinery's `duration.HumanDuration` prints it (`45s`, `3m20s`,
    `2h5m`, `3d4h`, ...)."""
    secs = int(seconds)
    if secs < 0:
        return "<invalid>" if secs < -1 else "0s"
    minutes, hours = secs // 60, secs // 3600
    days, years = hours // 24, hours // (24 * 365)
    steps = (
        (secs < 120, f"{secs}s", ""),
        (minutes < 10, f"{minutes}m", f"{secs % 60}s"),
        (minutes < 180, f"{minutes}m", ""),
        (hours < 8, f"{hours}h", f"{minutes % 60}m"),
        (hours < 48, f"{hours}h", ""),
        (hours < 24 * 8, f"{days}d", f"{hours % 24}h"),
        (hours < 24 * 365 * 2, f"{days}d", ""),
        (hours < 24 * 365 * 8, f"{years}y", f"{days % 365}d"),
    )
    whole, rest = next(((w, r) for fits, w, r in steps if fits), (f"{years}y", ""))
    return whole if rest[:1] in ("", "0") else whole + rest


def since(stamp: Any) -> str:
    """The time since a timestamp (`<unknown>` without one), as `translateTimestampSince`."""
    when = parse_time(stamp)
    if when is None:
        return "<unknown>"
    return human_duration((datetime.now(UTC) - when).total_seconds())


def age(obj: Obj) -> str:
    return since(obj["metadata"].get("creationTimestamp"))


def labels_text(labels: Mapping[str, Any] | None) -> str:
    """`labels.FormatLabels`: `k=v,k2=v2` sorted, `<none>` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def joined_selector(selector: Obj | None) -> str:
    """`metav1.FormatLabelSelector`: matchLabels and matchExpressions, `<none>` when empty."""
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key = str(expr.get("operator", "")), str(expr.get("key", ""))
        values = ",".join(str(v) for v in expr.get("values") or [])
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key}
        parts.append(text.get(op, f"!{key}"))
    return ",".join(parts) or "<none>"


def join_or_none(items: list[str]) -> str:
    return ",".join(items) if items else "<none>"


def _more(items: list[str], count: int) -> str:
    shown = ",".join(items[:MORE])
    return f"{shown} + {count - MORE} more..." if count > MORE else shown


# --- pods ----------------------------------------------------------------------------


def _statuses(pod: Obj) -> list[Obj]:
    return list((pod.get("status") or {}).get("containerStatuses") or [])


def pod_ready(pod: Obj) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    ready = sum(1 for s in _statuses(pod) if s.get("ready") and "running" in (s.get("state") or {}))
    return f"{ready}/{len(containers)}"


def pod_status(pod: Obj) -> str:
    """The STATUS column: a waiting or terminated container's reason over the pod's phase."""
    status = pod.get("status") or {}
    reason = str(status.get("reason") or status.get("phase") or "Pending")
    running = False
    for container in reversed(_statuses(pod)):
        state = container.get("state") or {}
        waiting, terminated = state.get("waiting") or {}, state.get("terminated")
        if waiting.get("reason"):
            reason = str(waiting["reason"])
        elif terminated is not None:
            reason = str(terminated.get("reason") or f"ExitCode:{terminated.get('exitCode', 0)}")
        elif container.get("ready") and "running" in state:
            running = True
    if reason == "Completed" and running:
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
        )
        reason = "Running" if ready else "NotReady"
    if pod["metadata"].get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason


def pod_restarts(pod: Obj) -> str:
    """`3 (40s ago)`: the restarts, and the time since the last container ended."""
    restarts = sum(int(s.get("restartCount", 0)) for s in _statuses(pod))
    ends = [((s.get("lastState") or {}).get("terminated") or {}).get("finishedAt") for s in _statuses(pod)]
    last = max((e for e in ends if e), default=None)
    return f"{restarts} ({since(last)} ago)" if restarts and last else str(restarts)


def pod_ip(pod: Obj) -> str:
    ips = (pod.get("status") or {}).get("podIPs") or []
    return str(ips[0].get("ip")) if ips and ips[0].get("ip") else "<none>"


def readiness_gates(pod: Obj) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return "<none>"
    conditions = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or []}
    true = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
    return f"{true}/{len(gates)}"


# --- workloads -----------------------------------------------------------------------


def node_selector(obj: Obj) -> str:
    template = (obj.get("spec") or {}).get("template") or {}
    return labels_text((template.get("spec") or {}).get("nodeSelector"))


def _has(obj: Obj, condition: str) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == condition and c.get("status") == "True" for c in conditions)


def job_status(job: Obj) -> str:
    for condition, text in (("Complete", "Complete"), ("Failed", "Failed")):
        if _has(job, condition):
            return text
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for condition in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _has(job, condition):
            return condition
    return "Running"


def job_completions(job: Obj) -> str:
    spec, succeeded = job.get("spec") or {}, int((job.get("status") or {}).get("succeeded", 0))
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = int(spec.get("parallelism", 0))
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def job_duration(job: Obj) -> str:
    status = job.get("status") or {}
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    if start is None:
        return ""
    return human_duration(((end or datetime.now(UTC)) - start).total_seconds())


# --- services and endpoints --------------------------------------------------------------


def _ingress_ips(status: Obj) -> list[str]:
    ingress = ((status or {}).get("loadBalancer") or {}).get("ingress") or []
    return [str(i.get("ip") or i.get("hostname")) for i in ingress if i.get("ip") or i.get("hostname")]


def service_external_ip(svc: Obj) -> str:
    spec = svc.get("spec") or {}
    kind, external = spec.get("type", "ClusterIP"), list(spec.get("externalIPs") or [])
    if kind == "ExternalName":
        return str(spec.get("externalName", ""))
    if kind == "LoadBalancer":
        found = _ingress_ips(svc.get("status") or {}) + external
        return ",".join(found) if found else "<pending>"
    return join_or_none(external)


def service_ports(svc: Obj) -> str:
    pieces = []
    for port in (svc.get("spec") or {}).get("ports") or []:
        protocol = port.get("protocol", "TCP")
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        pieces.append(f"{port.get('port')}{node}/{protocol}")
    return ",".join(pieces) or "<none>"


def endpoints(obj: Obj) -> str:
    """`formatEndpoints`: up to 3 `ip:port`, then `+ N more...`; `<none>` without subsets."""
    subsets = obj.get("subsets") or []
    if not subsets:
        return "<none>"
    found = []
    for subset in subsets:
        ips = [str(a.get("ip")) for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        found += ips if not ports else [f"{ip}:{p.get('port')}" for p in ports for ip in ips]
    return _more(found, len(found))


def slice_ports(obj: Obj) -> str:
    ports = obj.get("ports")
    if not ports:
        return "<unset>"
    found = [str(p["port"]) if p.get("port") is not None else str(p.get("name") or "*") for p in ports]
    return _more(found, len(found))


def slice_endpoints(obj: Obj) -> str:
    addresses = [str(a) for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return _more(addresses, len(addresses)) if obj.get("endpoints") else "<unset>"


# --- the rest ----------------------------------------------------------------------------


def node_status(node: Obj) -> str:
    conditions = (node.get("status") or {}).get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    status = "Ready" if ready else "NotReady"
    return f"{status},SchedulingDisabled" if (node.get("spec") or {}).get("unschedulable") else status


def event_last_seen(event: Obj) -> str:
    first = (
        since(event.get("firstTimestamp")) if event.get("firstTimestamp") else since(event.get("eventTime"))
    )
    return since(event.get("lastTimestamp")) if event.get("lastTimestamp") else first


def event_object(event: Obj) -> str:
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def event_source(event: Obj) -> str:
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {instance}" if instance else str(component)


def access_modes(claim: Obj) -> str:
    short = {
        "ReadWriteOnce": "RWO",
        "ReadOnlyMany": "ROX",
        "ReadWriteMany": "RWX",
        "ReadWriteOncePod": "RWOP",
    }
    modes = (claim.get("status") or {}).get("accessModes") or []
    return ",".join(short.get(str(m), str(m)) for m in modes)


def ingress_hosts(ingress: Obj) -> str:
    hosts = [str(r.get("host") or "*") for r in (ingress.get("spec") or {}).get("rules") or []]
    return _more(hosts, len(hosts)) if hosts else "*"


def ingress_address(ingress: Obj) -> str:
    return ",".join(_ingress_ips(ingress.get("status") or {}))


def hpa_reference(hpa: Obj) -> str:
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def hpa_targets(hpa: Obj) -> str:
    """Each metric as `cpu: <unknown>/80%` (the sandbox has no metrics)."""
    spec = hpa.get("spec") or {}
    found = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        found.append(f"cpu: <unknown>/{spec['targetCPUUtilizationPercentage']}%")
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        wanted = (
            f"{target['averageUtilization']}%"
            if target.get("averageUtilization") is not None
            else str(target.get("averageValue") or target.get("value") or "<unknown>")
        )
        found.append(f"{resource.get('name') or metric.get('type', '').lower()}: <unknown>/{wanted}")
    return ", ".join(found) or "<none>"


def at_path(obj: Obj, path: str) -> Any:
    """The value at a simple JSONPath (`.spec.size`, `.status.conditions[0].type`), or None."""
    node: Any = obj
    for part in path.strip().lstrip(".").split("."):
        name, _, index = part.partition("[")
        if name:
            node = node.get(name) if isinstance(node, dict) else None
        if index:
            position = index.rstrip("]")
            node = (
                node[int(position)]
                if isinstance(node, list) and position.isdigit() and len(node) > int(position)
                else None
            )
    return node


def cell_text(value: Any) -> Any:
    """A custom column's cell: scalars as they are, anything else as JSON, nothing as ``."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, separators=(",", ":"))
