"""The base of the fake workload controllers: a pass over the objects of one kind, and the
writes every controller makes (an object or only its status saved, a pod created or deleted).
"""

from __future__ import annotations

from typing import Any

from envman.sandbox.api import Api
from envman.sandbox.controllers.workloads import by_owner, phase, pod_from_template

Obj = dict[str, Any]


class Controller:
    """The controller of one kind in one cluster; `key` is the kind's key in the store."""

    key = ""

    def __init__(self, api: Api) -> None:
        self.api = api

    def reconcile(self) -> bool:
        """One pass over the objects of this kind; True when anything changed."""
        owned = self.dependents()
        changed = False
        for obj in self.api.store.items(self.key):
            changed |= self.sync(obj, owned.get(obj["metadata"]["uid"], []))
        return changed

    def dependents(self) -> dict[str, list[Obj]]:
        """What the objects of this kind control, by their uid (read once a pass): live pods."""
        return self.live_pods()

    def sync(self, obj: Obj, owned: list[Obj]) -> bool:
        """Bring one object and what it controls forward; True when anything changed."""
        raise NotImplementedError

    def save(self, key: str, obj: Obj, before: Obj) -> bool:
        if obj == before:
            return False
        self.api.store.put(key, obj)
        return True

    def save_status(self, key: str, obj: Obj, status: Obj) -> bool:
        if obj.get("status") == status:
            return False
        obj["status"] = status
        self.api.store.put(key, obj)
        return True

    def create_pod(self, owner: Obj, template: Obj, name: str, labels: Obj) -> None:
        self.api.insert("pods", pod_from_template(owner, template, name, labels))

    def delete(self, plural: str, obj: Obj, group: str = "") -> None:
        self.api.remove(self.api.rtype(plural, group), obj, orphan=False)

    def live_pods(self) -> dict[str, list[Obj]]:
        """The pods that have not failed, by the uid of their controller."""
        return by_owner([p for p in self.api.store.items("/pods") if phase(p) not in ("Failed",)])
