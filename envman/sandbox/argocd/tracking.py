"""Which objects of a destination belong to which Application (Argo CD's label tracking:
`app.kubernetes.io/instance: <application>`), kept current from the cluster's change events,
which also tell the controller what to look at again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from envman.sandbox.api import Api
from envman.sandbox.argocd.definitions import INSTANCE_LABEL
from envman.sandbox.store import DELETED, Event

Obj = dict[str, Any]
Ident = tuple[str, str, str]

_CHILDREN = frozenset({"/pods", "apps/replicasets"})
"""Untracked kinds whose changes still move an Application's health (its workloads' pods)."""


def _instance(obj: Obj | None) -> str | None:
    if obj is None:
        return None
    value = (obj["metadata"].get("labels") or {}).get(INSTANCE_LABEL)
    return str(value) if value else None


class Tracker:
    """The tracked objects of one destination by Application name; `changed(app)` is called
    for every change of an Application's object, and with `children`, `changed(None)` for a
    pod or ReplicaSet (whose health counts when the hub counts pods)."""

    def __init__(self, api: Api, changed: Callable[[str | None], None], *, children: bool) -> None:
        self._lock = threading.Lock()
        self._by_app: dict[str, set[Ident]] = {}
        self._changed = changed
        self._children = children
        with api.store.lock:
            for key in list(api.store.keys()):
                for obj in api.store.items(key):
                    self._index(key, obj, present=True)
            api.store.listeners.append(self._on_event)

    def _index(self, key: str, obj: Obj, *, present: bool) -> str | None:
        app = _instance(obj)
        if app is None:
            return None
        ident = (key, str(obj["metadata"].get("namespace") or ""), str(obj["metadata"]["name"]))
        with self._lock:
            idents = self._by_app.setdefault(app, set())
            if present:
                idents.add(ident)
            else:
                idents.discard(ident)
        return app

    def _on_event(self, event: Event) -> None:
        before = _instance(event.old)
        if before is not None and before != _instance(event.obj):
            self._index(event.key, event.old or {}, present=False)
            self._changed(before)
        app = self._index(event.key, event.obj, present=event.type != DELETED)
        if app is not None:
            self._changed(app)
        elif self._children and event.key in _CHILDREN:
            self._changed(None)

    def tracked(self, app: str) -> set[Ident]:
        with self._lock:
            return set(self._by_app.get(app, ()))
