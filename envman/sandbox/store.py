"""The in-memory object store of one cluster: resourceVersions, an event log, watchers."""

from __future__ import annotations

import copy
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
Accept = Callable[[Obj], bool]

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


class Store:
    """Objects by resource key and (namespace, name); every write gets a new resourceVersion.

    Stored objects are never mutated in place: readers get copies, writers replace.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._rv = 100
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {}
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

    def items(self, key: str, namespace: str | None = None) -> list[Obj]:
        """Copies of the objects of one resource, in one namespace or all, sorted by name."""
        with self.lock:
            found = [
                o for (ns, _), o in self._objects.get(key, {}).items() if namespace is None or ns == namespace
            ]
            found.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            return copy.deepcopy(found)

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
            bucket[ident] = stored
            self._emit(Event(MODIFIED if old else ADDED, key, stored, old, self._rv))
            return copy.deepcopy(stored)

    def remove(self, key: str, namespace: str, name: str) -> Obj | None:
        with self.lock:
            old = self._objects.get(key, {}).pop((namespace, name), None)
            if old is None:
                return None
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
