"""Pod lifecycle: the scheduler and kubelet of one cluster. A new pod starts (or completes)
after the ready delay, unless `fail` made its template fail (`failures`): then it goes
through the statuses of its failure mode (`kubelet`), one step per ready delay.

Pods already ready when `fail` comes stay ready; `heal` lets every failing pod that has not
terminated start as usual.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from envman.sandbox.api import Api
from envman.sandbox.controllers import kubelet, pod_events
from envman.sandbox.controllers.failures import (
    CRASH_LOOP,
    DEFAULT_MODE,
    IMAGE_PULL,
    JOB_FAIL,
    NEVER_READY,
    UNSCHEDULABLE,
    Failures,
    cluster_templates,
    runs_to_completion,
    template_key,
)
from envman.sandbox.controllers.queue import WorkQueue
from envman.sandbox.controllers.workloads import phase, pinned_node
from envman.sandbox.events import Recorder
from envman.sandbox.store import ADDED, DELETED, Event

Obj = dict[str, Any]

PODS = "/pods"
RELEASE_LABEL = "app.kubernetes.io/instance"
RELEASE_ANNOTATION = "meta.helm.sh/release-name"
MAX_RESTARTS = 10
"""A crash-looping pod stops counting restarts here, so the store does not churn forever."""


class PodLifecycle:
    """When each pod is due for its next status (a timer in the work queue), and the failure
    mode of those that fail."""

    def __init__(self, api: Api, ready_delay: float, queue: WorkQueue, events: Recorder) -> None:
        self.api = api
        self.ready_delay = ready_delay
        self.failures = Failures()
        self.events = events
        self._images: set[str] = set()
        self._queue = queue
        self._due: dict[str, float] = {}
        self._fate: dict[str, str] = {}
        self._step: dict[str, int] = {}
        self._keys: dict[str, str] = {}
        self._names: dict[str, tuple[str, str]] = {}

    def on_event(self, event: Event) -> None:
        """A pod was added (it is due after the ready delay, its fate decided now) or deleted."""
        meta = event.obj["metadata"]
        uid = meta["uid"]
        if event.type == ADDED:
            self._names[uid] = (meta.get("namespace", ""), meta["name"])
            self._due_at(uid, time.monotonic() + self.ready_delay)
            mode = self.failures.fate(event.obj, lambda: self._releases(event.obj, 0))
            if mode is not None:
                self._fate[uid] = mode
                self._keys[uid] = template_key(event.obj)
        elif event.type == DELETED:
            for state in (self._due, self._fate, self._step, self._keys, self._names):
                state.pop(uid, None)
            for note in pod_events.killing(event.obj):
                self.events.defer(event.obj, note)

    def _due_at(self, uid: str, when: float) -> None:
        self._due[uid] = when
        self._queue.add_at((PODS, *self._names[uid]), when)

    def _releases(self, obj: Obj, depth: int) -> set[str]:
        meta = obj["metadata"]
        names = {
            str(v)
            for v in (
                (meta.get("labels") or {}).get(RELEASE_LABEL),
                (meta.get("annotations") or {}).get(RELEASE_ANNOTATION),
            )
            if v
        }
        if depth > 3:
            return names
        for ref in meta.get("ownerReferences") or []:
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            rtype = self.api.registry.by_kind(group, str(ref.get("kind")))
            owner = rtype and self.api.store.get(rtype.key, meta.get("namespace", ""), str(ref.get("name")))
            if owner:
                names |= self._releases(owner, depth + 1)
        return names

    def fail(self, app: str | None, mode: str = DEFAULT_MODE) -> None:
        """From now on, pods of `app` (or all) whose template is new fail in `mode`."""
        with self.api.store.lock:
            self.failures.fail(app, mode, cluster_templates(self.api.store))

    def heal(self) -> None:
        """Forget every failure; failing pods that have not terminated start as usual."""
        with self.api.store.lock:
            self.failures.heal(self._keys.values())
            now = time.monotonic()
            for uid in self._fate:
                self._due_at(uid, now)
            self._fate.clear()
            self._step.clear()
            self._keys.clear()

    def report(self) -> list[Obj]:
        """The failing apps (None for all) and their modes."""
        with self.api.store.lock:
            return self.failures.report()

    def sync_object(self, namespace: str, name: str) -> None:
        """Move the pod to its next status if it is due."""
        pod = self.api.store.get(PODS, namespace, name)
        if pod is None:
            return
        uid = pod["metadata"]["uid"]
        now = time.monotonic()
        due = self._due.get(uid)
        if due is None:
            return
        if due > now:
            self._queue.add_at((PODS, namespace, name), due)
            return
        del self._due[uid]
        if phase(pod) in ("Succeeded", "Failed"):
            return
        step, mode = self._step.get(uid, 0), self._fate.get(uid) or ""
        status, again = STEPS.get(mode, _healthy)(pod, step)
        if again:
            self._step[uid] = step + 1
            self._due_at(uid, now + self.ready_delay)
        if pod.get("status") == status:
            return
        placed = bool(pod["spec"].get("nodeName"))
        pod["status"] = status
        if kubelet.scheduled(status):
            pod["spec"].setdefault("nodeName", pinned_node(pod) or kubelet.NODE)
        stored = self.api.store.put(PODS, pod)
        for note in pod_events.step_notes(mode, step, stored, placed, self._images):
            self.events.record(stored, note)


# --- the steps of each mode: the pod's status at a step, and whether another step follows ---

Step = Callable[[Obj, int], tuple[Obj, bool]]


def _healthy(pod: Obj, step: int) -> tuple[Obj, bool]:
    return (kubelet.completed(pod) if runs_to_completion(pod) else kubelet.running(pod, ready=True)), False


def _never_ready(pod: Obj, step: int) -> tuple[Obj, bool]:
    return kubelet.running(pod, ready=False), False


def _image_pull(pod: Obj, step: int) -> tuple[Obj, bool]:
    return kubelet.image_pull(pod, backoff=step > 0), step == 0


def _crash_loop(pod: Obj, step: int) -> tuple[Obj, bool]:
    if pod["spec"].get("restartPolicy") == "Never":  # no restarts: the pod fails
        return (kubelet.running(pod, ready=False), True) if step == 0 else (kubelet.failed(pod), False)
    return kubelet.crash_loop(pod, step), step < MAX_RESTARTS


def _unschedulable(pod: Obj, step: int) -> tuple[Obj, bool]:
    return kubelet.unschedulable(pod), False


def _job_fail(pod: Obj, step: int) -> tuple[Obj, bool]:
    return kubelet.failed(pod), False


STEPS: dict[str, Step] = {
    NEVER_READY: _never_ready,
    IMAGE_PULL: _image_pull,
    CRASH_LOOP: _crash_loop,
    UNSCHEDULABLE: _unschedulable,
    JOB_FAIL: _job_fail,
}
