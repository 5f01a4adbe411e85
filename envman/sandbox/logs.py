"""What `kubectl logs` reads from an emulated container: a few lines it "printed", by its
state (started, ready or failing its probe, crashed, completed, failed), with the errors a
real API server gives for a container that does not exist or has not started."""

from __future__ import annotations

from typing import Any

from envman.sandbox.status import ApiError

Obj = dict[str, Any]

STARTED = "envman sandbox: emulated container {name} (image {image}) started; no process runs"


def text(pod: Obj, query: dict[str, str]) -> str:
    """The log of the container `query` names (the only one when it names none)."""
    container = _container(pod, query.get("container"))
    name, pod_name = container["name"], pod["metadata"]["name"]
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    status: Obj = next((s for s in statuses if s.get("name") == name), {})
    previous = query.get("previous") in ("true", "1")
    state = (status.get("lastState") if previous else status.get("state")) or {}
    if "waiting" in state and "terminated" in (status.get("lastState") or {}):
        state = status["lastState"]  # crash-looping: the log of its last run
    if previous and "terminated" not in state:
        raise ApiError(400, f'previous terminated container "{name}" in pod "{pod_name}" not found')
    if not state or "waiting" in state:
        reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise ApiError(400, f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    lines = [STARTED.format(name=name, image=container.get("image", ""))]
    lines += _outcome(state, bool(status.get("ready")))
    tail = int(query.get("tailLines") or 0)
    return "".join(f"{line}\n" for line in (lines[-tail:] if tail > 0 else lines))


def _container(pod: Obj, name: str | None) -> Obj:
    containers = [c for key in ("initContainers", "containers") for c in pod["spec"].get(key) or []]
    pod_name = pod["metadata"]["name"]
    if name is None:
        main = pod["spec"].get("containers") or []
        if len(main) == 1:
            return dict(main[0])
        names = " ".join(str(c.get("name")) for c in main)
        raise ApiError(
            400, f"a container name must be specified for pod {pod_name}, choose one of: [{names}]"
        )
    for container in containers:
        if container.get("name") == name:
            return dict(container)
    raise ApiError(400, f"container {name} is not valid for pod {pod_name}")


def _outcome(state: Obj, ready: bool) -> list[str]:
    if "terminated" in state:
        code = int(state["terminated"].get("exitCode", 0))
        return ["done"] if code == 0 else [f"error: exiting with status {code}"]
    return ["ready"] if ready else ["not ready yet: the readiness probe fails"]
