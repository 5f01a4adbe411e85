"""The emulated Argo CD application controller: one thread on the hub that reconciles every
Application when it, its destination's objects or Argo CD's settings change, and all of them
every `resync` seconds (an idle hub waits on an event, it does not poll the clusters).

Reconciling an Application: resolve its destination (cluster Secrets) and project, render its
source (cached), run its requested `operation` (a `SyncRun`), compare and judge health, and
write `status` only when it changed; an Application being deleted with Argo CD's resources
finalizer has its objects deleted first.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from envman.sandbox.api import Api
from envman.sandbox.argocd import app_status
from envman.sandbox.argocd.comparison import Comparison, compare
from envman.sandbox.argocd.definitions import (
    APPLICATIONS,
    APPPROJECTS,
    BACKGROUND_FINALIZER,
    RESOURCES_FINALIZER,
    SECRET_TYPE_LABEL,
)
from envman.sandbox.argocd.desired import Desired, Renderer, generation_error
from envman.sandbox.argocd.destination import Destination, Ident
from envman.sandbox.argocd.operations import Operations
from envman.sandbox.argocd.settings import IN_CLUSTER, ArgoConfig
from envman.sandbox.argocd.sources import SourceError
from envman.sandbox.argocd.sync import OP_SUCCEEDED
from envman.sandbox.argocd.tasks import is_hook, kept
from envman.sandbox.argocd.tracking import Tracker
from envman.sandbox.messages import Target
from envman.sandbox.status import ApiError
from envman.sandbox.store import Event

Obj = dict[str, Any]

CONTROLLER_MANAGER = "argocd-application-controller"
DEBOUNCE_SECONDS = 0.05
"""Changes arriving together (a rollout's pods) are reconciled together."""


class ApplicationController:
    """Reconciles the Applications in `namespace` of the hub `api` against the clusters of
    `apis` (by server URL)."""

    def __init__(
        self,
        api: Api,
        namespace: str,
        apis: Mapping[str, Api],
        *,
        workdir: Path,
        helm: Callable[[], Path],
        resync_seconds: float = 10.0,
        pod_health: bool = True,
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.config = ArgoConfig(api, namespace)
        self._apis = {url.rstrip("/"): cluster for url, cluster in apis.items()}
        self._apis.setdefault(IN_CLUSTER, api)
        self.renderer = Renderer(workdir, helm, self.config.access, resync_seconds)
        self.resync_seconds = resync_seconds
        self.pod_health = pod_health
        self._trackers: dict[str, Tracker] = {}
        self.operations = Operations(self._desired, self._tracked)
        self._servers: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="argocd-controller")
        api.store.listeners.append(self._on_hub_event)

    # --- the loop ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        next_resync = 0.0
        while not self._stop.is_set():
            self._wake.wait(max(0.0, next_resync - time.monotonic()))
            if self._stop.wait(DEBOUNCE_SECONDS):
                return
            self._wake.clear()
            if time.monotonic() >= next_resync:
                self.renderer.forget_refs()
                self._mark_all()
                next_resync = time.monotonic() + self.resync_seconds
            self.reconcile_dirty()

    def reconcile_dirty(self) -> None:
        """Reconcile every Application marked since the last pass."""
        with self._lock:
            names, self._dirty = sorted(self._dirty), set()
        for name in names:
            try:
                self.reconcile(name)
            except Exception:  # the controller outlives one Application's bug; the log says which
                traceback.print_exc()

    def _mark(self, *names: str) -> None:
        with self._lock:
            self._dirty.update(names)
        self._wake.set()

    def _mark_all(self) -> None:
        self._mark(*(a["metadata"]["name"] for a in self.api.store.items(APPLICATIONS, self.namespace)))

    def _on_hub_event(self, event: Event) -> None:
        meta = event.obj["metadata"]
        if meta.get("namespace") != self.namespace:
            return
        if event.key == APPLICATIONS:
            if event.old is None or _without_status(event.old) != _without_status(event.obj):
                self._mark(str(meta["name"]))
        elif event.key == APPPROJECTS or (
            event.key == "/secrets" and (meta.get("labels") or {}).get(SECRET_TYPE_LABEL)
        ):
            self._mark_all()

    def _on_destination_change(self, server: str, app: str | None) -> None:
        if app is not None:
            self._mark(app)
            return
        with self._lock:
            names = [n for n, s in self._servers.items() if s == server]
        self._mark(*names)

    # --- one Application ---------------------------------------------------------------

    def _destination(self, spec: Obj) -> Destination:
        """The destination of `spec` (ValueError with Argo CD's message when it has none)."""
        server = self.config.destination_server(spec.get("destination") or {})
        api = self._apis.get(server)
        if api is None:
            raise ValueError(f'Get "{server}/version": dial tcp: connect: connection refused')
        if server not in self._trackers:
            self._trackers[server] = Tracker(
                api, lambda app: self._on_destination_change(server, app), children=self.pod_health
            )
        name = next((c.name for c in self.config.clusters() if c.server == server), server)
        return Destination(name, server, api)

    def reconcile(self, name: str) -> None:
        app = self.api.store.get(APPLICATIONS, self.namespace, name)
        if app is None:
            self.operations.running.pop(name, None)
            return
        if app["metadata"].get("deletionTimestamp"):
            self._finalize(app)
            return
        spec = app.get("spec") or {}
        conditions: list[Obj] = []
        destination: Destination | None = None
        try:
            destination = self._destination(spec)
            with self._lock:
                self._servers[name] = destination.server
        except ValueError as exc:
            conditions.append({"type": "InvalidSpecError", "message": str(exc)})
        project = str(spec.get("project") or "")
        if not self.config.project_exists(project):
            conditions.append(
                {
                    "type": "InvalidSpecError",
                    "message": f"Application referencing project {project} which does not exist",
                }
            )
        self.operations.step(app, destination, conditions)
        self._write_status(app, destination, conditions)

    def _desired(self, app: Obj, destination: Destination, revision: str) -> Desired:
        spec = app["spec"]
        source = spec.get("source") or {}
        if spec.get("sources") or not source:
            raise SourceError("the sandbox's Argo CD serves single-source Applications only (spec.source)")
        namespace = str((spec.get("destination") or {}).get("namespace") or "")
        return self.renderer.desired(app["metadata"]["name"], source, revision, destination, namespace)

    def _tracked(self, name: str, destination: Destination) -> set[Ident]:
        return self._trackers[destination.server].tracked(name)

    # --- status ------------------------------------------------------------------------

    def _comparison(
        self, app: Obj, destination: Destination | None, conditions: list[Obj]
    ) -> tuple[str, Comparison | None]:
        if destination is None:
            return "", None
        spec = app.get("spec") or {}
        try:
            desired = self._desired(
                app, destination, str((spec.get("source") or {}).get("targetRevision") or "")
            )
        except SourceError as exc:
            conditions.append({"type": "ComparisonError", "message": generation_error(exc)})
            return "", None
        targets = [o for o in desired.objects if not is_hook(o)]
        tracked = self._tracked(app["metadata"]["name"], destination)
        return desired.revision, compare(targets, destination, tracked, pod_health=self.pod_health)

    def _write_status(self, app: Obj, destination: Destination | None, conditions: list[Obj]) -> None:
        name = app["metadata"]["name"]
        spec = app.get("spec") or {}
        old = app.get("status") or {}
        revision, comparison = self._comparison(app, destination, conditions)
        status = app_status.compared(old, spec, revision, comparison, conditions, self.namespace)
        running = self.operations.running.get(name)
        finished = running is not None and running.finished
        if running is not None:
            status["operationState"] = running.state()
            if running.outcome.phase == OP_SUCCEEDED:
                limit = spec.get("revisionHistoryLimit")
                status = app_status.with_history(status, status["operationState"], running.source, limit)
        if app_status.settled(old, status) and not finished:
            return
        status["reconciledAt"] = app_status.now()
        updated = {**app, "status": status}
        if finished and running is not None and updated.get("operation") == running.operation:
            updated.pop("operation", None)
        if self._save(updated) and finished:
            self.operations.running.pop(name, None)
            self._mark(name)

    def _save(self, app: Obj) -> bool:
        """Write `app` unless it changed meanwhile (then reconcile it again); True when written."""
        meta = app["metadata"]
        rtype = self.api.registry.by_key(APPLICATIONS)
        target = Target(rtype, rtype.versions[0], self.namespace, str(meta["name"]))
        try:
            with self.api.store.lock:
                self.api.update(target, app, {"fieldManager": CONTROLLER_MANAGER})
        except ApiError:
            self._mark(str(meta["name"]))
            return False
        return True

    # --- deletion ----------------------------------------------------------------------

    def _finalize(self, app: Obj) -> None:
        """Delete the objects of an Application being deleted with the resources finalizer,
        then drop the finalizer (the API server then deletes the Application)."""
        finalizers = list(app["metadata"].get("finalizers") or [])
        ours = {RESOURCES_FINALIZER, BACKGROUND_FINALIZER} & set(finalizers)
        if not ours:
            return
        try:
            destination = self._destination(app.get("spec") or {})
        except ValueError:
            destination = None
        if destination is not None:
            for ident in sorted(self._tracked(app["metadata"]["name"], destination)):
                live = destination.get_ident(ident)
                if live is not None and not kept(live):
                    destination.delete(ident)
        app["metadata"]["finalizers"] = [f for f in finalizers if f not in ours]
        self.operations.running.pop(app["metadata"]["name"], None)
        self._save(app)


def _without_status(app: Obj) -> Obj:
    meta = {k: v for k, v in app["metadata"].items() if k not in ("resourceVersion", "managedFields")}
    return {**{k: v for k, v in app.items() if k != "status"}, "metadata": meta}
