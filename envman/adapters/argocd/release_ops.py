"""`ReleaseOps` (and `ReleaseReader`) of one destination cluster through the hub's Argo CD.

An upgrade or install applies the release's Application (server-side, under envman's field
manager), then starts a sync as `argocd app sync` does (the `operation` field: the revision,
`initiatedBy.username: envman`, the sync options) and waits, up to the release's timeout,
for the operation to succeed and the Application to be `Synced` at that revision and
`Healthy`. A failed or errored operation, or `Degraded` health, fails the release with Argo
CD's message (unless the Application was Degraded before: then its old, failed pods are
being replaced, and Healthy is waited for). Each successful sync's spec is recorded in the Application's
`envman.io/revisions` annotation under Argo CD's history id: a rollback to a revision
re-applies that spec and syncs it. An uninstall deletes the Application; its finalizer has
Argo CD delete the release's resources first. A sync already running (a crashed run's) is
waited for before a new one starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from envman.adapters.argocd.hub import Applications
from envman.gates.ports import TestResult
from envman.kit.errors import DriverError
from envman.plan.argocd.applications import (
    CARRIED,
    CLUSTER_LABEL,
    REVISIONS_ANNOTATION,
    VERSION_ANNOTATION,
    Hub,
    Placement,
    application,
    restored,
    sync_operation,
)
from envman.plan.argocd.names import label_value
from envman.plan.argocd.progress import sync_state
from envman.plan.argocd.reading import health_of, history, live_release, operation_running, release_key
from envman.plan.argocd.revisions import (
    SyncedSpec,
    annotations_of,
    history_id,
    history_of,
    last_revision,
    revision_of,
    synced_spec,
    with_synced,
)
from envman.plan.cluster_state import APP_LABEL, ENV_LABEL, LiveRelease
from envman.plan.desired import ChartSource
from envman.rollout.ports import Clock, ReleaseRevision

POLL_SECONDS = 1.0
Obj = dict[str, Any]


class ArgoSyncError(DriverError):
    """Argo CD did not sync a release: its operation failed, the Application turned
    Degraded, or it did not get there in time (Argo CD's message)."""


@dataclass(frozen=True)
class Destination:
    """One destination cluster of an environment, as its Applications are made."""

    environment: str
    cluster: str
    hub: Hub
    places: Mapping[str, Placement]
    """app -> where its Application goes."""
    source_of: Callable[[ChartSource], dict[str, Any]]
    """The Application source of a chart (a local chart's git repository at the commit)."""

    @property
    def selector(self) -> str:
        return f"{ENV_LABEL}={label_value(self.environment)},{CLUSTER_LABEL}={label_value(self.cluster)}"


def destinations(
    environment: str,
    clusters: Iterable[str],
    hub: Hub,
    places: Mapping[tuple[str, str], Placement],
    source_of: Callable[[ChartSource], dict[str, Any]],
) -> dict[str, Destination]:
    """Every cluster's `Destination` with its Applications' placements."""
    mine: dict[str, dict[str, Placement]] = {c: {} for c in clusters}
    for (cluster, app), place in places.items():
        mine.setdefault(cluster, {})[app] = place
    return {c: Destination(environment, c, hub, apps, source_of) for c, apps in mine.items()}


class ArgoReleaseOps:
    """The engine's release operations on one destination cluster, applied by Argo CD."""

    def __init__(
        self, api: Applications, destination: Destination, clock: Clock, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self._api = api
        self._dest = destination
        self._clock = clock
        self._poll = poll_seconds

    async def upgrade_install(
        self,
        release: str,
        namespace: str,
        chart: ChartSource,
        values: Mapping[str, Any],
        *,
        timeout: float,
        labels: Mapping[str, str],
        wait: bool = True,
        create_namespace: bool = True,
        force: bool = False,
        recover: bool = True,
        force_conflicts: bool = False,
    ) -> ReleaseRevision:
        app = labels.get(APP_LABEL, "")
        place = self._dest.places.get(app)
        if place is None:
            raise ArgoSyncError(f"{self._dest.cluster}: app {app!r} has no Application here")
        body = application(
            place,
            self._dest.hub,
            release=release,
            namespace=namespace,
            source=self._dest.source_of(chart),
            values=values,
            version=chart.version,
            carried=labels,
            ignore=place.ignore,
        )
        return await self._sync(body, timeout)

    async def rollback(
        self, release: str, namespace: str, revision: int | None = None, *, timeout: float, wait: bool = True
    ) -> ReleaseRevision:
        live = await self._find(release, namespace)
        if live is None:
            raise ArgoSyncError(f"{self._where(release, namespace)}: no Application to roll back")
        revisions = [revision_of(int(e["id"])) for e in history_of(live)]
        target = revision if revision is not None else (revisions[-2] if len(revisions) > 1 else None)
        spec = synced_spec(live, target) if target is not None else None
        if spec is None:
            held = ", ".join(map(str, revisions)) or "none"
            raise ArgoSyncError(f"{_name(live)}: no revision {target} to roll back to (Argo CD holds {held})")
        return await self._sync(restored(live, spec.source, spec.annotations), timeout)

    async def uninstall(self, release: str, namespace: str, *, timeout: float, wait: bool = True) -> None:
        live = await self._find(release, namespace)
        if live is None:
            return
        name = _name(live)
        await self._api.delete(name)
        deadline = self._clock.now() + timeout
        while wait and await self._api.get(name) is not None:
            if self._clock.now() >= deadline:
                raise ArgoSyncError(
                    f"{name}: timed out after {timeout:.0f}s waiting for Argo CD to delete it and its objects"
                )
            await self._clock.sleep(self._poll)

    async def history(self, release: str, namespace: str) -> list[ReleaseRevision]:
        live = await self._find(release, namespace)
        return [_revision(r) for r in history(live)] if live is not None else []

    async def test(self, release: str, namespace: str, *, timeout: float) -> TestResult:
        raise ArgoSyncError(
            f"{self._where(release, namespace)}: helm test needs the helm engine (Argo CD runs no helm tests)"
        )

    async def status(self, release: str, namespace: str) -> ReleaseRevision | None:
        live = await self._find(release, namespace)
        return _revision(live_release(live)) if live is not None else None

    async def get_values(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any]:
        live = await self._find(release, namespace)
        if live is None:
            return {}
        found = [r for r in history(live) if r.revision == revision] if revision else [live_release(live)]
        return dict(found[0].values) if found else {}

    async def get_manifest(self, release: str, namespace: str) -> str:
        return ""  # Argo CD keeps no manifest in the Application

    async def list_releases(
        self, all_namespaces: bool = True, selector: Mapping[str, str] | None = None
    ) -> list[ReleaseRevision]:
        found = await self._api.list(self._dest.selector)
        releases = [live_release(obj) for obj in found]
        wanted = dict(selector or {})
        return [_revision(r) for r in releases if all(r.labels.get(k) == v for k, v in wanted.items())]

    async def _find(self, release: str, namespace: str) -> Obj | None:
        found = await self._api.list(self._dest.selector)
        return next((obj for obj in found if release_key(obj) == (namespace, release)), None)

    def _where(self, release: str, namespace: str) -> str:
        return f"{self._dest.cluster}: release {namespace}/{release}"

    async def _sync(self, body: Obj, timeout: float) -> ReleaseRevision:
        """Apply `body`, start its sync, wait for it; the new revision."""
        name = body["metadata"]["name"]
        deadline = self._clock.now() + timeout
        live = await self._api.get(name)
        was_degraded = live is not None and health_of(live) == "Degraded"
        if live is not None and operation_running(live):
            live = await self._poll_until(
                name, deadline, lambda obj: not operation_running(obj), "its running sync"
            )
        if live is not None and REVISIONS_ANNOTATION in annotations_of(live):
            body["metadata"]["annotations"][REVISIONS_ANNOTATION] = annotations_of(live)[REVISIONS_ANNOTATION]
        await self._api.apply(body)
        source = body["spec"]["source"]
        revision = str(source.get("targetRevision") or "")
        operation = sync_operation(revision, body["spec"]["syncPolicy"]["syncOptions"])
        await self._api.patch(name, {"operation": operation}, "start a sync")
        synced = await self._until_synced(name, revision, deadline, timeout, degraded_fails=not was_degraded)
        kept = {
            k: v for k, v in body["metadata"]["annotations"].items() if k in (*CARRIED, VERSION_ANNOTATION)
        }
        record = SyncedSpec(
            history_id(last_revision(synced)), source, kept, _now().isoformat(timespec="seconds")
        )
        patch = {"metadata": {"annotations": {REVISIONS_ANNOTATION: with_synced(synced, record)}}}
        recorded = await self._api.patch(name, patch, "record the synced spec")
        return _revision(live_release(recorded))

    async def _until_synced(
        self, name: str, revision: str, deadline: float, timeout: float, *, degraded_fails: bool
    ) -> Obj:
        while True:
            obj = await self._api.get(name)
            if obj is None:
                raise ArgoSyncError(f"{name}: the Application was deleted while it synced")
            state = sync_state(obj, revision, degraded_fails=degraded_fails)
            if state.failure is not None:
                raise ArgoSyncError(f"{name}: {state.failure}")
            if state.done:
                return obj
            if self._clock.now() >= deadline:
                raise ArgoSyncError(
                    f"{name}: timed out after {timeout:.0f}s waiting for Synced and Healthy ({state.detail})"
                )
            await self._clock.sleep(self._poll)

    async def _poll_until(
        self, name: str, deadline: float, ready: Callable[[Obj], bool], what: str
    ) -> Obj | None:
        while True:
            obj = await self._api.get(name)
            if obj is None or ready(obj):
                return obj
            if self._clock.now() >= deadline:
                raise ArgoSyncError(f"{name}: timed out waiting for {what} to finish")
            await self._clock.sleep(self._poll)


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _now() -> datetime:
    return datetime.now(UTC)


def _revision(release: LiveRelease) -> ReleaseRevision:
    return ReleaseRevision(
        name=release.name,
        namespace=release.namespace,
        revision=release.revision,
        status=release.status,
        chart=release.chart_name,
        chart_version=release.chart_version,
        app_version="",
        updated=release.updated or _now(),
        labels=release.labels,
    )
