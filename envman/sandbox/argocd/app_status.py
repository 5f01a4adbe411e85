"""The `status` of an Application as Argo CD's controller writes it: sync, health, resources,
summary, conditions, the operation's state and the sync history."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from envman.sandbox.argocd.comparison import UNKNOWN, Comparison
from envman.sandbox.argocd.sync import Outcome
from envman.sandbox.argocd.tasks import Task

Obj = dict[str, Any]

DEFAULT_HISTORY_LIMIT = 10
_CHURN = ("reconciledAt",)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def compared(
    status: Obj,
    spec: Obj,
    revision: str,
    comparison: Comparison | None,
    conditions: list[Obj],
    namespace: str,
) -> Obj:
    """`status` with the comparison's sync, health, resources and summary, and `conditions`."""
    result = copy.deepcopy(status)
    comparison = comparison or Comparison(UNKNOWN)
    result["sync"] = {
        "status": comparison.status,
        "comparedTo": {"source": spec.get("source") or {}, "destination": spec.get("destination") or {}},
        **({"revision": revision} if revision else {}),
    }
    health = comparison.health.doc()
    before = status.get("health") or {}
    health["lastTransitionTime"] = (
        before.get("lastTransitionTime") if before.get("status") == health["status"] else None
    ) or now()
    result["health"] = health
    result["resources"] = comparison.resources
    result["summary"] = {"images": comparison.images} if comparison.images else {}
    result["sourceType"] = "Helm"
    result["controllerNamespace"] = namespace
    old = {c.get("type"): c for c in status.get("conditions") or []}
    for condition in conditions:
        kept = old.get(condition["type"])
        same = kept is not None and kept.get("message") == condition["message"]
        condition["lastTransitionTime"] = kept.get("lastTransitionTime") if same and kept else now()
    if conditions:
        result["conditions"] = conditions
    else:
        result.pop("conditions", None)
    return result


def operation_state(
    operation: Obj, started: str, outcome: Outcome, revision: str, source: Obj, tasks: list[Task]
) -> Obj:
    """`status.operationState` for an operation started at `started` that is now at `outcome`."""
    state: Obj = {
        "operation": operation,
        "phase": outcome.phase,
        "message": outcome.message,
        "startedAt": started,
        "syncResult": {
            "revision": revision,
            "source": source,
            "resources": [t.result() for t in tasks if t.status],
        },
    }
    if outcome.phase != "Running":
        state["finishedAt"] = now()
    if not state["syncResult"]["resources"]:
        del state["syncResult"]["resources"]
    return state


def with_history(status: Obj, state: Obj, source: Obj, limit: int | None) -> Obj:
    """`status` with the successful operation `state` appended to `history` (the last `limit`)."""
    history = list(status.get("history") or [])
    entry: Obj = {
        "id": max((int(h.get("id", 0)) for h in history), default=-1) + 1,
        "revision": state["syncResult"]["revision"],
        "deployedAt": state.get("finishedAt") or now(),
        "deployStartedAt": state["startedAt"],
        "source": source,
    }
    initiated = (state.get("operation") or {}).get("initiatedBy")
    if initiated:
        entry["initiatedBy"] = initiated
    history.append(entry)
    keep = DEFAULT_HISTORY_LIMIT if limit is None else max(int(limit), 1)
    return {**status, "history": history[-keep:]}


def settled(old: Obj, new: Obj) -> bool:
    """Whether `new` says nothing `old` did not (apart from when it was reconciled)."""
    return _without_churn(old) == _without_churn(new)


def _without_churn(status: Obj) -> Obj:
    return {k: v for k, v in status.items() if k not in _CHURN}
