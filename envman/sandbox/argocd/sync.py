"""Running one sync operation, step by step, as gitops-engine's sync context does: each call
to `advance` checks the running tasks, then applies the next phase and wave. A single-step
sync succeeds once applied (health is the Application's business, not the operation's);
with waves or hooks each step waits until its resources are healthy and its hooks complete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envman.sandbox.argocd.destination import ApplyError, Destination, group_version
from envman.sandbox.argocd.health import DEGRADED, HEALTHY, health_of
from envman.sandbox.argocd.tasks import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    Plan,
    Task,
    delete_policies,
    sync_options,
)

Obj = dict[str, Any]

OP_RUNNING, OP_SUCCEEDED, OP_FAILED, OP_ERROR = "Running", "Succeeded", "Failed", "Error"


@dataclass(frozen=True)
class Outcome:
    """The operation's phase and message after a step."""

    phase: str
    message: str


def _reason(message: str, tasks: list[Task]) -> str:
    messages = [t.message for t in tasks if t.status == "SyncFailed" or t.state == FAILED]
    return f"{message}, reason: {','.join(messages)}" if messages else message


class SyncRun:
    """One operation of one Application against its destination."""

    def __init__(self, plan: Plan, destination: Destination, *, prune: bool) -> None:
        self.plan = plan
        self.destination = destination
        self.prune = prune

    def advance(self) -> Outcome:
        """Check what runs, then start the next step; the operation's phase and message."""
        running = [t for t in self.plan.tasks if t.state == RUNNING]
        for task in running:
            self._check(task)
        still = [t for t in running if t.state == RUNNING]
        if still:
            first = still[0]
            what = "completion of hook" if first.hook else "healthy state of"
            return Outcome(OP_RUNNING, f"waiting for {what} {_gk(first.obj)}/{first.obj['metadata']['name']}")
        failed = [t for t in self.plan.tasks if t.state == FAILED]
        if failed:
            return Outcome(
                OP_FAILED, _reason("one or more synchronization tasks completed unsuccessfully", failed)
            )
        step = self.plan.pending_step()
        if not step:
            return Outcome(OP_SUCCEEDED, "successfully synced (all tasks run)")
        for task in step:
            self._run(task)
        if any(t.status == "SyncFailed" for t in step):
            return Outcome(OP_FAILED, _reason("one or more objects failed to apply", step))
        final = not self.plan.pending_step()
        if final and not any(t.hook for t in step):
            for task in step:
                task.state = SUCCEEDED
            return Outcome(OP_SUCCEEDED, "successfully synced (all tasks run)")
        return Outcome(OP_RUNNING, "one or more tasks are running")

    # --- one task ----------------------------------------------------------------------

    def _run(self, task: Task) -> None:
        if task.prune is not None:
            self._prune(task)
            return
        if task.hook and "BeforeHookCreation" in delete_policies(task.obj):
            ident = self.destination.ident(task.obj)
            if ident is not None:
                self.destination.delete(ident)
        try:
            task.message = self.destination.apply(task.obj)
        except ApplyError as exc:
            task.status, task.state, task.message = "SyncFailed", FAILED, str(exc)
            return
        task.status, task.state = "Synced", RUNNING

    def _prune(self, task: Task) -> None:
        assert task.prune is not None
        task.state = SUCCEEDED
        if not self.prune:
            task.status, task.message = "PruneSkipped", "ignored (requires pruning)"
        elif "Prune=false" in sync_options(task.obj):
            task.status, task.message = "PruneSkipped", "ignored (no prune)"
        else:
            self.destination.delete(task.prune)
            task.status, task.message = "Pruned", "pruned"

    def _check(self, task: Task) -> None:
        live = self.destination.get(task.obj)
        if live is None:
            task.state, task.status = FAILED, "SyncFailed"
            name = task.obj["metadata"]["name"]
            task.message = f"Resource {_gk(task.obj)}/{name} is missing, it might have been deleted"
            return
        state, message = (_hook_state if task.hook else _resource_state)(live)
        if state == RUNNING:
            return
        task.state = state
        task.message = message or task.message
        if task.hook:
            self._after_hook(task)

    def _after_hook(self, task: Task) -> None:
        policy = "HookSucceeded" if task.state == SUCCEEDED else "HookFailed"
        ident = self.destination.ident(task.obj)
        if policy in delete_policies(task.obj) and ident is not None:
            self.destination.delete(ident)


def _gk(obj: Obj) -> str:
    """`apps/Deployment`, as gitops-engine names a task's kind in its messages."""
    return f"{group_version(obj)[0]}/{obj.get('kind')}"


def _resource_state(live: Obj) -> tuple[str, str]:
    """A resource of an earlier wave: done when healthy (or without a health check), failed
    when Degraded, else still running."""
    health = health_of(live)
    if health is None or health.status == HEALTHY:
        return SUCCEEDED, health.message if health else ""
    if health.status == DEGRADED:
        return FAILED, health.message
    return RUNNING, ""


def _hook_state(live: Obj) -> tuple[str, str]:
    """A hook: a Pod by its phase, anything else (a Job) by its health."""
    if live.get("kind") != "Pod":
        return _resource_state(live)
    status = live.get("status") or {}
    ended = {"Succeeded": SUCCEEDED, "Failed": FAILED}.get(str(status.get("phase")))
    return (ended, str(status.get("message") or "")) if ended else (RUNNING, "")
