"""The operations the controller runs: one per Application whose `operation` field asks for a
sync (as `argocd app sync` sets it), from its start (the revision resolved and rendered, the
namespace created, the tasks planned) until it is finished and written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envman.sandbox.argocd import app_status
from envman.sandbox.argocd.comparison import compare
from envman.sandbox.argocd.desired import Desired, generation_error
from envman.sandbox.argocd.destination import Destination, Ident
from envman.sandbox.argocd.sources import SourceError
from envman.sandbox.argocd.sync import OP_ERROR, OP_RUNNING, Outcome, SyncRun
from envman.sandbox.argocd.tasks import is_hook, plan

Obj = dict[str, Any]
DesiredOf = Callable[[Obj, Destination, str], Desired]
"""(Application, destination, revision) -> what it renders there (SourceError when it cannot)."""
TrackedOf = Callable[[str, Destination], set[Ident]]


@dataclass
class Running:
    """An operation in progress (or finished but not yet written)."""

    operation: Obj
    run: SyncRun | None
    started: str
    revision: str
    source: Obj
    outcome: Outcome

    @property
    def finished(self) -> bool:
        return self.outcome.phase != OP_RUNNING

    def state(self) -> Obj:
        """`status.operationState` as it stands."""
        tasks = self.run.plan.tasks if self.run else []
        return app_status.operation_state(
            self.operation, self.started, self.outcome, self.revision, self.source, tasks
        )


class Operations:
    """The operations in progress, by Application name."""

    def __init__(self, desired: DesiredOf, tracked: TrackedOf) -> None:
        self._desired = desired
        self._tracked = tracked
        self.running: dict[str, Running] = {}

    def step(self, app: Obj, destination: Destination | None, conditions: list[Obj]) -> None:
        """Start the operation `app` asks for (unless one runs), then take its next step."""
        name = app["metadata"]["name"]
        operation = app.get("operation")
        running = self.running.get(name)
        if running is not None and operation != running.operation and not running.finished:
            running = None
        if operation and running is None:
            running = self._start(app, operation, destination, conditions)
            self.running[name] = running
        if running is not None and running.run is not None and not running.finished:
            running.outcome = running.run.advance()

    def _start(
        self, app: Obj, operation: Obj, destination: Destination | None, conditions: list[Obj]
    ) -> Running:
        spec = app.get("spec") or {}
        source = spec.get("source") or {}
        sync = operation.get("sync") or {}
        revision = str(sync.get("revision") or source.get("targetRevision") or "")
        started = app_status.now()

        def error(message: str) -> Running:
            return Running(operation, None, started, revision, source, Outcome(OP_ERROR, message))

        if conditions or destination is None:
            return error(";".join(f"{c['type']}: {c['message']}" for c in conditions))
        try:
            desired = self._desired(app, destination, revision)
        except SourceError as exc:
            return error(f"ComparisonError: {generation_error(exc)}")
        options = {
            *(((spec.get("syncPolicy") or {}).get("syncOptions")) or []),
            *(sync.get("syncOptions") or []),
        }
        namespace = str((spec.get("destination") or {}).get("namespace") or "")
        if "CreateNamespace=true" in options and namespace:
            destination.ensure_namespace(namespace)
        tracked = self._tracked(app["metadata"]["name"], destination)
        targets = [o for o in desired.objects if not is_hook(o)]
        extra = compare(targets, destination, tracked, pod_health=False).extra
        run = SyncRun(plan(desired.objects, extra), destination, prune=bool(sync.get("prune")))
        return Running(operation, run, started, desired.revision, source, Outcome(OP_RUNNING, ""))
