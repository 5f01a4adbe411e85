"""The events the scheduler and the kubelet write about a pod, at each step of its lifecycle
(`pods`): scheduled, the image pulled, each container created and started; and each failure
mode's (`FailedScheduling`, a failed pull and its back-off, a crash back-off, a failing
readiness probe), worded as kube-scheduler and the kubelet word them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from envman.sandbox.controllers import kubelet
from envman.sandbox.controllers.failures import CRASH_LOOP, IMAGE_PULL, NEVER_READY, UNSCHEDULABLE
from envman.sandbox.events import NORMAL, SCHEDULER, WARNING, Note

Obj = dict[str, Any]


def _containers(pod: Obj) -> list[Obj]:
    return list(pod["spec"].get("containers") or [])


def _path(container: Obj) -> str:
    return f"spec.containers{{{container.get('name')}}}"


def scheduled(pod: Obj) -> Note:
    meta = pod["metadata"]
    where = f"{meta.get('namespace', '')}/{meta['name']}"
    return Note(NORMAL, "Scheduled", f"Successfully assigned {where} to {kubelet.NODE}", SCHEDULER)


def _size(image: str) -> int:
    """A plausible, stable image size in bytes."""
    return 10_000_000 + int(hashlib.sha256(image.encode()).hexdigest()[:6], 16) * 4


def pulled(container: Obj, present: bool) -> Iterator[Note]:
    """`Pulling`, then `Pulled`: the image pulled, or already on the node (IfNotPresent)."""
    image, path = str(container.get("image", "")), _path(container)
    if present and container.get("imagePullPolicy") != "Always":
        yield Note(NORMAL, "Pulled", f'Container image "{image}" already present on machine', field_path=path)
        return
    yield Note(NORMAL, "Pulling", f'Pulling image "{image}"', field_path=path)
    message = (
        f'Successfully pulled image "{image}" in 812ms (812ms including waiting). '
        f"Image size: {_size(image)} bytes."
    )
    yield Note(NORMAL, "Pulled", message, field_path=path)


def started(container: Obj) -> Iterator[Note]:
    name, path = container.get("name"), _path(container)
    yield Note(NORMAL, "Created", f"Created container: {name}", field_path=path)
    yield Note(NORMAL, "Started", f"Started container {name}", field_path=path)


def _probe_failure(pod: Obj, container: Obj) -> str:
    probe = container.get("readinessProbe") or {}
    if "tcpSocket" in probe:
        ip = (pod.get("status") or {}).get("podIP", "")
        return f"dial tcp {ip}:{probe['tcpSocket'].get('port')}: connect: connection refused"
    if "exec" in probe:
        return "command failed: exit status 1"
    return "HTTP probe failed with statuscode: 503"


def step_notes(mode: str, step: int, pod: Obj, placed: bool, seen: set[str]) -> Iterator[Note]:
    """The events of the pod's step `step` in `mode` ("" when it starts as usual); `placed`:
    the pod was on the node before this step; `seen` holds the images already on the node
    (pulled ones are added)."""
    if mode == UNSCHEDULABLE:
        yield Note(WARNING, "FailedScheduling", kubelet.UNSCHEDULABLE, SCHEDULER)
        return
    if not placed:
        yield scheduled(pod)
    for container in _containers(pod):
        yield from _container_notes(mode, step, pod, container, seen)


def _container_notes(mode: str, step: int, pod: Obj, container: Obj, seen: set[str]) -> Iterator[Note]:
    image, path = str(container.get("image", "")), _path(container)
    if mode == IMAGE_PULL:
        if step == 0:
            yield Note(NORMAL, "Pulling", f'Pulling image "{image}"', field_path=path)
            failure = f'Failed to pull image "{image}": {kubelet.pull_failure(image)}'
            yield Note(WARNING, "Failed", failure, field_path=path)
            yield Note(WARNING, "Failed", "Error: ErrImagePull", field_path=path)
        else:
            yield Note(NORMAL, "BackOff", f'Back-off pulling image "{image}"', field_path=path)
            yield Note(WARNING, "Failed", "Error: ImagePullBackOff", field_path=path)
        return
    if step > 0:
        if mode == CRASH_LOOP and pod["spec"].get("restartPolicy") != "Never":
            meta = pod["metadata"]
            where = f"{meta['name']}_{meta.get('namespace', '')}({meta['uid']})"
            message = f"Back-off restarting failed container {container.get('name')} in pod {where}"
            yield Note(WARNING, "BackOff", message, field_path=path)
        return
    yield from pulled(container, image in seen)
    seen.add(image)
    yield from started(container)
    if mode == NEVER_READY:
        message = f"Readiness probe failed: {_probe_failure(pod, container)}"
        yield Note(WARNING, "Unhealthy", message, field_path=path)


def killing(pod: Obj) -> Iterator[Note]:
    """`Killing` for each container of a pod that was running when it was deleted."""
    running = {
        s.get("name")
        for s in (pod.get("status") or {}).get("containerStatuses") or []
        if "running" in (s.get("state") or {})
    }
    for container in _containers(pod):
        if container.get("name") in running:
            name = container.get("name")
            yield Note(NORMAL, "Killing", f"Stopping container {name}", field_path=_path(container))
