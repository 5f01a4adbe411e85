"""Kubernetes API clients, one per (kubeconfig, context), with errors that name the cluster.

The official client is synchronous: callers run `call()` off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger
from urllib3.exceptions import HTTPError
from yaml import YAMLError

from envman.adapters.target import ClusterTarget, KubeTarget
from envman.kit.errors import KubeError

T = TypeVar("T")

REQUEST_TIMEOUT = (5.0, 30.0)
"""Seconds to connect, and to wait for an answer, on every API request."""


class KubeClients:
    """One `ApiClient` per target, created on first use (thread-safe); each kubeconfig file
    is read once, however many of its contexts are used."""

    def __init__(self) -> None:
        self._clients: dict[KubeTarget, client.ApiClient] = {}
        self._configs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def api(self, cluster: ClusterTarget) -> client.ApiClient:
        with self._lock:
            if cluster.target not in self._clients:
                self._clients[cluster.target] = self._new_client(cluster)
            return self._clients[cluster.target]

    def has_context(self, cluster: ClusterTarget) -> bool:
        """Whether the target's kubeconfig holds its context (so its API may be read)."""
        try:
            config = self._kubeconfig(cluster)
        except KubeError:
            return False
        if cluster.target.context is None:
            return bool(config.safe_get("current-context"))
        contexts = config.safe_get("contexts") or []
        return any(isinstance(c, dict) and c.get("name") == cluster.target.context for c in contexts)

    def close(self) -> None:
        with self._lock:
            for api in self._clients.values():
                api.close()  # type: ignore[no-untyped-call]
            self._clients.clear()

    def _kubeconfig(self, cluster: ClusterTarget) -> Any:
        """The merged kubeconfig of the target's file, or of $KUBECONFIG / ~/.kube/config."""
        path = cluster.target.kubeconfig
        files = str(path) if path else os.environ.get("KUBECONFIG", "~/.kube/config")
        if files not in self._configs:
            try:
                self._configs[files] = KubeConfigMerger(files).config  # type: ignore[no-untyped-call]
            except (YAMLError, ValueError, TypeError, AttributeError, KeyError) as exc:
                raise KubeError(
                    f"{cluster.describe()}: the kubeconfig {files} is not valid: {_first_line(exc)}"
                ) from exc
        if self._configs[files] is None:
            raise KubeError(f"{cluster.describe()}: no kubeconfig found at {files}")
        return self._configs[files]

    def _new_client(self, cluster: ClusterTarget) -> client.ApiClient:
        configuration = client.Configuration()
        configuration.retries = 0
        try:
            loader = KubeConfigLoader(  # type: ignore[no-untyped-call]
                config_dict=self._kubeconfig(cluster), active_context=cluster.target.context
            )
            loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
        except ConfigException as exc:
            raise KubeError(f"{cluster.describe()}: {_config_reason(exc, cluster)}") from exc
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            where = cluster.target.kubeconfig or "the kubeconfig"
            raise KubeError(f"{cluster.describe()}: {where} is not valid: {_first_line(exc)}") from exc
        except OSError as exc:
            raise KubeError(f"{cluster.describe()}: cannot read kubeconfig: {exc.strerror}") from exc
        return client.ApiClient(configuration)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


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
