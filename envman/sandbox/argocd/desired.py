"""An Application's desired objects: its source resolved to a revision, rendered by helm (cached
by everything the rendering depends on, as Argo CD's repo server caches manifests), then made
ready to apply (the destination namespace filled in, the tracking label added)."""

from __future__ import annotations

import copy
import json
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envman.sandbox.argocd.definitions import INSTANCE_LABEL
from envman.sandbox.argocd.destination import Destination
from envman.sandbox.argocd.render import template
from envman.sandbox.argocd.sources import RepoAccess, SourceError, Sources, is_helm_repository

Obj = dict[str, Any]


@dataclass(frozen=True)
class Desired:
    """The objects of one source at one resolved revision (hooks among them)."""

    revision: str
    objects: list[Obj]


def generation_error(error: Exception) -> str:
    """A source failure as Argo CD reports it in a ComparisonError condition."""
    return (
        "Failed to load target state: failed to generate manifest for source 1 of 1: "
        f"rpc error: code = Unknown desc = {error}"
    )


class Renderer:
    """Resolves and renders sources; failures are remembered for `retry_seconds`."""

    def __init__(
        self,
        directory: Path,
        helm: Callable[[], Path],
        access: Callable[[str], RepoAccess],
        retry_seconds: float,
    ) -> None:
        self.directory = directory
        self.sources = Sources(directory / "sources")
        self._helm = helm
        self._access = access
        self._retry = retry_seconds
        self._lock = threading.Lock()
        self._rendered: dict[str, list[Obj] | tuple[SourceError, float]] = {}
        self._resolved: dict[tuple[str, str], str] = {}

    def forget_refs(self) -> None:
        """Resolve branches and tags again on the next use (a periodic refresh); a commit SHA
        names the same commit for ever."""
        with self._lock:
            self._resolved = {key: sha for key, sha in self._resolved.items() if key[1] == sha}

    def resolve(self, source: Obj, revision: str) -> str:
        """The concrete revision: a commit SHA for git, the chart version for a Helm repository."""
        if is_helm_repository(source):
            return revision
        key = (str(source.get("repoURL") or ""), revision or "HEAD")
        with self._lock:
            known = self._resolved.get(key)
        if known is None:
            known = self.sources.resolve_git(key[0], key[1])
            with self._lock:
                self._resolved[key] = known
        return known

    def desired(
        self, app: str, source: Obj, revision: str, destination: Destination, namespace: str
    ) -> Desired:
        """The objects `source` renders at `revision` for `destination` (SourceError when it cannot)."""
        resolved = self.resolve(source, revision)
        helm = source.get("helm") or {}
        release = str(helm.get("releaseName") or app)
        render_ns = str(helm.get("namespace") or namespace)
        caps = destination.capabilities()
        key = json.dumps(
            [source, resolved, release, render_ns, caps.kube_version, caps.api_versions], sort_keys=True
        )
        with self._lock:
            cached = self._rendered.get(key)
        if isinstance(cached, tuple) and time.monotonic() < cached[1]:
            raise cached[0]
        if not isinstance(cached, list):
            try:
                cached = self._render(source, resolved, release, render_ns, caps)
            except SourceError as exc:
                with self._lock:
                    self._rendered[key] = (exc, time.monotonic() + self._retry)
                raise
            with self._lock:
                self._rendered[key] = cached
        return Desired(resolved, [_prepared(o, app, namespace, destination) for o in cached])

    def _render(self, source: Obj, revision: str, release: str, namespace: str, caps: Any) -> list[Obj]:
        helm = source.get("helm") or {}
        url = str(source.get("repoURL") or "")
        home = self.directory / "helm"
        if is_helm_repository(source):
            access = self._access(url)
            name, binary = str(source["chart"]), self._helm()
            if access.oci:
                archive = self.sources.oci_chart(binary, url, name, revision, access)
            else:
                archive = self.sources.helm_chart(url, name, revision, access)
            return template(binary, archive, release, namespace, helm, caps, home)
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.directory, prefix="tree-") as tree:
            folder = self.sources.git_tree(url, revision, str(source.get("path") or "."), Path(tree))
            return template(self._helm(), folder, release, namespace, helm, caps, home)


def _prepared(obj: Obj, app: str, namespace: str, destination: Destination) -> Obj:
    """A rendered object as Argo CD applies it: in the destination namespace when namespaced
    and unset, labelled with the Application's name."""
    ready = copy.deepcopy(obj)
    meta = ready.setdefault("metadata", {})
    if destination.namespaced(ready):
        meta["namespace"] = meta.get("namespace") or namespace
    else:
        meta.pop("namespace", None)
    meta["labels"] = {**(meta.get("labels") or {}), INSTANCE_LABEL: app}
    return ready
