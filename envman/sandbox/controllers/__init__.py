"""Fake controllers: Deployments roll out through ReplicaSets, StatefulSets, DaemonSets and
Jobs create pods, and every workload reports the status a real controller would.

One thread per cluster runs passes over all objects when something changed or a pod is due;
each kind has its controller in a module of this package, pods theirs in `pods`.
"""

from __future__ import annotations

import threading
import time

from envman.sandbox.api import Api
from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.daemonsets import DaemonSets
from envman.sandbox.controllers.deployments import Deployments
from envman.sandbox.controllers.jobs import Jobs
from envman.sandbox.controllers.pods import PodLifecycle
from envman.sandbox.controllers.replicasets import ReplicaSets
from envman.sandbox.controllers.statefulsets import StatefulSets
from envman.sandbox.controllers.statuses import Autoscalers, DisruptionBudgets, Ingresses

MAX_PASSES = 30


class Controllers:
    """The controller loop of one cluster."""

    def __init__(self, api: Api, ready_delay: float) -> None:
        self.api = api
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.pods = PodLifecycle(api, ready_delay, self._wake)
        kinds = (ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, DisruptionBudgets, Autoscalers)
        self._kinds: list[Controller] = [kind(api) for kind in kinds]
        self._kinds.append(Ingresses(api))
        self._thread = threading.Thread(target=self._run, daemon=True, name="controllers")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self.pods.next_due()
            timeout = 1.0 if due is None else min(1.0, max(0.0, due - time.monotonic()))
            self._wake.wait(timeout)
            self._wake.clear()
            for _ in range(MAX_PASSES):
                if self._stop.is_set() or not self.reconcile():
                    break

    def reconcile(self) -> bool:
        """One pass over every workload; True when anything changed."""
        with self.api.store.lock:
            steps = (self.pods.reconcile, *(kind.reconcile for kind in self._kinds))
            results = [step() for step in steps]
            return any(results)
