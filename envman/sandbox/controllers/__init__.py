"""Fake controllers: Deployments roll out through ReplicaSets, StatefulSets, DaemonSets and
Jobs create pods, and every workload reports the status a real controller would.

They are driven by what changed, as kube-controller-manager's are: every store event queues
the object for its kind's controller and the object's owner for the owner's controller; pods
due for their next status come from the queue's timers. One worker thread per cluster takes
one item at a time and syncs that one object under the store's lock, so an API request waits
at most for one object's sync. With nothing queued and no timer, the worker sleeps.
"""

from __future__ import annotations

import sys
import threading
import traceback

from envman.sandbox.api import Api
from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.daemonsets import DaemonSets
from envman.sandbox.controllers.deployments import Deployments
from envman.sandbox.controllers.endpoints import SERVICES, Endpoints
from envman.sandbox.controllers.jobs import Jobs
from envman.sandbox.controllers.pods import PODS, PodLifecycle
from envman.sandbox.controllers.queue import Item, WorkQueue
from envman.sandbox.controllers.replicasets import ReplicaSets
from envman.sandbox.controllers.statefulsets import StatefulSets
from envman.sandbox.controllers.statuses import Autoscalers, DisruptionBudgets, Ingresses
from envman.sandbox.events import EVENTS, Recorder
from envman.sandbox.store import Event

KINDS = (ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, DisruptionBudgets, Autoscalers, Ingresses)


class Controllers:
    """The controllers of one cluster, their work queue and its worker."""

    def __init__(self, api: Api, ready_delay: float) -> None:
        self.api = api
        self.queue = WorkQueue()
        self.syncs = 0
        """Work items processed since start: an idle cluster adds none."""
        self.events = Recorder(api.store, lambda when: self.queue.add_at((EVENTS, "", ""), when))
        self.pods = PodLifecycle(api, ready_delay, self.queue, self.events)
        self.endpoints = Endpoints(api, self.queue, self.events)
        made = [kind(api, self.queue, self.events) for kind in KINDS]
        self._kinds: dict[str, Controller] = {c.key: c for c in [*made, self.endpoints]}
        self._owners = {c.kind: c.key for c in self._kinds.values()}
        self._watching = {w: c.key for c in self._kinds.values() for w in c.watches}
        self._thread = threading.Thread(target=self._run, daemon=True, name="controllers")
        api.store.listeners.append(self._on_event)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.queue.close()
        self._thread.join(timeout=5)

    def _on_event(self, event: Event) -> None:
        """Queue what the event concerns (called under the store's lock, so only queues)."""
        meta = event.obj["metadata"]
        namespace = meta.get("namespace", "")
        if event.key == SERVICES:
            self.endpoints.on_service(event)
        if event.key in self._kinds:
            self.queue.add((event.key, namespace, meta["name"]))
        for ref in meta.get("ownerReferences") or []:
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            owner = self._owners.get((group, str(ref.get("kind"))))
            if owner is not None and ref.get("controller"):
                self.queue.add((owner, namespace, str(ref.get("name"))))
        if event.key == PODS:
            self.pods.on_event(event)
            for service in self.endpoints.services_of(event):
                self.queue.add((SERVICES, namespace, service))
        if event.key in self._watching:
            key = self._watching[event.key]
            for obj in self.api.store.items(key):
                self.queue.add((key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            with self.api.store.lock:
                try:
                    self._sync(item)
                except Exception:  # a bug in one object's sync must not stop the cluster
                    print(f"sandbox controller failed on {item}:", file=sys.stderr)
                    traceback.print_exc()
                self.syncs += 1

    def _sync(self, item: Item) -> None:
        key, namespace, name = item
        if key == PODS:
            self.pods.sync_object(namespace, name)
        elif key == EVENTS:
            self.events.sync()
        else:
            self._kinds[key].sync_object(namespace, name)
