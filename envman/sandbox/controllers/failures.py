"""What `fail` breaks: the pods of pod templates first seen after it, in the way its mode says.

A bad release brings new pod templates (a new image, new values); a rollback's target and a
scale-up of the old ReplicaSet bring templates the cluster knew before. So a failure records
the templates known at the moment of `fail` (every template seen so far, and those of the
pods, ReplicaSets, ControllerRevisions, StatefulSets, DaemonSets and Jobs present), and only
pods of other templates fail. A template is keyed by its pod's `pod-template-hash` label
(ReplicaSet pods), `controller-revision-hash` (StatefulSet and DaemonSet pods), else by a
hash of its containers (Job and bare pods).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from envman.sandbox.controllers.workloads import (
    HASH_LABEL,
    REVISION_LABEL,
    daemonset_revision,
    statefulset_revision,
    template_hash,
)
from envman.sandbox.pod_defaults import template_view
from envman.sandbox.store import Store

Obj = dict[str, Any]

NEVER_READY, IMAGE_PULL, CRASH_LOOP, UNSCHEDULABLE, JOB_FAIL = (
    "never-ready",
    "image-pull",
    "crash-loop",
    "unschedulable",
    "job-fail",
)
MODES = (NEVER_READY, IMAGE_PULL, CRASH_LOOP, UNSCHEDULABLE, JOB_FAIL)
DEFAULT_MODE = NEVER_READY
ALL_APPS = "*"


def runs_to_completion(pod: Obj) -> bool:
    """A pod that is done when its containers exit (Job and `helm test` pods), not kept running."""
    return bool((pod.get("spec") or {}).get("restartPolicy", "Always") != "Always")


def affects(mode: str, pod: Obj) -> bool:
    """Whether a pod of a new template fails in `mode`: a failing readiness probe only keeps a
    long-running pod from being ready, `job-fail` only fails what runs to completion."""
    if mode == NEVER_READY:
        return not runs_to_completion(pod)
    if mode == JOB_FAIL:
        return runs_to_completion(pod)
    return True


def template_key(pod: Obj) -> str:
    """The pod template a pod was made from."""
    labels = pod["metadata"].get("labels") or {}
    for label in (HASH_LABEL, REVISION_LABEL):
        if labels.get(label):
            return f"{label}={labels[label]}"
    return _containers_key(pod.get("spec") or {})


def _containers_key(spec: Obj) -> str:
    """A hash of the containers of a pod spec as its template had them: what the API server
    adds to a pod alone (the token mount, requests defaulted from limits) does not count."""
    containers = {k: [template_view(c) for c in spec.get(k) or []] for k in ("initContainers", "containers")}
    return f"containers={template_hash(containers)}"


def _template_labels(obj: Obj) -> Obj:
    return dict(((obj.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {})


def cluster_templates(store: Store) -> set[str]:
    """The keys of every pod template present in the cluster."""
    keys = {template_key(pod) for pod in store.items("/pods")}
    for rs in store.items("apps/replicasets"):
        if value := _template_labels(rs).get(HASH_LABEL):
            keys.add(f"{HASH_LABEL}={value}")
    for revision in store.items("apps/controllerrevisions"):
        value = (revision["metadata"].get("labels") or {}).get(REVISION_LABEL) or revision["metadata"]["name"]
        keys.add(f"{REVISION_LABEL}={value}")
    for sts in store.items("apps/statefulsets"):
        status = sts.get("status") or {}
        revisions = {statefulset_revision(sts), status.get("currentRevision"), status.get("updateRevision")}
        keys |= {f"{REVISION_LABEL}={r}" for r in revisions if r}
    keys |= {f"{REVISION_LABEL}={daemonset_revision(ds)}" for ds in store.items("apps/daemonsets")}
    for job in store.items("batch/jobs"):
        keys.add(_containers_key((job["spec"].get("template") or {}).get("spec") or {}))
    return keys


@dataclass(frozen=True)
class Failure:
    """One `fail`: its mode, and the templates known when it began (their pods start as usual)."""

    mode: str
    known: frozenset[str]


@dataclass
class Failures:
    """The failures of one cluster, by app (`ALL_APPS` for the whole cluster), and every
    template seen on a pod no failure applied to."""

    failing: dict[str, Failure] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def fail(self, app: str | None, mode: str, present: Iterable[str]) -> None:
        """Make the new templates of `app` (or all) fail in `mode`; a second `fail` of the same
        app changes the mode and keeps the templates known at the first."""
        if mode not in MODES:
            raise ValueError(f"unknown failure mode {mode!r} (expected one of {', '.join(MODES)})")
        name = app or ALL_APPS
        before = self.failing.get(name)
        known = before.known if before else frozenset(self.seen | set(present))
        self.failing[name] = Failure(mode, known)

    def heal(self, healed: Iterable[str]) -> None:
        """Forget every failure; the templates of the `healed` pods count as seen from now on."""
        self.failing.clear()
        self.seen |= set(healed)

    def fate(self, pod: Obj, releases: Callable[[], set[str]]) -> str | None:
        """The mode a new pod fails in, or None when it starts as usual (and its template is seen)."""
        key = template_key(pod)
        failure = None
        if self.failing:
            apps = sorted(releases() & set(self.failing))
            failure = self.failing[apps[0]] if apps else self.failing.get(ALL_APPS)
        if failure is None:
            self.seen.add(key)
            return None
        if key in failure.known or not affects(failure.mode, pod):
            return None
        return failure.mode

    def report(self) -> list[Obj]:
        """The failing apps (None for all) and their modes, as the admin status shows them."""
        return [
            {"app": None if name == ALL_APPS else name, "mode": failure.mode}
            for name, failure in sorted(self.failing.items())
        ]
