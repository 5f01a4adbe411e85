"""The Applications of the hub's Argo CD namespace, through the kubernetes client (blocking:
run every call in a worker thread). Applies are server-side, under envman's field manager,
taking over fields another manager holds (envman's spec is the truth)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from envman.adapters.kube.client import REQUEST_TIMEOUT, KubeClients, call
from envman.adapters.target import ClusterTarget
from envman.kit.errors import KubeError
from envman.plan.argocd.applications import GROUP, MANAGER, PLURAL, VERSION

_T = TypeVar("_T")
_APPLY = "application/apply-patch+yaml"
_MERGE = "application/merge-patch+json"


class HubApi:
    """The Applications of `namespace` on the hub `target`."""

    def __init__(self, clients: KubeClients, target: ClusterTarget, namespace: str) -> None:
        self.clients = clients
        self.target = target
        self.namespace = namespace

    def _api(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.clients.api(self.target))

    def list(self, selector: str) -> list[dict[str, Any]]:
        """The Applications carrying the labels of `selector` (one LIST)."""
        api = self._api()
        listing = _obj(
            call(
                self.target,
                f"list Applications in {self.namespace}",
                lambda: api.list_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    self.namespace,
                    PLURAL,
                    label_selector=selector,
                    _request_timeout=REQUEST_TIMEOUT,
                ),
            )
        )
        return [item for item in listing.get("items") or [] if isinstance(item, dict)]

    def get(self, name: str) -> dict[str, Any] | None:
        """The Application `name`, None when it does not exist."""
        api = self._api()
        try:
            found = call(
                self.target,
                f"read Application {name}",
                lambda: api.get_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, name, _request_timeout=REQUEST_TIMEOUT
                ),
            )
        except KubeError as exc:
            if _not_found(exc):
                return None
            raise
        return _obj(found)

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply of `body` (an Application) under envman's field manager."""
        name = body["metadata"]["name"]
        return self._patch(name, body, _APPLY, f"apply Application {name}")

    def patch(self, name: str, patch: dict[str, Any], what: str) -> dict[str, Any]:
        """A JSON merge patch of the Application `name` (its `operation`, an annotation)."""
        return self._patch(name, patch, _MERGE, f"{what} of Application {name}")

    def _patch(self, name: str, body: dict[str, Any], content_type: str, what: str) -> dict[str, Any]:
        api = self._api()
        force = True if content_type == _APPLY else None  # force is for applies only
        patched = _with_message(
            self.target,
            what,
            lambda: api.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                name,
                body,
                field_manager=MANAGER,
                _content_type=content_type,
                force=force,
                _request_timeout=REQUEST_TIMEOUT,
            ),
        )
        return _obj(patched)

    def delete(self, name: str) -> None:
        """Delete the Application `name` (its finalizer has Argo CD delete its resources first);
        an absent one is already deleted."""
        api = self._api()
        try:
            call(
                self.target,
                f"delete Application {name}",
                lambda: api.delete_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, name, _request_timeout=REQUEST_TIMEOUT
                ),
            )
        except KubeError as exc:
            if not _not_found(exc):
                raise


def _with_message(target: ClusterTarget, what: str, func: Callable[[], _T]) -> _T:
    """`call`, the API server's message of a refused write added (a field the CRD rejects)."""
    try:
        return call(target, what, func)
    except KubeError as exc:
        body = getattr(exc.__cause__, "body", None)
        try:
            message = json.loads(body or "{}").get("message") if isinstance(body, str | bytes) else None
        except ValueError:
            message = None
        if message:
            raise KubeError(f"{exc}: {message}") from exc.__cause__
        raise


def _obj(value: object) -> dict[str, Any]:
    """The API server's JSON object (the client returns it as a dict)."""
    return value if isinstance(value, dict) else {}


def _not_found(exc: KubeError) -> bool:
    return isinstance(exc.__cause__, ApiException) and exc.__cause__.status == 404


class Applications(Protocol):
    """The hub's Applications as the engine's adapters use them (async)."""

    async def list(self, selector: str) -> list[dict[str, Any]]: ...

    async def get(self, name: str) -> dict[str, Any] | None: ...

    async def apply(self, body: dict[str, Any]) -> dict[str, Any]: ...

    async def patch(self, name: str, patch: dict[str, Any], what: str) -> dict[str, Any]: ...

    async def delete(self, name: str) -> None: ...


class HubApplications:
    """`Applications` through a `HubApi`, each blocking call in a worker thread."""

    def __init__(self, api: HubApi) -> None:
        self.api = api

    async def list(self, selector: str) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.api.list, selector)

    async def get(self, name: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.api.get, name)

    async def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self.api.apply, body)

    async def patch(self, name: str, patch: dict[str, Any], what: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.api.patch, name, patch, what)

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self.api.delete, name)
