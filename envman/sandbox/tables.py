"""The Table format of `kubectl get` (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`):
the columns and cells kube-apiserver's printers give each kind (pkg/printers/internalversion),
wide columns (priority 1) included, as the server always sends them; a custom resource gets
its CRD's additionalPrinterColumns, any other kind NAME and AGE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from envman.sandbox import printing
from envman.sandbox.printing import age, joined_selector, since

Obj = dict[str, Any]
Cell = Callable[[Obj], Any]

TABLE_GROUP = "meta.k8s.io"
NAME_DOC = "Name must be unique within a namespace."
AGE_DOC = "CreationTimestamp is a timestamp representing the server time when this object was created."


@dataclass(frozen=True)
class Column:
    """One column: its definition as the Table carries it, and how a row's cell is made."""

    name: str
    cell: Cell
    type: str = "string"
    priority: int = 0
    description: str = ""
    format: str = ""

    def definition(self) -> Obj:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


def _name(obj: Obj) -> str:
    return str(obj["metadata"]["name"])


NAME = Column("Name", _name, format="name", description=NAME_DOC)
AGE = Column("Age", age, description=AGE_DOC)


def _wide(name: str, cell: Cell, description: str = "") -> Column:
    return Column(name, cell, priority=1, description=description)


def _int(name: str, cell: Cell, description: str = "") -> Column:
    return Column(name, cell, type="integer", description=description)


def _containers(obj: Obj) -> list[Obj]:
    spec = obj.get("spec") or {}
    spec = (spec.get("jobTemplate") or {}).get("spec") or spec
    template = spec.get("template") or {}
    return list((template.get("spec") or {}).get("containers") or [])


_TEMPLATE = (
    _wide("Containers", lambda o: ",".join(str(c.get("name", "")) for c in _containers(o))),
    _wide("Images", lambda o: ",".join(str(c.get("image", "")) for c in _containers(o))),
)
_SELECTOR = _wide("Selector", lambda o: joined_selector((o.get("spec") or {}).get("selector")))


def _status(obj: Obj, key: str, default: Any = 0) -> Any:
    return (obj.get("status") or {}).get(key, default)


def _spec(obj: Obj, key: str, default: Any = 0) -> Any:
    return (obj.get("spec") or {}).get(key, default)


COLUMNS: dict[tuple[str, str], tuple[Column, ...]] = {
    ("", "pods"): (
        NAME,
        Column("Ready", printing.pod_ready),
        Column("Status", printing.pod_status),
        Column("Restarts", printing.pod_restarts),
        AGE,
        _wide("IP", printing.pod_ip),
        _wide("Node", lambda o: _spec(o, "nodeName", "") or "<none>"),
        _wide("Nominated Node", lambda o: _status(o, "nominatedNodeName", "") or "<none>"),
        _wide("Readiness Gates", printing.readiness_gates),
    ),
    ("apps", "deployments"): (
        NAME,
        Column("Ready", lambda o: f"{_status(o, 'readyReplicas')}/{_spec(o, 'replicas', 1)}"),
        _int("Up-to-date", lambda o: _status(o, "updatedReplicas")),
        _int("Available", lambda o: _status(o, "availableReplicas")),
        AGE,
        *_TEMPLATE,
        _SELECTOR,
    ),
    ("apps", "replicasets"): (
        NAME,
        _int("Desired", lambda o: _spec(o, "replicas", 1)),
        _int("Current", lambda o: _status(o, "replicas")),
        _int("Ready", lambda o: _status(o, "readyReplicas")),
        AGE,
        *_TEMPLATE,
        _SELECTOR,
    ),
    ("apps", "statefulsets"): (
        NAME,
        Column("Ready", lambda o: f"{_status(o, 'readyReplicas')}/{_spec(o, 'replicas', 1)}"),
        AGE,
        *_TEMPLATE,
    ),
    ("apps", "daemonsets"): (
        NAME,
        _int("Desired", lambda o: _status(o, "desiredNumberScheduled")),
        _int("Current", lambda o: _status(o, "currentNumberScheduled")),
        _int("Ready", lambda o: _status(o, "numberReady")),
        _int("Up-to-date", lambda o: _status(o, "updatedNumberScheduled")),
        _int("Available", lambda o: _status(o, "numberAvailable")),
        Column("Node Selector", printing.node_selector),
        AGE,
        *_TEMPLATE,
        _SELECTOR,
    ),
    ("batch", "jobs"): (
        NAME,
        Column("Status", printing.job_status),
        Column("Completions", printing.job_completions),
        Column("Duration", printing.job_duration),
        AGE,
        *_TEMPLATE,
        _SELECTOR,
    ),
    ("batch", "cronjobs"): (
        NAME,
        Column("Schedule", lambda o: _spec(o, "schedule", "")),
        Column("Timezone", lambda o: _spec(o, "timeZone", "") or "<none>"),
        Column("Suspend", lambda o: str(bool(_spec(o, "suspend", False))).lower()),
        _int("Active", lambda o: len(_status(o, "active", []) or [])),
        Column("Last Schedule", lambda o: since(_status(o, "lastScheduleTime", None)) or "<none>"),
        AGE,
        *_TEMPLATE,
        _SELECTOR,
    ),
    ("", "services"): (
        NAME,
        Column("Type", lambda o: _spec(o, "type", "ClusterIP")),
        Column("Cluster-IP", lambda o: (_spec(o, "clusterIPs", []) or ["<none>"])[0]),
        Column("External-IP", printing.service_external_ip),
        Column("Port(s)", printing.service_ports),
        AGE,
        _wide("Selector", lambda o: printing.labels_text(_spec(o, "selector", {}))),
    ),
    ("", "endpoints"): (NAME, Column("Endpoints", printing.endpoints), AGE),
    ("discovery.k8s.io", "endpointslices"): (
        NAME,
        Column("AddressType", lambda o: o.get("addressType", "")),
        Column("Ports", printing.slice_ports),
        Column("Endpoints", printing.slice_endpoints),
        AGE,
    ),
    ("", "configmaps"): (
        NAME,
        _int("Data", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        AGE,
    ),
    ("", "secrets"): (
        NAME,
        Column("Type", lambda o: o.get("type", "Opaque")),
        _int("Data", lambda o: len(o.get("data") or {})),
        AGE,
    ),
    ("", "serviceaccounts"): (NAME, _int("Secrets", lambda o: len(o.get("secrets") or [])), AGE),
    ("", "namespaces"): (NAME, Column("Status", lambda o: _status(o, "phase", "Active")), AGE),
    ("", "nodes"): (
        NAME,
        Column("Status", printing.node_status),
        Column("Roles", lambda o: "<none>"),
        AGE,
        Column("Version", lambda o: (_status(o, "nodeInfo", {}) or {}).get("kubeletVersion", "")),
    ),
    ("", "events"): (
        Column("Last Seen", printing.event_last_seen),
        Column("Type", lambda o: o.get("type", "")),
        Column("Reason", lambda o: o.get("reason", "")),
        Column("Object", printing.event_object),
        _wide("Subobject", lambda o: (o.get("involvedObject") or {}).get("fieldPath", "")),
        _wide("Source", printing.event_source),
        Column("Message", lambda o: str(o.get("message", "")).strip()),
        _wide("First Seen", lambda o: since(o.get("firstTimestamp")) or since(o.get("eventTime"))),
        Column("Count", lambda o: int(o.get("count") or 1), type="integer", priority=1),
        Column("Name", _name, priority=1, format="name", description=NAME_DOC),
    ),
    ("", "persistentvolumeclaims"): (
        NAME,
        Column("Status", lambda o: _status(o, "phase", "Pending")),
        Column("Volume", lambda o: _spec(o, "volumeName", "")),
        Column("Capacity", lambda o: (_status(o, "capacity", {}) or {}).get("storage", "")),
        Column("Access Modes", printing.access_modes),
        Column("StorageClass", lambda o: _spec(o, "storageClassName", "")),
        Column("VolumeAttributesClass", lambda o: _spec(o, "volumeAttributesClassName", "") or "<unset>"),
        AGE,
        _wide("VolumeMode", lambda o: _spec(o, "volumeMode", "")),
    ),
    ("networking.k8s.io", "ingresses"): (
        NAME,
        Column("Class", lambda o: _spec(o, "ingressClassName", "") or "<none>"),
        Column("Hosts", printing.ingress_hosts),
        Column("Address", printing.ingress_address),
        Column("Ports", lambda o: "80, 443" if _spec(o, "tls", None) else "80"),
        AGE,
    ),
    ("autoscaling", "horizontalpodautoscalers"): (
        NAME,
        Column("Reference", printing.hpa_reference),
        Column("Targets", printing.hpa_targets),
        Column("MinPods", lambda o: str(_spec(o, "minReplicas", 1))),
        _int("MaxPods", lambda o: _spec(o, "maxReplicas")),
        _int("Replicas", lambda o: _status(o, "currentReplicas")),
        AGE,
    ),
    ("policy", "poddisruptionbudgets"): (
        NAME,
        Column("Min Available", lambda o: str(_spec(o, "minAvailable", "N/A"))),
        Column("Max Unavailable", lambda o: str(_spec(o, "maxUnavailable", "N/A"))),
        _int("Allowed Disruptions", lambda o: _status(o, "disruptionsAllowed")),
        AGE,
    ),
}


def columns(group: str, plural: str, crd: Obj | None, version: str) -> tuple[Column, ...]:
    """The columns of a kind: its printer's, a custom resource's printer columns, or NAME and AGE."""
    if crd is not None:
        return (NAME, *_printer_columns(crd, version), AGE)
    return COLUMNS.get((group, plural), (NAME, AGE))


def _printer_columns(crd: Obj, version: str) -> list[Column]:
    versions: list[Obj] = crd["spec"].get("versions") or []
    served: Obj = next((v for v in versions if v.get("name") == version), {})
    found = []
    for spec in served.get("additionalPrinterColumns") or []:
        path = str(spec.get("jsonPath", ""))
        kind = str(spec.get("type", "string"))
        cell = _date_cell(path) if kind == "date" else _value_cell(path)
        found.append(
            Column(
                str(spec.get("name", path)),
                cell,
                type="string" if kind == "date" else kind,
                priority=int(spec.get("priority", 0)),
                description=str(spec.get("description", "")),
                format=str(spec.get("format", "")),
            )
        )
    return found


def _date_cell(path: str) -> Cell:
    return lambda obj: since(printing.at_path(obj, path))


def _value_cell(path: str) -> Cell:
    return lambda obj: printing.cell_text(printing.at_path(obj, path))


def wants_table(accept: str) -> str | None:
    """The meta.k8s.io version of the Table an Accept header asks for first, else None."""
    for media in accept.split(","):
        params = dict(part.strip().split("=", 1) for part in media.split(";")[1:] if "=" in part)
        if params.get("as") == "Table" and params.get("g") == TABLE_GROUP:
            return params.get("v", "v1")
        if media.split(";")[0].strip() in ("application/json", "*/*") and "as" not in params:
            return None
    return None


def table(
    cols: Sequence[Column], objects: Iterable[Obj], meta: Obj, version: str, include: str | None
) -> Obj:
    """A Table of `objects`; each row carries the object as `include` says (`includeObject`:
    Metadata by default, Object, or None)."""
    rows = [_row(cols, obj, version, include or "Metadata") for obj in objects]
    return {
        "kind": "Table",
        "apiVersion": f"{TABLE_GROUP}/{version}",
        "metadata": meta,
        "columnDefinitions": [c.definition() for c in cols],
        "rows": rows,
    }


def _row(cols: Sequence[Column], obj: Obj, version: str, include: str) -> Obj:
    row: Obj = {"cells": [col.cell(obj) for col in cols]}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": f"{TABLE_GROUP}/{version}",
            "metadata": obj["metadata"],
        }
    return row
