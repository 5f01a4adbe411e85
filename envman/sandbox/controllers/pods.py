"""Pod lifecycle: pods become Ready (or Succeeded) after a delay, unless the app is failing.

`fail` marks pods created from then on (in the whole cluster or for one helm release) as
stuck, as a bad image would leave them; pods already ready stay ready. `heal` unsticks them.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from envman.sandbox.api import Api, now_iso
from envman.sandbox.controllers.workloads import condition, phase
from envman.sandbox.store import ADDED, DELETED, Event

Obj = dict[str, Any]

RELEASE_LABEL = "app.kubernetes.io/instance"
RELEASE_ANNOTATION = "meta.helm.sh/release-name"
ALL_APPS = "*"


class PodLifecycle:
    """Tracks when each pod is due to start and whether it is stuck."""

    def __init__(self, api: Api, ready_delay: float, wake: threading.Event) -> None:
        self.api = api
        self.ready_delay = ready_delay
        self.failing: set[str] = set()
        self._due: dict[str, float] = {}
        self._stuck: set[str] = set()
        self._wake = wake
        api.store.listeners.append(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.key == "/pods":
            uid = event.obj["metadata"]["uid"]
            if event.type == ADDED:
                self._due[uid] = time.monotonic() + self.ready_delay
                if self.failing and self._fails(event.obj):
                    self._stuck.add(uid)
            elif event.type == DELETED:
                self._due.pop(uid, None)
                self._stuck.discard(uid)
        self._wake.set()

    def _fails(self, pod: Obj) -> bool:
        return ALL_APPS in self.failing or bool(self.failing & self._releases(pod, 0))

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

    def fail(self, app: str | None) -> None:
        with self.api.store.lock:
            self.failing.add(app or ALL_APPS)

    def heal(self) -> None:
        with self.api.store.lock:
            self.failing.clear()
            now = time.monotonic()
            for uid in self._stuck:
                self._due[uid] = now
            self._stuck.clear()
        self._wake.set()

    def next_due(self) -> float | None:
        pending = [t for u, t in self._due.items() if u not in self._stuck]
        return min(pending) if pending else None

    def reconcile(self) -> bool:
        """Move due pods forward; True when something changed."""
        now = time.monotonic()
        changed = False
        for pod in self.api.store.items("/pods"):
            uid = pod["metadata"]["uid"]
            due = self._due.get(uid)
            if due is None or due > now or phase(pod) != "Pending":
                continue
            status = self._stuck_status(pod) if uid in self._stuck else self._started(pod)
            del self._due[uid]
            if pod.get("status") != status:
                pod["status"] = status
                pod["spec"].setdefault("nodeName", "sandbox-node")
                self.api.store.put("/pods", pod)
                changed = True
        return changed

    def _base(self, pod: Obj) -> Obj:
        status = dict(pod.get("status") or {})
        status.setdefault("startTime", now_iso())
        status["hostIP"] = "172.18.0.2"
        status["hostIPs"] = [{"ip": "172.18.0.2"}]
        ip = status.get("podIP") or f"10.244.{secrets.randbelow(250)}.{secrets.randbelow(250) + 2}"
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
        return status

    def _started(self, pod: Obj) -> Obj:
        status = self._base(pod)
        stamp = now_iso()
        runs = pod["spec"].get("restartPolicy", "Always") == "Always"
        ready = condition("Ready", runs, "" if runs else "PodCompleted")
        status["phase"] = "Running" if runs else "Succeeded"
        status["conditions"] = [
            {**condition("PodReadyToStartContainers", runs), "lastTransitionTime": stamp},
            {**condition("Initialized", True, "" if runs else "PodCompleted"), "lastTransitionTime": stamp},
            {**ready, "lastTransitionTime": stamp},
            {
                **condition("ContainersReady", runs, "" if runs else "PodCompleted"),
                "lastTransitionTime": stamp,
            },
            {**condition("PodScheduled", True), "lastTransitionTime": stamp},
        ]
        state = (
            {"running": {"startedAt": stamp}}
            if runs
            else {
                "terminated": {"exitCode": 0, "reason": "Completed", "startedAt": stamp, "finishedAt": stamp}
            }
        )
        status["containerStatuses"] = [
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "imageID": "",
                "containerID": f"containerd://{secrets.token_hex(16)}",
                "ready": runs,
                "started": runs,
                "restartCount": 0,
                "state": state,
            }
            for c in pod["spec"].get("containers") or []
        ]
        return status

    def _stuck_status(self, pod: Obj) -> Obj:
        status = self._base(pod)
        stamp = now_iso()
        status["phase"] = "Pending"
        status["conditions"] = [
            {
                **condition("Ready", False, "ContainersNotReady", "containers with unready status"),
                "lastTransitionTime": stamp,
            },
            {**condition("PodScheduled", True), "lastTransitionTime": stamp},
        ]
        status["containerStatuses"] = [
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 0,
                "state": {
                    "waiting": {
                        "reason": "ImagePullBackOff",
                        "message": f'Back-off pulling image "{c.get("image")}"',
                    }
                },
            }
            for c in pod["spec"].get("containers") or []
        ]
        return status
