"""Pod statuses in the exact shapes a real kubelet (and the scheduler) writes them: a pod that
started or completed, and each way a bad release leaves its pods (`failures.MODES`).

Each function takes the pod as stored and returns its next status; what carries over from
the previous status (IPs, start time, container ids, restart counts, the transition time of
an unchanged condition) carries over as on a real node.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from envman.sandbox.api import now_iso
from envman.sandbox.controllers.workloads import condition, merge_conditions

Obj = dict[str, Any]

NODE = "sandbox-node"
HOST_IP = "172.18.0.2"
UNSCHEDULABLE = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
    "3 No preemption victims found for incoming pod."
)
BACKOFF_START, BACKOFF_MAX = 10, 300
"""The kubelet's crash back-off: 10 s, doubled after each restart, at most 5 min."""


def running(pod: Obj, *, ready: bool) -> Obj:
    """Running: every container started; ready unless its readiness probe fails."""
    status = _on_node(pod)
    status["phase"] = "Running"
    status["conditions"] = _conditions(pod, sandbox=True, unready=[] if ready else _names(pod))
    stamp = now_iso()
    status["containerStatuses"] = [
        _container(
            pod,
            c,
            {"running": {"startedAt": _running_since(pod, c) or stamp}},
            ready=ready,
            started=True,
            keep_id=True,
        )
        for c in _containers(pod)
    ]
    return status


def completed(pod: Obj) -> Obj:
    """Succeeded: every container exited 0."""
    return _terminated(pod, "Succeeded", 0, "Completed")


def failed(pod: Obj) -> Obj:
    """Failed: every container exited 1 (what a failing Job's pod or a crash without restarts leaves)."""
    return _terminated(pod, "Failed", 1, "Error")


def image_pull(pod: Obj, *, backoff: bool) -> Obj:
    """Pending on a missing image: `ErrImagePull`, then `ImagePullBackOff` from the next retry on."""
    status = _on_node(pod)
    status["phase"] = "Pending"
    status["conditions"] = _conditions(pod, sandbox=True, unready=_names(pod))

    def waiting(image: str) -> Obj:
        if backoff:
            return {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
        return {"reason": "ErrImagePull", "message": pull_failure(image)}

    status["containerStatuses"] = [
        _container(pod, c, {"waiting": waiting(str(c.get("image", "")))}, ready=False, started=False)
        for c in _containers(pod)
    ]
    return status


def pull_failure(image: str) -> str:
    """Why the image of a pod failing in `image-pull` mode cannot be pulled."""
    return f'failed to pull and unpack image "{image}": failed to resolve reference "{image}": not found'


def crash_loop(pod: Obj, restarts: int) -> Obj:
    """Running with containers that exit 1: started at first, then waiting in
    `CrashLoopBackOff` after each of `restarts` crashes, the last one in `lastState`."""
    if restarts == 0:
        return running(pod, ready=False)
    status = _on_node(pod)
    status["phase"] = "Running"
    status["conditions"] = _conditions(pod, sandbox=True, unready=_names(pod))
    meta = pod["metadata"]
    delay = _duration(min(BACKOFF_START * 2 ** (restarts - 1), BACKOFF_MAX))
    stamp = now_iso()
    statuses = []
    for c in _containers(pod):
        message = (
            f"back-off {delay} restarting failed container={c.get('name')} "
            f"pod={meta['name']}_{meta.get('namespace', '')}({meta['uid']})"
        )
        previous = _container_status(pod, c)
        crashed = {
            "containerID": previous.get("containerID") or _container_id(),
            "exitCode": 1,
            "reason": "Error",
            "startedAt": _running_since(pod, c) or _last_finished(pod, c) or stamp,
            "finishedAt": stamp,
        }
        entry = _container(
            pod,
            c,
            {"waiting": {"reason": "CrashLoopBackOff", "message": message}},
            ready=False,
            started=False,
        )
        entry.update(
            restartCount=restarts, lastState={"terminated": crashed}, containerID=crashed["containerID"]
        )
        statuses.append(entry)
    status["containerStatuses"] = statuses
    return status


def unschedulable(pod: Obj) -> Obj:
    """Pending with no node that fits: only `PodScheduled=False`, no node, no containers."""
    status = {k: v for k, v in (pod.get("status") or {}).items() if k == "qosClass"}
    status["phase"] = "Pending"
    scheduled = condition("PodScheduled", False, "Unschedulable", UNSCHEDULABLE)
    status["conditions"] = merge_conditions((pod.get("status") or {}).get("conditions"), [scheduled])
    return status


def scheduled(status: Obj) -> bool:
    """Whether a status puts the pod on a node."""
    return any(c.get("type") == "PodScheduled" and c.get("status") == "True" for c in status["conditions"])


# --- the parts ------------------------------------------------------------------------


def _terminated(pod: Obj, phase: str, code: int, reason: str) -> Obj:
    status = _on_node(pod)
    status["phase"] = phase
    ended = "PodCompleted" if phase == "Succeeded" else "PodFailed"
    status["conditions"] = merge_conditions(
        (pod.get("status") or {}).get("conditions"),
        [
            condition("PodReadyToStartContainers", False),
            condition("Initialized", True, "PodCompleted" if phase == "Succeeded" else ""),
            condition("Ready", False, ended),
            condition("ContainersReady", False, ended),
            condition("PodScheduled", True),
        ],
    )
    stamp = now_iso()
    statuses = []
    for c in _containers(pod):
        container_id = _container_status(pod, c).get("containerID") or _container_id()
        state = {
            "terminated": {
                "containerID": container_id,
                "exitCode": code,
                "reason": reason,
                "startedAt": _running_since(pod, c) or stamp,
                "finishedAt": stamp,
            }
        }
        statuses.append(_container(pod, c, state, ready=False, started=False) | {"containerID": container_id})
    status["containerStatuses"] = statuses
    return status


def _on_node(pod: Obj) -> Obj:
    """The status fields of a pod placed on a node with its sandbox (network) set up."""
    status = dict(pod.get("status") or {})
    status.setdefault("startTime", now_iso())
    status["hostIP"] = HOST_IP
    status["hostIPs"] = [{"ip": HOST_IP}]
    ip = status.get("podIP") or f"10.244.{secrets.randbelow(250)}.{secrets.randbelow(250) + 2}"
    status["podIP"] = ip
    status["podIPs"] = [{"ip": ip}]
    return status


def _conditions(pod: Obj, *, sandbox: bool, unready: list[str]) -> list[Obj]:
    ready = not unready
    reason, message = (
        ("", "")
        if ready
        else ("ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
    )
    return merge_conditions(
        (pod.get("status") or {}).get("conditions"),
        [
            condition("PodReadyToStartContainers", sandbox),
            condition("Initialized", True),
            condition("Ready", ready, reason, message),
            condition("ContainersReady", ready, reason, message),
            condition("PodScheduled", True),
        ],
    )


def _containers(pod: Obj) -> list[Obj]:
    return list(pod["spec"].get("containers") or [])


def _names(pod: Obj) -> list[str]:
    return [str(c.get("name")) for c in _containers(pod)]


def _container_status(pod: Obj, container: Obj) -> Obj:
    for entry in (pod.get("status") or {}).get("containerStatuses") or []:
        if entry.get("name") == container.get("name"):
            return dict(entry)
    return {}


def _running_since(pod: Obj, container: Obj) -> str | None:
    running = (_container_status(pod, container).get("state") or {}).get("running") or {}
    return running.get("startedAt")


def _last_finished(pod: Obj, container: Obj) -> str | None:
    last = (_container_status(pod, container).get("lastState") or {}).get("terminated") or {}
    return last.get("finishedAt")


def _container(
    pod: Obj, container: Obj, state: Obj, *, ready: bool, started: bool, keep_id: bool = False
) -> Obj:
    """A container's status; a restarted or healed container keeps its restart count and last state."""
    previous = _container_status(pod, container)
    pulled = "running" in state or "terminated" in state or bool(previous.get("imageID"))
    entry: Obj = {
        "name": container.get("name"),
        "image": container.get("image"),
        "imageID": image_id(str(container.get("image", ""))) if pulled else "",
        "ready": ready,
        "started": started,
        "restartCount": int(previous.get("restartCount", 0)),
        "lastState": previous.get("lastState") or {},
        "state": state,
    }
    if keep_id or "running" in state:
        entry["containerID"] = (previous.get("containerID") if keep_id else None) or _container_id()
    return entry


def image_id(image: str) -> str:
    """The digest reference of a pulled image, as the runtime reports it (stable per image)."""
    name = image.partition("@")[0]
    if ":" in name.rpartition("/")[2]:
        name = name.rpartition(":")[0]
    digest = hashlib.sha256(image.encode()).hexdigest()
    return f"{name}@sha256:{digest}"


def _container_id() -> str:
    return f"containerd://{secrets.token_hex(32)}"


def _duration(seconds: int) -> str:
    """Seconds as Go prints a `time.Duration` (`40s`, `1m20s`, `5m0s`)."""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"
