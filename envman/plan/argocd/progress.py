"""How far a sync envman started has come (pure): judged from the Application as the hub
returns it, against the revision envman asked for.

Argo CD's application controller takes the `operation` envman set, runs it (`status.
operationState.phase: Running`), records the outcome (`Succeeded`, `Failed`, `Error`) and
clears `operation`. The release is done when the operation it started has succeeded, the
Application is `Synced` at that revision and `Healthy`; it has failed when the operation
failed or errored, or the Application turned `Degraded`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envman.plan.argocd.reading import FAILED_PHASES, health_problems, operation_running

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class SyncState:
    """`done` (succeeded), or `failure` (Argo CD's message), or neither yet; `detail` says where it is."""

    done: bool
    failure: str | None
    detail: str


def sync_state(obj: Obj, revision: str) -> SyncState:
    """Where the sync at `revision` of `obj` is."""
    status = obj.get("status") or {}
    state = status.get("operationState") or {}
    phase = state.get("phase")
    sync = status.get("sync") or {}
    health = status.get("health") or {}
    detail = (
        f"operation {phase or 'requested'}, {sync.get('status') or 'Unknown'}"
        f" at {str(sync.get('revision') or '?')[:12]}, {health.get('status') or 'Unknown'}"
    )
    if operation_running(obj):
        return SyncState(False, None, detail)
    if phase in FAILED_PHASES:
        message = state.get("message") or (state.get("syncResult") or {}).get("message") or phase
        return SyncState(False, f"sync {str(phase).lower()}: {message}", detail)
    if health.get("status") == "Degraded":
        return SyncState(
            False, "Degraded: " + "; ".join(health_problems(obj)[1:] or health_problems(obj)), detail
        )
    synced = sync.get("status") == "Synced" and sync.get("revision") == revision
    return SyncState(phase == "Succeeded" and synced and health.get("status") == "Healthy", None, detail)
