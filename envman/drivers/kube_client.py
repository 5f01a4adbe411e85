"""Kubernetes API clients, one per (kubeconfig, context), with errors that name the cluster.

The official client is synchronous: callers run `call()` off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import HTTPError

from envman.drivers.helm import KubeTarget
from envman.errors import KubeError

T = TypeVar("T")

REQUEST_TIMEOUT = (5.0, 30.0)
"""Seconds to connect, and to wait for an answer, on every API request."""


@dataclass(frozen=True)
class ClusterTarget:
    """A cluster of the spec and where its API is found."""

    name: str
    target: KubeTarget

    def describe(self) -> str:
        where = f" in {self.target.kubeconfig}" if self.target.kubeconfig else ""
        return f"cluster {self.name!r} (context {self.target.context or 'current'!r}{where})"


class KubeClients:
    """One `ApiClient` per target, created on first use (thread-safe)."""

    def __init__(self) -> None:
        self._clients: dict[KubeTarget, client.ApiClient] = {}
        self._lock = threading.Lock()

    def api(self, cluster: ClusterTarget) -> client.ApiClient:
        with self._lock:
            if cluster.target not in self._clients:
                self._clients[cluster.target] = _new_client(cluster)
            return self._clients[cluster.target]

    def close(self) -> None:
        with self._lock:
            for api in self._clients.values():
                api.close()  # type: ignore[no-untyped-call]
            self._clients.clear()


def _new_client(cluster: ClusterTarget) -> client.ApiClient:
    configuration = client.Configuration()
    configuration.retries = 0
    kubeconfig = str(cluster.target.kubeconfig) if cluster.target.kubeconfig else None
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig,
            context=cluster.target.context,
            client_configuration=configuration,
            persist_config=False,
        )
    except ConfigException as exc:
        raise KubeError(f"{cluster.describe()}: {_config_reason(exc, cluster)}") from exc
    except OSError as exc:
        raise KubeError(f"{cluster.describe()}: cannot read kubeconfig: {exc.strerror}") from exc
    return client.ApiClient(configuration)


def _config_reason(exc: ConfigException, cluster: ClusterTarget) -> str:
    text = str(exc)
    if "context" in text.lower() and cluster.target.context:
        return f"context {cluster.target.context!r} not found in the kubeconfig"
    if "Invalid kube-config file" in text or "No configuration found" in text:
        return "no kubeconfig found (set KUBECONFIG, --kubeconfig or the cluster's kubeconfig)"
    return text


def call(cluster: ClusterTarget, what: str, func: Callable[[], T]) -> T:
    """Run one API call; a failure becomes a `KubeError` naming the cluster and what was asked."""
    try:
        return func()
    except ApiException as exc:
        raise KubeError(f"{cluster.describe()}: {what}: {exc.status} {exc.reason}") from exc
    except (HTTPError, OSError) as exc:
        raise KubeError(
            f"{cluster.describe()}: {what}: cannot reach the API server ({_reason(exc)})"
        ) from exc


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None)
    text = str(inner or exc)
    for marker in ("Connection refused", "timed out", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return text.split(": ", 1)[-1][:200]
