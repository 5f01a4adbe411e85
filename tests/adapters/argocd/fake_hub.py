"""An in-memory hub at the adapter's `Applications` seam: Applications stored as the API
server keeps them (each write checked against the vendored CRD, unknown fields rejected), and a controller that runs each requested sync the way Argo CD's does
(operation taken, outcome recorded, history appended on success, `operation` cleared), with
the outcome chosen per Application."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

from envman.adapters.argocd.release_ops import Destination, destinations
from envman.plan.argocd.applications import GitSource, Hub, chart_source, placements
from envman.plan.desired import ChartSource
from envman.plan.fleet import Fleet
from envman.sandbox.patch import merge_patch
from tests.argocd_schema import assert_valid

Obj = dict[str, Any]
OK, DEGRADED, FAILED, STUCK = "ok", "degraded", "failed", "stuck"
NOW = "2026-12-01T10:00:00Z"


class FakeHub:
    def __init__(self) -> None:
        self.objects: dict[str, Obj] = {}
        self.outcomes: dict[str, str] = {}
        """Application name -> how its syncs end (default: ok)."""
        self.judge: Callable[[Obj], str | None] = lambda obj: None
        """How a sync of this Application ends, when it says (a bad image fails wherever it goes)."""
        self.calls: list[tuple[str, str]] = []
        self.applied: list[Obj] = []
        self.operations: list[tuple[str, Obj]] = []

    async def list(self, selector: str) -> list[Obj]:
        self.calls.append(("list", selector))
        wanted = dict(part.split("=", 1) for part in selector.split(",") if part)
        found = []
        for name in sorted(self.objects):
            labels = self.objects[name]["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in wanted.items()):
                found.append(await self.get(name, record=False))
        return [obj for obj in found if obj is not None]

    async def get(self, name: str, *, record: bool = True) -> Obj | None:
        if record:
            self.calls.append(("get", name))
        if name not in self.objects:
            return None
        self._reconcile(self.objects[name])
        return copy.deepcopy(self.objects[name])

    async def apply(self, body: Obj) -> Obj:
        name = body["metadata"]["name"]
        assert_valid(body)  # as `kubectl apply --validate=strict` would check it
        self.calls.append(("apply", name))
        self.applied.append(copy.deepcopy(body))
        live = self.objects.setdefault(name, {"metadata": {}, "status": {}})
        for key in ("apiVersion", "kind", "spec"):
            live[key] = copy.deepcopy(body[key])
        for key in ("name", "namespace", "labels", "annotations", "finalizers"):
            live["metadata"][key] = copy.deepcopy(body["metadata"].get(key))
        return copy.deepcopy(live)

    async def patch(self, name: str, patch: Obj, what: str) -> Obj:
        self.calls.append(("patch", name))
        if "operation" in patch:
            self.operations.append((name, copy.deepcopy(patch["operation"])))
        self.objects[name] = merge_patch(self.objects[name], patch)
        assert_valid(self.objects[name])
        return copy.deepcopy(self.objects[name])

    async def delete(self, name: str) -> None:
        self.calls.append(("delete", name))
        self.objects.pop(name, None)

    def _reconcile(self, obj: Obj) -> None:
        operation = obj.get("operation")
        outcome = self.judge(obj) or self.outcomes.get(obj["metadata"]["name"], OK)
        if not operation or outcome == STUCK:
            return
        status = obj.setdefault("status", {})
        source = copy.deepcopy(obj["spec"]["source"])
        revision = operation["sync"]["revision"]
        state = {"operation": operation, "phase": "Succeeded", "startedAt": NOW, "finishedAt": NOW,
                 "message": "successfully synced (all tasks run)", "syncResult": {"revision": revision}}  # fmt: skip
        if outcome == FAILED:
            state.update(phase="Failed", message="one or more objects failed to apply, reason: boom")
        else:
            history = status.setdefault("history", [])
            history.append({"id": len(history), "revision": revision, "deployedAt": NOW, "source": source})
            compared = {"source": source, "destination": copy.deepcopy(obj["spec"]["destination"])}
            status["sync"] = {"status": "Synced", "revision": revision, "comparedTo": compared}
            healthy = outcome == OK
            status["health"] = (
                {"status": "Healthy"} if healthy else {"status": "Degraded", "message": "pod failed"}
            )
            status["resources"] = [
                {"group": "apps", "version": "v1", "kind": "Deployment", "name": "x",
                 "namespace": obj["spec"]["destination"]["namespace"], "status": "Synced",
                 "health": {"status": "Healthy"} if healthy else
                 {"status": "Degraded", "message": "Back-off pulling image \"bad\""}},
            ]  # fmt: skip
        status["operationState"] = state
        del obj["operation"]


def fleet_destinations(fleet: Fleet, hub: Hub, git: GitSource) -> dict[str, Destination]:
    """Every cluster's `Destination`, local charts read from `git`."""

    def source_of(chart: ChartSource) -> dict[str, Any]:
        spec = os.path.relpath(chart.ref, fleet.env.root) if not chart.remote else chart.ref
        return chart_source(chart, spec, git if not chart.remote else None)

    return destinations(fleet.env.name, fleet.env.clusters, hub, placements(fleet), source_of)
