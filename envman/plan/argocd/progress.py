"""How far a sync envman started has come (pure): judged from the Application as the hub
returns it, against the revision envman asked for.

Argo CD's application controller takes the `operation` envman set, runs it (`status.
operationState.phase: Running`), records the outcome (`Succeeded`, `Failed`, `Error`) and
clears `operation`. The release is done when the operation it started has succeeded, the
Application is `Synced` at that revision and `Healthy`; it has failed when the operation
failed or errored, or the Application turned `Degraded` (when it was Degraded before the
sync, that is waited out: the pods being replaced are the old, failed ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envman.plan.argocd.reading import FAILED_PHASES, degraded_text, operation_running

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class SyncState:
    """`done` (succeeded), or `failure` (Argo CD's message), or neither yet; `detail` says where it is."""

    done: bool
    failure: str | None
    detail: str


def sync_state(obj: Obj, revision: str, *, degraded_fails: bool = True) -> SyncState:
    """Where the sync at `revision` of `obj` is. Without `degraded_fails` (the Application was
    Degraded before the sync: a rollback replacing failed pods, a fix of a failed release)
    Degraded health is the old pods' until they are replaced: it is waited out, not a failure."""
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
    if health.get("status") == "Degraded" and degraded_fails:
        return SyncState(False, degraded_text(obj), detail)
    synced = sync.get("status") == "Synced" and sync.get("revision") == revision
    return SyncState(phase == "Succeeded" and synced and health.get("status") == "Healthy", None, detail)
