"""A destination cluster as the hub's controller reaches it: the sandbox cluster's API object in
this process (the one its HTTP port serves), written with server-side apply under Argo CD's
field manager."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from envman.sandbox import discovery
from envman.sandbox.api import Api
from envman.sandbox.argocd.definitions import FIELD_MANAGER
from envman.sandbox.argocd.render import Capabilities
from envman.sandbox.messages import APPLY_PATCH, Target
from envman.sandbox.resources import ResourceType
from envman.sandbox.status import ApiError

Obj = dict[str, Any]
Ident = tuple[str, str, str]
"""(store key, namespace, name) of one object."""


class ApplyError(Exception):
    """A write the destination refused; the text is what Argo CD reports for the resource."""


def group_version(obj: Obj) -> tuple[str, str]:
    group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
    return group, version


def ref_text(obj: Obj) -> str:
    """`Deployment.apps/api`-style reference, as kubectl prints it (`deployment.apps/api`)."""
    group, _ = group_version(obj)
    kind = str(obj.get("kind") or "").lower()
    return f"{kind}{'.' + group if group else ''}/{obj['metadata'].get('name')}"


@dataclass
class Destination:
    """One Argo CD cluster: its name and server (from its cluster Secret) and its API."""

    name: str
    server: str
    api: Api

    def rtype(self, obj: Obj) -> ResourceType | None:
        group, version = group_version(obj)
        rtype = self.api.registry.by_kind(group, str(obj.get("kind") or ""))
        return rtype if rtype is not None and version in rtype.versions else None

    def namespaced(self, obj: Obj) -> bool:
        """Whether the kind is namespaced (unknown kinds are taken as namespaced, as Argo CD does)."""
        rtype = self.rtype(obj)
        return rtype is None or rtype.namespaced

    def ident(self, obj: Obj) -> Ident | None:
        rtype = self.rtype(obj)
        if rtype is None:
            return None
        meta = obj["metadata"]
        return rtype.key, str(meta.get("namespace") or "") if rtype.namespaced else "", str(meta["name"])

    def get(self, obj: Obj) -> Obj | None:
        """The live object `obj` names (None: missing, or a kind the cluster does not serve)."""
        ident = self.ident(obj)
        return None if ident is None else self.get_ident(ident)

    def get_ident(self, ident: Ident) -> Obj | None:
        """The live object, with its apiVersion and kind (the store keeps neither)."""
        found = self.api.store.get(*ident)
        if found is not None:
            rtype = self.api.registry.by_key(ident[0])
            found["apiVersion"], found["kind"] = rtype.api_version(), rtype.kind
        return found

    def apply(self, obj: Obj) -> str:
        """Server-side apply `obj` (forcing conflicts, as Argo CD does); kubectl's message."""
        rtype = self.rtype(obj)
        group, version = group_version(obj)
        meta = obj["metadata"]
        if rtype is None:
            kind = obj.get("kind")
            raise ApplyError(
                f"The Kubernetes API could not find {group}/{kind} for requested resource "
                f'{meta.get("namespace", "")}/{meta.get("name")}. Make sure the "{kind}" CRD is '
                "installed on the destination cluster."
            )
        namespace = str(meta.get("namespace") or "") if rtype.namespaced else None
        target = Target(rtype, version, namespace, str(meta["name"]))
        query = {"fieldManager": FIELD_MANAGER, "force": "true"}
        try:
            with self.api.store.lock:
                self.api.patch(target, json.dumps(obj).encode(), APPLY_PATCH, query)
        except ApiError as exc:
            raise ApplyError(exc.message) from exc
        return f"{ref_text(obj)} serverside-applied"

    def delete(self, ident: Ident) -> None:
        """Delete one object now (foreground: what it owns goes with it)."""
        with self.api.store.lock:
            found = self.api.store.get(*ident)
            if found is not None:
                self.api.remove(self.api.registry.by_key(ident[0]), found, orphan=False)

    def ensure_namespace(self, name: str) -> None:
        """Create the namespace unless it exists (`CreateNamespace=true`)."""
        with self.api.store.lock:
            if self.api.store.get("/namespaces", "", name) is None:
                self.api.insert("namespaces", {"metadata": {"name": name}})

    def capabilities(self) -> Capabilities:
        """The Kubernetes version and API versions helm renders for (`--api-versions`)."""
        versions: set[str] = set()
        for rtype in self.api.registry.types:
            for version in rtype.versions:
                group_version_text = rtype.api_version(version)
                versions |= {group_version_text, f"{group_version_text}/{rtype.kind}"}
        return Capabilities(str(discovery.SERVER_VERSION["gitVersion"]), tuple(sorted(versions)))
