"""Helpers for tests against the sandbox's emulated Argo CD hub: Applications as envman writes
them, a client on the hub (the real kubernetes client), and a git repository holding a chart."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client

Obj = dict[str, Any]

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
FINALIZER = "resources-finalizer.argocd.argoproj.io"


def application(
    name: str,
    source: Obj,
    *,
    destination: str = "alpha",
    namespace: str = "apps",
    sync_revision: str | None = None,
    create_namespace: bool = True,
) -> Obj:
    """An Application (with Argo CD's resources finalizer), syncing at `sync_revision` if given."""
    app: Obj = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", "finalizers": [FINALIZER]},
        "spec": {
            "project": "default",
            "destination": {"name": destination, "namespace": namespace},
            "source": source,
        },
    }
    if create_namespace:
        app["spec"]["syncPolicy"] = {"syncOptions": ["CreateNamespace=true"]}
    if sync_revision is not None:
        app["operation"] = sync_operation(sync_revision)
    return app


def sync_operation(revision: str, *, prune: bool = False) -> Obj:
    """What `argocd app sync` sets, as envman does it."""
    sync: Obj = {"revision": revision, **({"prune": True} if prune else {})}
    return {"sync": sync, "initiatedBy": {"username": "envman"}}


@dataclass
class Hub:
    """The hub's Applications through the kubernetes client."""

    api: client.ApiClient
    namespace: str = "argocd"

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    def create(self, app: Obj) -> Obj:
        created: Obj = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, app
        )
        return created

    def get(self, name: str) -> Obj:
        found: Obj = self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        return found

    def patch(self, name: str, body: Obj) -> Obj:
        patched: Obj = self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name, body
        )
        return patched

    def sync(self, name: str, revision: str, *, prune: bool = False, spec: Obj | None = None) -> None:
        """Update the spec (merge patch), then start a sync."""
        self.patch(
            name, {**({"spec": spec} if spec else {}), "operation": sync_operation(revision, prune=prune)}
        )

    def delete(self, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)

    def exists(self, name: str) -> bool:
        try:
            self.get(name)
        except client.ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def wait(self, name: str, done: Callable[[Obj], bool], timeout: float = 30.0) -> Obj:
        """The Application once `done` holds for it (polled), else an AssertionError with its status."""
        deadline = time.monotonic() + timeout
        app = self.get(name)
        while not done(app):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{name} did not get there: {app.get('status')} operation={app.get('operation')}"
                )
            time.sleep(0.05)
            app = self.get(name)
        return app


def finished(app: Obj) -> bool:
    """The requested operation has ended (Argo CD clears `operation` then)."""
    return "operation" not in app and (app.get("status") or {}).get("operationState", {}).get(
        "phase"
    ) not in (
        None,
        "Running",
    )


def health(app: Obj) -> str:
    return str(((app.get("status") or {}).get("health") or {}).get("status"))


def sync_status(app: Obj) -> str:
    return str(((app.get("status") or {}).get("sync") or {}).get("status"))


@dataclass
class ChartRepo:
    """A git repository with a chart at `charts/<name>`; `url` is its file:// URL."""

    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()

    def git(self, *args: str) -> str:
        command = ["git", "-C", str(self.path), "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def write(self, relative: str, text: str) -> None:
        (self.path / relative).write_text(text)

    @classmethod
    def with_chart(cls, folder: Path, chart: Path, name: str = "webapp") -> ChartRepo:
        folder.mkdir(parents=True)
        repo = cls(folder)
        repo.git("init", "-q", "-b", "main")
        shutil.copytree(chart, folder / "charts" / name)
        repo.commit("the chart")
        return repo
