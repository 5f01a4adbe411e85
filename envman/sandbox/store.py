"""The in-memory object store of one cluster: resourceVersions, an event log, watchers, and
the indexes informers keep (objects by owner uid and by label), so that neither a controller
nor a label-selected LIST scans every object of a kind.
"""

from __future__ import annotations

import copy
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
Accept = Callable[[Obj], bool]
Ident = tuple[str, str]
"""(namespace, name) of an object within one resource key."""

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
LOG_SIZE = 20000


@dataclass(frozen=True)
class Event:
    """One change of one object; `old` is the object before a modification."""

    type: str
    key: str
    obj: Obj
    old: Obj | None
    rv: int


@dataclass(eq=False)
class Watcher:
    """A subscription to the changes of one resource, filtered like the watch request."""

    key: str
    namespace: str | None
    accept: Accept
    queue: queue.Queue[tuple[str, Obj] | None] = field(default_factory=queue.Queue)

    def _visible(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.accept(obj)

    def offer(self, event: Event) -> None:
        """Queue the event as this watcher sees it (selectors can turn it into ADD/DELETE)."""
        if event.key != self.key:
            return
        now, was = self._visible(event.obj), self._visible(event.old)
        if event.type == MODIFIED and now != was:
            kind = ADDED if now else DELETED
        elif now:
            kind = event.type
        else:
            return
        self.queue.put((kind, event.obj))

    def close(self) -> None:
        self.queue.put(None)


def controller_uid(obj: Obj) -> str | None:
    """The uid of the object's managing controller (its ownerReference with `controller`)."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _owner_uids(obj: Obj) -> set[str]:
    return {str(r.get("uid")) for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid")}


def _labels(obj: Obj) -> Mapping[str, str]:
    labels = obj["metadata"].get("labels")
    return labels if isinstance(labels, dict) else {}


class _Indexes:
    """Owner uid -> (key, namespace, name) of its dependents; (key, label, value) -> objects."""

    def __init__(self) -> None:
        self.owners: dict[str, set[tuple[str, str, str]]] = {}
        self.labels: dict[tuple[str, str, str], set[Ident]] = {}

    def add(self, key: str, ident: Ident, obj: Obj) -> None:
        for uid in _owner_uids(obj):
            self.owners.setdefault(uid, set()).add((key, *ident))
        for label, value in _labels(obj).items():
            self.labels.setdefault((key, label, str(value)), set()).add(ident)

    def drop(self, key: str, ident: Ident, obj: Obj) -> None:
        for uid in _owner_uids(obj):
            _discard(self.owners, uid, (key, *ident))
        for label, value in _labels(obj).items():
            _discard(self.labels, (key, label, str(value)), ident)


def _discard(index: dict[Any, set[Any]], bucket: Any, member: Any) -> None:
    members = index.get(bucket)
    if members is not None:
        members.discard(member)
        if not members:
            del index[bucket]


class Store:
    """Objects by resource key and (namespace, name); every write gets a new resourceVersion.

    Stored objects are never mutated in place: readers get copies, writers replace.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._rv = 100
        self._objects: dict[str, dict[Ident, Obj]] = {}
        self._index = _Indexes()
        self._log: deque[Event] = deque(maxlen=LOG_SIZE)
        self._watchers: list[Watcher] = []
        self.listeners: list[Callable[[Event], None]] = []

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, key: str, namespace: str, name: str) -> Obj | None:
        with self.lock:
            obj = self._objects.get(key, {}).get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def exists(self, key: str, namespace: str, name: str) -> bool:
        with self.lock:
            return (namespace, name) in self._objects.get(key, {})

    def items(
        self,
        key: str,
        namespace: str | None = None,
        accept: Accept | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        """Copies of the objects of one resource, in one namespace or all, sorted by name;
        only those `accept` takes, looked up by the label index first when `labels` (pairs
        every result must carry) are given."""
        with self.lock:
            bucket = self._objects.get(key, {})
            idents: Iterable[Ident] = bucket if not labels else self._labelled(key, labels)
            found = [
                bucket[i]
                for i in idents
                if (namespace is None or i[0] == namespace) and (accept is None or accept(bucket[i]))
            ]
            found.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            return copy.deepcopy(found)

    def _labelled(self, key: str, labels: Mapping[str, str]) -> set[Ident]:
        sets = sorted((self._index.labels.get((key, k, str(v)), set()) for k, v in labels.items()), key=len)
        return set(sets[0]).intersection(*sets[1:]) if sets else set()

    def controlled(self, key: str, uid: str) -> list[Obj]:
        """Copies of the objects of `key` whose managing controller has `uid`."""
        with self.lock:
            bucket = self._objects.get(key, {})
            found = [
                bucket[(ns, name)]
                for k, ns, name in self._index.owners.get(uid, ())
                if k == key and controller_uid(bucket[(ns, name)]) == uid
            ]
            found.sort(key=lambda o: o["metadata"]["name"])
            return copy.deepcopy(found)

    def dependents(self, uid: str) -> list[tuple[str, Obj]]:
        """(key, copy) of every object with an ownerReference to `uid`."""
        with self.lock:
            return [
                (key, copy.deepcopy(self._objects[key][(ns, name)]))
                for key, ns, name in sorted(self._index.owners.get(uid, ()))
            ]

    def keys(self) -> Iterator[str]:
        with self.lock:
            yield from list(self._objects)

    def put(self, key: str, obj: Obj) -> Obj:
        """Store (create or replace) an object under a new resourceVersion; return a copy."""
        with self.lock:
            self._rv += 1
            meta = obj["metadata"]
            meta["resourceVersion"] = str(self._rv)
            ident = (meta.get("namespace", ""), meta["name"])
            bucket = self._objects.setdefault(key, {})
            old = bucket.get(ident)
            stored = copy.deepcopy(obj)
            if old is not None:
                self._index.drop(key, ident, old)
            bucket[ident] = stored
            self._index.add(key, ident, stored)
            self._emit(Event(MODIFIED if old else ADDED, key, stored, old, self._rv))
            return copy.deepcopy(stored)

    def remove(self, key: str, namespace: str, name: str) -> Obj | None:
        with self.lock:
            old = self._objects.get(key, {}).pop((namespace, name), None)
            if old is None:
                return None
            self._index.drop(key, (namespace, name), old)
            self._rv += 1
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = str(self._rv)
            self._emit(Event(DELETED, key, gone, None, self._rv))
            return copy.deepcopy(gone)

    def _emit(self, event: Event) -> None:
        self._log.append(event)
        for watcher in self._watchers:
            watcher.offer(event)
        for listener in self.listeners:
            listener(event)

    def watch(self, key: str, namespace: str | None, accept: Accept, since: int | None) -> Watcher:
        """Subscribe; with `since`, first replay the logged events newer than it."""
        watcher = Watcher(key, namespace, accept)
        with self.lock:
            if since is not None:
                for event in self._log:
                    if event.rv > since:
                        watcher.offer(event)
            self._watchers.append(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        with self.lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def close_watchers(self) -> None:
        with self.lock:
            for watcher in self._watchers:
                watcher.close()
            self._watchers.clear()
