"""Events as the scheduler, the kubelet and the controllers write them (core/v1 Events, which
`kubectl get events` and `kubectl describe` read).

An event repeated (same object, reason, message and source) is counted on the one Event, as
client-go's recorder aggregates it. Events expire as kube-apiserver's do (`--event-ttl`, an
hour after their last update), and a cluster keeps at most `limit`, the oldest dropped first,
so a long-lived sandbox's events stay cheap. Expiry runs from a timer of the controllers'
work queue: an idle cluster wakes once for each event that expires, then not at all.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envman.sandbox.store import Store

Obj = dict[str, Any]

EVENTS = "/events"
NORMAL, WARNING = "Normal", "Warning"
EVENT_TTL = 3600.0
"""Seconds an Event lives after its last update (kube-apiserver's default `--event-ttl` 1h)."""
MAX_EVENTS = 1000
"""Events a cluster keeps at most; older ones are dropped first."""
NODE = "sandbox-node"


@dataclass(frozen=True)
class Source:
    """Who writes an event: a component, on a host for the kubelet."""

    component: str
    host: str = ""


KUBELET = Source("kubelet", NODE)
SCHEDULER = Source("default-scheduler")


@dataclass(frozen=True)
class Note:
    """One event to write about an object: its type, reason, message, source and, for a
    container's event, the field path of the container (`spec.containers{web}`)."""

    kind: str
    reason: str
    message: str
    source: Source = KUBELET
    field_path: str = ""


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Recorder:
    """Writes, aggregates and expires the Events of one cluster."""

    def __init__(
        self,
        store: Store,
        wake_at: Callable[[float], None],
        ttl: float = EVENT_TTL,
        limit: int = MAX_EVENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.ttl, self.limit = ttl, limit
        self._wake_at = wake_at
        self._clock = clock
        self._names: dict[tuple[str, ...], tuple[str, str]] = {}
        self._keys: dict[tuple[str, str], tuple[str, ...]] = {}
        self._expires: dict[tuple[str, str], float] = {}
        self._order: deque[tuple[float, tuple[str, str]]] = deque()
        self._deferred: list[tuple[Obj, Note]] = []

    def record(self, obj: Obj, note: Note) -> None:
        """Write an event about `obj` (as stored, with its apiVersion and kind), or count it
        again on the Event of the same object, reason, message and source."""
        meta, source = obj["metadata"], note.source.component
        key = (meta.get("uid", ""), note.field_path, note.kind, note.reason, note.message, source)
        ident = self._names.get(key)
        existing = self.store.get(EVENTS, *ident) if ident else None
        stamp = _timestamp()
        if existing is not None:
            existing.update(count=int(existing.get("count") or 1) + 1, lastTimestamp=stamp)
            self.store.put(EVENTS, existing)
        else:
            event = _event(obj, note, stamp)
            self.store.put(EVENTS, event)
            ident = (event["metadata"]["namespace"], event["metadata"]["name"])
            self._names[key], self._keys[ident] = ident, key
        assert ident is not None
        self._touch(ident)

    def defer(self, obj: Obj, note: Note) -> None:
        """Record later, from the work queue (for a caller inside a store notification)."""
        self._deferred.append((obj, note))
        self._wake_at(self._clock())

    def _touch(self, ident: tuple[str, str]) -> None:
        expires = self._clock() + self.ttl
        if not self._expires:
            self._wake_at(expires)
        self._expires[ident] = expires
        self._order.append((expires, ident))
        while len(self._expires) > self.limit:
            self._drop(self._order.popleft()[1])

    def sync(self) -> None:
        """Write the deferred events, drop the expired ones, and wake again at the next expiry."""
        deferred, self._deferred = self._deferred, []
        for obj, note in deferred:
            self.record(obj, note)
        now = self._clock()
        while self._order and self._order[0][0] <= now:
            expires, ident = self._order.popleft()
            if self._expires.get(ident) == expires:
                self._drop(ident)
        if self._order:
            self._wake_at(self._order[0][0])

    def _drop(self, ident: tuple[str, str]) -> None:
        if self._expires.pop(ident, None) is None:
            return
        self.store.remove(EVENTS, *ident)
        self._names.pop(self._keys.pop(ident, ()), None)


def _event(obj: Obj, note: Note, stamp: str) -> Obj:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    involved: Obj = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if note.field_path:
        involved["fieldPath"] = note.field_path
    event_source: Obj = {"component": note.source.component}
    if note.source.host:
        event_source["host"] = note.source.host
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{time.time_ns():x}",
            "namespace": namespace,
            "creationTimestamp": stamp,
            "uid": str(uuid.uuid4()),
        },
        "involvedObject": {k: v for k, v in involved.items() if v != ""},
        "reason": note.reason,
        "message": note.message,
        "source": event_source,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": note.kind,
        "eventTime": None,
        "reportingComponent": note.source.component,
        "reportingInstance": note.source.host,
    }
