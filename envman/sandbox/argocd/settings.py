"""What Argo CD reads from its own namespace on the hub: cluster Secrets (destinations),
repository Secrets (credentials), `argocd-tls-certs-cm` (CA certificates) and AppProjects."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from dataclasses import dataclass
from typing import Any

from envman.sandbox.api import Api
from envman.sandbox.argocd.definitions import APPPROJECTS, SECRET_TYPE_LABEL
from envman.sandbox.argocd.sources import RepoAccess

Obj = dict[str, Any]

IN_CLUSTER = "https://kubernetes.default.svc"
TLS_CERTS = "argocd-tls-certs-cm"


@dataclass(frozen=True)
class ClusterEntry:
    name: str
    server: str


def _data(secret: Obj) -> dict[str, str]:
    decoded: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            decoded[str(key)] = base64.b64decode(str(value)).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
    return decoded


class ArgoConfig:
    """Argo CD's settings as they are now in `namespace` of the hub."""

    def __init__(self, api: Api, namespace: str) -> None:
        self.api = api
        self.namespace = namespace

    def _secrets(self, *types: str) -> list[dict[str, str]]:
        found = []
        for secret in self.api.store.items("/secrets", self.namespace):
            if (secret["metadata"].get("labels") or {}).get(SECRET_TYPE_LABEL) in types:
                found.append(_data(secret))
        return found

    def clusters(self) -> list[ClusterEntry]:
        """The destinations: one per cluster Secret, and `in-cluster` (the hub itself)."""
        entries = [
            ClusterEntry(d.get("name", ""), d.get("server", "").rstrip("/")) for d in self._secrets("cluster")
        ]
        if not any(e.server == IN_CLUSTER for e in entries):
            entries.append(ClusterEntry("in-cluster", IN_CLUSTER))
        return entries

    def destination_server(self, destination: Obj) -> str:
        """The server `destination` names (by `server` or `name`); ValueError with Argo CD's message."""
        name, server = str(destination.get("name") or ""), str(destination.get("server") or "")
        if name and server:
            raise ValueError(
                f"application destination can't have both name and server defined: {name} {server}"
            )
        clusters = self.clusters()
        if server:
            if not any(c.server == server.rstrip("/") for c in clusters):
                raise ValueError(f"there are no clusters with this URL: {server}")
            return server.rstrip("/")
        if not name:
            raise ValueError("Destination server missing from app spec")
        servers = [c.server for c in clusters if c.name == name]
        if not servers:
            raise ValueError(f"there are no clusters with this name: {name}")
        if len(servers) > 1:
            raise ValueError(f"there are {len(servers)} clusters with the same name: [{' '.join(servers)}]")
        return servers[0]

    def project_exists(self, name: str) -> bool:
        return self.api.store.get(APPPROJECTS, self.namespace, name) is not None

    def access(self, url: str) -> RepoAccess:
        """Credentials for `url`: its repository Secret, else the longest matching repo-creds
        prefix; the CA certificates `argocd-tls-certs-cm` holds for its host."""
        matches = [d for d in self._secrets("repository") if d.get("url", "").rstrip("/") == url.rstrip("/")]
        if not matches:
            prefixes = [d for d in self._secrets("repo-creds") if url.startswith(d.get("url", "\0"))]
            matches = sorted(prefixes, key=lambda d: -len(d.get("url", "")))
        found = matches[0] if matches else {}
        host = urllib.parse.urlsplit(url).hostname or ""
        certs = self.api.store.get("/configmaps", self.namespace, TLS_CERTS) or {}
        return RepoAccess(
            username=found.get("username", ""),
            password=found.get("password", ""),
            insecure=found.get("insecure", "").lower() == "true",
            ca_pem=str((certs.get("data") or {}).get(host, "")),
            oci=url.startswith("oci://") or found.get("enableOCI", "").lower() == "true",
            plain_http=found.get("insecureOCIForceHttp", "").lower() == "true",
        )
