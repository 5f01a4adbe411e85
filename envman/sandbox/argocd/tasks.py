"""An Application's sync as gitops-engine plans it: one task per object (hooks included, as
Argo CD maps helm's), ordered by phase (PreSync, Sync, PostSync) and sync wave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from envman.sandbox.argocd.definitions import (
    HELM_HOOK,
    HELM_HOOK_DELETE_POLICY,
    HELM_HOOK_WEIGHT,
    HELM_RESOURCE_POLICY,
    HOOK,
    HOOK_DELETE_POLICY,
    SYNC_OPTIONS,
    SYNC_WAVE,
)
from envman.sandbox.argocd.destination import Ident, group_version

Obj = dict[str, Any]

PRE_SYNC, SYNC, POST_SYNC = "PreSync", "Sync", "PostSync"
PHASES = (PRE_SYNC, SYNC, POST_SYNC)
_HELM_HOOKS = {
    "pre-install": PRE_SYNC,
    "pre-upgrade": PRE_SYNC,
    "post-install": POST_SYNC,
    "post-upgrade": POST_SYNC,
}
_HELM_DELETE_POLICIES = {
    "before-hook-creation": "BeforeHookCreation",
    "hook-succeeded": "HookSucceeded",
    "hook-failed": "HookFailed",
}

PENDING, RUNNING, SUCCEEDED, FAILED = "Pending", "Running", "Succeeded", "Failed"


def _annotations(obj: Obj) -> dict[str, str]:
    return {str(k): str(v) for k, v in (obj["metadata"].get("annotations") or {}).items()}


def _csv(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def is_hook(obj: Obj) -> bool:
    """Argo CD's `IsHook`: an Argo CD hook other than `Skip`, or any helm hook but `crd-install`."""
    notes = _annotations(obj)
    if HOOK in notes:
        return _csv(notes[HOOK]) != ["Skip"]
    return HELM_HOOK in notes and notes[HELM_HOOK] != "crd-install"


def hook_types(obj: Obj) -> list[str]:
    """The phases a hook runs in: Argo CD's own annotation, else helm's mapped (tests: none)."""
    notes = _annotations(obj)
    own = [t for t in _csv(notes.get(HOOK)) if t in PHASES]
    if own or HOOK in notes:
        return own
    return sorted({_HELM_HOOKS[t] for t in _csv(notes.get(HELM_HOOK)) if t in _HELM_HOOKS}, key=PHASES.index)


def delete_policies(obj: Obj) -> set[str]:
    notes = _annotations(obj)
    policies = set(_csv(notes.get(HOOK_DELETE_POLICY)))
    policies |= {
        _HELM_DELETE_POLICIES[p]
        for p in _csv(notes.get(HELM_HOOK_DELETE_POLICY))
        if p in _HELM_DELETE_POLICIES
    }
    return policies or {"BeforeHookCreation"}


def wave(obj: Obj) -> int:
    notes = _annotations(obj)
    text = notes.get(SYNC_WAVE) or (notes.get(HELM_HOOK_WEIGHT) if is_hook(obj) else None) or "0"
    try:
        return int(text)
    except ValueError:
        return 0


def sync_options(obj: Obj) -> set[str]:
    return set(_csv(_annotations(obj).get(SYNC_OPTIONS)))


def kept(obj: Obj) -> bool:
    """Left in place when its Application is deleted: `Delete=false`, or helm's
    `helm.sh/resource-policy: keep` (which Argo CD reads as the same)."""
    return "Delete=false" in sync_options(obj) or _annotations(obj).get(HELM_RESOURCE_POLICY) == "keep"


@dataclass
class Task:
    """One object to apply (or prune) in one phase and wave, and how that went."""

    obj: Obj
    phase: str
    wave: int
    hook: bool = False
    prune: Ident | None = None
    state: str = PENDING
    status: str = ""
    message: str = ""

    def result(self) -> Obj:
        """The task as `syncResult.resources` lists it."""
        group, version = group_version(self.obj)
        meta = self.obj["metadata"]
        doc: Obj = {
            "group": group,
            "version": version,
            "kind": self.obj.get("kind", ""),
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
            "status": self.status or "Synced",
            "message": self.message,
            "syncPhase": self.phase,
        }
        if self.hook:
            doc.update(hookType=self.phase, hookPhase=self.state)
        return doc


@dataclass
class Plan:
    """Every task of one sync operation, in the order they run."""

    tasks: list[Task] = field(default_factory=list)

    def pending_step(self) -> list[Task]:
        """The pending tasks of the lowest phase and wave."""
        pending = [t for t in self.tasks if t.state == PENDING]
        if not pending:
            return []
        first = min((PHASES.index(t.phase), t.wave) for t in pending)
        return [t for t in pending if (PHASES.index(t.phase), t.wave) == first]


def plan(targets: list[Obj], extra: list[tuple[Ident, Obj]]) -> Plan:
    """The tasks for rendered `targets` (hooks among them) and the live objects no longer
    rendered (`extra`: pruned, in the Sync phase at their own wave)."""
    tasks: list[Task] = []
    for obj in targets:
        if not is_hook(obj):
            tasks.append(Task(obj, SYNC, wave(obj)))
            continue
        tasks += [Task(obj, phase, wave(obj), hook=True) for phase in hook_types(obj)]
    tasks += [Task(live, SYNC, wave(live), prune=ident) for ident, live in extra]
    tasks.sort(key=lambda t: (PHASES.index(t.phase), t.wave))
    return Plan(tasks)
