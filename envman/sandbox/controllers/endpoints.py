"""The Endpoints and EndpointSlice controllers: for every Service with a selector, the pods it
selects (found by the label index) as addresses, ready or not, with the Service's ports
resolved against each pod's container ports (a named `targetPort`), in one Endpoints object
named like the Service and one EndpointSlice owned by it. A Service without a selector is
left alone (its Endpoints are the user's). A pod event queues only the Services of its
namespace whose selector matches the pod's labels, before or after the change.
"""

from __future__ import annotations

import copy
from typing import Any

from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.workloads import is_ready, owner_ref, phase, suffix
from envman.sandbox.store import DELETED, Event

Obj = dict[str, Any]

SERVICES = "/services"
ENDPOINTS = "/endpoints"
SLICES = "discovery.k8s.io/endpointslices"
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"
HEADLESS = "service.kubernetes.io/headless"
Port = tuple[str, int, str]


class Endpoints(Controller):
    """Keeps the Endpoints and the EndpointSlice of every Service with a selector."""

    key = SERVICES
    owns = None
    kind = ("", "Service")
    component = "endpoint-controller"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._selectors: dict[str, dict[str, dict[str, str]]] = {}
        """namespace -> Service name -> its selector (only Services with one)."""

    def on_service(self, event: Event) -> None:
        """Remember the selector of every Service (pod events are matched against them)."""
        meta = event.obj["metadata"]
        services = self._selectors.setdefault(meta.get("namespace", ""), {})
        selector = (event.obj.get("spec") or {}).get("selector")
        if event.type == DELETED or not selector:
            services.pop(meta["name"], None)
        else:
            services[meta["name"]] = {str(k): str(v) for k, v in selector.items()}

    def services_of(self, event: Event) -> list[str]:
        """The Services of the pod's namespace whose selector matches it, before or after `event`."""
        labels = [(o["metadata"].get("labels") or {}) for o in (event.obj, event.old) if o is not None]
        services = self._selectors.get(event.obj["metadata"].get("namespace", ""), {})
        return [name for name, selector in services.items() if any(_selects(selector, pod) for pod in labels)]

    def forget(self, namespace: str, name: str) -> None:
        """The Service is gone: so are its Endpoints (its slice goes with its owner)."""
        found = self.api.store.get(ENDPOINTS, namespace, name)
        if found is not None:
            self.delete("endpoints", found)

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        selector = (obj.get("spec") or {}).get("selector")
        if not selector:
            return
        namespace = obj["metadata"]["namespace"]
        pods = [
            p
            for p in self.api.store.items("/pods", namespace, labels=selector)
            if (p.get("status") or {}).get("podIP")
            and phase(p) not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")
        ]
        self._endpoints(obj, pods)
        self._slice(obj, pods)

    def _endpoints(self, svc: Obj, pods: list[Obj]) -> None:
        subsets: dict[tuple[Port, ...], Obj] = {}
        for pod in sorted(pods, key=lambda p: str(p["status"]["podIP"])):
            ports = _ports(svc, pod)
            subset = subsets.setdefault(ports, {})
            address = {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"].get("nodeName", ""),
                "targetRef": _target(pod),
            }
            subset.setdefault("addresses" if is_ready(pod) else "notReadyAddresses", []).append(address)
        body: Obj = {
            "metadata": {"name": svc["metadata"]["name"], "namespace": svc["metadata"]["namespace"]},
        }
        labels = _labels(svc)
        if labels:
            body["metadata"]["labels"] = labels
        if subsets:
            body["subsets"] = [
                {**subset, **({"ports": [_port(p) for p in ports]} if ports else {})}
                for ports, subset in subsets.items()
            ]
        self._put("endpoints", ENDPOINTS, body)

    def _slice(self, svc: Obj, pods: list[Obj]) -> None:
        meta = svc["metadata"]
        existing = self.api.store.items(SLICES, meta["namespace"], labels={SERVICE_NAME: meta["name"]})
        name = existing[0]["metadata"]["name"] if existing else f"{meta['name']}-{suffix()}"
        ports = _ports(svc, pods[0]) if pods else tuple(_numeric_ports(svc))
        body: Obj = {
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "generateName": f"{meta['name']}-",
                "labels": {**_labels(svc), SERVICE_NAME: meta["name"], MANAGED_BY: SLICE_CONTROLLER},
                "ownerReferences": [owner_ref(svc)],
            },
            "addressType": "IPv4",
            "endpoints": [_slice_endpoint(p) for p in sorted(pods, key=lambda p: p["metadata"]["name"])],
            "ports": [_port(p) for p in ports],
        }
        self._put("endpointslices", SLICES, body, "discovery.k8s.io")

    def _put(self, plural: str, key: str, body: Obj, group: str = "") -> None:
        """Create the object, or replace its content when it differs."""
        meta = body["metadata"]
        found = self.api.store.get(key, meta["namespace"], meta["name"])
        if found is None:
            self.api.insert(plural, body, group)
            return
        updated = copy.deepcopy(found)
        updated["metadata"].update({k: v for k, v in meta.items() if k != "generateName"})
        for field in ("subsets", "addressType", "endpoints", "ports"):
            updated.pop(field, None)
            if field in body:
                updated[field] = body[field]
        self.save(key, updated, found)


def _selects(selector: dict[str, str], labels: dict[str, Any]) -> bool:
    return all(str(labels.get(k)) == v for k, v in selector.items())


def _labels(svc: Obj) -> dict[str, str]:
    labels = dict(svc["metadata"].get("labels") or {})
    if (svc.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS] = ""
    return labels


def _target(pod: Obj) -> Obj:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}


def _ports(svc: Obj, pod: Obj) -> tuple[Port, ...]:
    """The Service's ports with their targetPort resolved against the pod (a named port it
    lacks leaves that port out)."""
    named = {
        str(p.get("name")): int(p["containerPort"])
        for c in pod["spec"].get("containers") or []
        for p in c.get("ports") or []
        if p.get("name") and p.get("containerPort")
    }
    found = []
    for port in (svc.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        number = named.get(str(target)) if isinstance(target, str) and not target.isdigit() else int(target)
        if number is not None:
            found.append((str(port.get("name") or ""), number, str(port.get("protocol", "TCP"))))
    return tuple(found)


def _numeric_ports(svc: Obj) -> list[Port]:
    found = []
    for port in (svc.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, int) or str(target).isdigit():
            found.append((str(port.get("name") or ""), int(target), str(port.get("protocol", "TCP"))))
    return found


def _port(port: Port) -> Obj:
    name, number, protocol = port
    return (
        {"name": name, "port": number, "protocol": protocol}
        if name
        else {"port": number, "protocol": protocol}
    )


def _slice_endpoint(pod: Obj) -> Obj:
    ready = is_ready(pod)
    return {
        "addresses": [pod["status"]["podIP"]],
        "conditions": {"ready": ready, "serving": ready, "terminating": False},
        "nodeName": pod["spec"].get("nodeName", ""),
        "targetRef": _target(pod),
    }
