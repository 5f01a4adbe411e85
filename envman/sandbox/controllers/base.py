"""The base of the fake workload controllers: the sync of one object of one kind, and the
writes every controller makes (an object or only its status saved, a pod created or deleted).

A controller syncs one object at a time, when the work queue hands it out: after an event on
the object or on an object it controls, or at a time it asked to be woken at.
"""

from __future__ import annotations

from typing import Any

from envman.sandbox.api import Api
from envman.sandbox.controllers.queue import WorkQueue
from envman.sandbox.controllers.workloads import phase, pod_from_template
from envman.sandbox.events import NORMAL, Note, Recorder, Source

Obj = dict[str, Any]


class Controller:
    """The controller of one kind in one cluster; `key` is the kind's key in the store, `owns`
    the key of what it controls (None: nothing)."""

    key = ""
    owns: str | None = "/pods"
    kind = ("", "")
    """The (group, kind) this controller syncs, as ownerReferences name it."""
    watches: tuple[str, ...] = ()
    """Keys of other kinds whose every event concerns every object of this kind."""
    component = ""
    """The controller's name in the events it writes (`replicaset-controller`, ...)."""

    def __init__(self, api: Api, queue: WorkQueue, events: Recorder) -> None:
        self.api = api
        self.queue = queue
        self.events = events

    def sync_object(self, namespace: str, name: str) -> None:
        """Sync the object `namespace/name` of this kind, if it still exists."""
        obj = self.api.store.get(self.key, namespace, name)
        if obj is None:
            self.forget(namespace, name)
            return
        self.sync(obj, self.owned(obj))

    def owned(self, obj: Obj) -> list[Obj]:
        """What the object controls: its pods that have not failed (from the owner index)."""
        if self.owns is None:
            return []
        found = self.api.store.controlled(self.owns, obj["metadata"]["uid"])
        return [p for p in found if phase(p) != "Failed"] if self.owns == "/pods" else found

    def forget(self, namespace: str, name: str) -> None:
        """Drop what the controller remembers of a deleted object."""

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        """Bring one object and what it controls forward."""
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

    def record(self, obj: Obj, reason: str, message: str, kind: str = NORMAL) -> None:
        """Write an event about `obj` from this controller."""
        self.events.record(obj, Note(kind, reason, message, Source(self.component)))

    def create_pod(self, owner: Obj, template: Obj, name: str, labels: Obj) -> None:
        self.insert_pod(owner, pod_from_template(owner, template, name, labels))

    def insert_pod(self, owner: Obj, pod: Obj) -> None:
        self.api.insert("pods", pod)
        self.record(owner, "SuccessfulCreate", self.created(pod["metadata"]["name"], owner))

    def delete_pod(self, owner: Obj, pod: Obj) -> None:
        self.delete("pods", pod)
        self.record(owner, "SuccessfulDelete", self.deleted(pod["metadata"]["name"], owner))

    def created(self, pod: str, owner: Obj) -> str:
        return f"Created pod: {pod}"

    def deleted(self, pod: str, owner: Obj) -> str:
        return f"Deleted pod: {pod}"

    def delete(self, plural: str, obj: Obj, group: str = "") -> None:
        self.api.remove(self.api.rtype(plural, group), obj, orphan=False)
