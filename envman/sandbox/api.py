"""The REST semantics of one cluster: get, list, watch, create, update, patch, delete.

Objects get real resourceVersions (a stale one is a 409), generations, uids; deletes cascade
to owned objects; CRDs add their custom resources to discovery at once.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from envman.sandbox import decoding, defaults, messages, patch, selectors
from envman.sandbox.messages import (
    APPLY_PATCH,
    Target,
    WatchReply,
    continue_offset,
    decode_body,
    resource_version,
)
from envman.sandbox.ownership import APPLYING, Ownership, manager_of
from envman.sandbox.resources import Registry, ResourceType
from envman.sandbox.status import (
    ApiError,
    already_exists,
    conflict,
    deleted,
    not_found,
)
from envman.sandbox.store import Accept, Store

Obj = dict[str, Any]
Objs = list[Obj]

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
_DELETING = ("deletionTimestamp", "deletionGracePeriodSeconds")
DEFAULT_WATCH_SECONDS = 1800.0


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Addresses:
    """The Service cluster IPs (10.96.0.0/16) and node ports (30000-32767) of one cluster."""

    def __init__(self) -> None:
        self._ips = 10
        self._ports = 30000

    def ip(self) -> str:
        self._ips += 1
        return f"10.96.{self._ips // 250}.{self._ips % 250 + 1}"

    def node_port(self) -> int:
        self._ports = self._ports + 1 if self._ports < 32767 else 30000
        return self._ports


CRDS_KEY = "apiextensions.k8s.io/customresourcedefinitions"


@dataclass(frozen=True)
class ApiSnapshot:
    """What one cluster holds, copied (`Api.snapshot`): objects by store key, and the state
    kept beside them."""

    objects: list[tuple[str, Obj]]
    applied: dict[tuple[str, str, str], dict[str, Obj]]
    ownership: Ownership
    addresses: Addresses


class Api:
    """One cluster's API objects and the verbs on them."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.store = Store()
        self._applied: dict[tuple[str, str, str], dict[str, Obj]] = {}
        self.ownership = Ownership()
        self.addresses = Addresses()
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.insert("namespaces", {"metadata": {"name": name}})
        self.insert(
            "nodes",
            {
                "metadata": {
                    "name": "sandbox-node",
                    "labels": {"kubernetes.io/hostname": "sandbox-node", "kubernetes.io/os": "linux"},
                },
                "status": {"conditions": [{"type": "Ready", "status": "True"}]},
            },
        )
        self.insert(
            "storageclasses",
            {
                "metadata": {
                    "name": "standard",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "sandbox",
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate",
            },
            "storage.k8s.io",
        )

    def snapshot(self) -> ApiSnapshot:
        """Everything this cluster holds (objects, field managers, applied configurations,
        addresses handed out), to start another cluster from (`restore`)."""
        with self.store.lock:
            objects = [(key, obj) for key in self.store.keys() for obj in self.store.items(key)]  # noqa: SIM118 (a Store, not a dict)
            return ApiSnapshot(
                objects,
                copy.deepcopy(self._applied),
                copy.deepcopy(self.ownership),
                copy.deepcopy(self.addresses),
            )

    def restore(self, snapshot: ApiSnapshot) -> None:
        """Hold what `snapshot` held: CRDs first (their resources served), then every object,
        each stored anew (so controllers and watchers see it added)."""
        with self.store.lock:
            for key, obj in sorted(snapshot.objects, key=lambda item: item[0] != CRDS_KEY):
                if key == CRDS_KEY:
                    self.registry.add_crd(obj)
                self.store.put(key, copy.deepcopy(obj))
            self._applied = copy.deepcopy(snapshot.applied)
            self.ownership = copy.deepcopy(snapshot.ownership)
            self.addresses = copy.deepcopy(snapshot.addresses)

    def rtype(self, plural: str, group: str = "") -> ResourceType:
        return self.registry.by_key(f"{group}/{plural}")

    def insert(self, plural: str, obj: Obj, group: str = "") -> Obj:
        """Create an object from inside the cluster (bootstrap and controllers)."""
        rtype = self.rtype(plural, group)
        return self.create(Target(rtype, rtype.versions[0], obj["metadata"].get("namespace")), obj, {})

    # --- reads ------------------------------------------------------------------------

    def present(self, obj: Obj, target: Target) -> Obj:
        obj["apiVersion"] = target.rtype.api_version(target.version)
        obj["kind"] = target.rtype.kind
        return obj

    def existing(self, target: Target, name: str) -> Obj:
        found = self.store.get(target.rtype.key, target.namespace or "", name)
        if found is None:
            raise not_found(target.rtype.plural, target.rtype.group, name)
        return found

    def get(self, target: Target) -> Obj:
        assert target.name is not None
        return self.present(self.existing(target, target.name), target)

    def list(self, target: Target, query: dict[str, str]) -> Obj:
        items = [self.present(o, target) for o in self._selected(target, query)]
        meta: Obj = {"resourceVersion": str(self.store.resource_version)}
        start = continue_offset(query.get("continue"))
        limit = int(query.get("limit") or 0)
        items = items[start:]
        if limit and len(items) > limit:
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps({"offset": start + limit}).encode()
            ).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return {
            "kind": f"{target.rtype.kind}List",
            "apiVersion": target.rtype.api_version(target.version),
            "metadata": meta,
            "items": items,
        }

    def _matcher(self, query: dict[str, str]) -> Accept:
        try:
            return selectors.matcher(query.get("labelSelector"), query.get("fieldSelector"))
        except selectors.SelectorError as exc:
            raise ApiError(400, f"unable to parse requirement: {exc}") from exc

    def _selected(self, target: Target, query: dict[str, str]) -> Objs:
        """Copies of the objects of the target's collection that the query's selectors match."""
        accept = self._matcher(query)
        labels = selectors.required_labels(query.get("labelSelector"))
        return self.store.items(target.rtype.key, target.namespace, accept, labels)

    def watch(self, target: Target, query: dict[str, str]) -> WatchReply:
        accept = self._matcher(query)
        key, namespace = target.rtype.key, target.namespace
        version = query.get("resourceVersion", "")
        initial_events = query.get("sendInitialEvents") == "true"
        with self.store.lock:
            if initial_events or version in ("", "0"):
                watcher = self.store.watch(key, namespace, accept, None)
                initial = [("ADDED", o) for o in self._selected(target, query)]
                if initial_events:
                    initial.append(("BOOKMARK", self._bookmark(target)))
            else:
                watcher = self.store.watch(key, namespace, accept, resource_version(version))
                initial = []
        timeout = float(query.get("timeoutSeconds") or DEFAULT_WATCH_SECONDS)
        return WatchReply(watcher, initial, timeout, target.rtype.api_version(target.version))

    def _bookmark(self, target: Target) -> Obj:
        return self.present(
            {
                "metadata": {
                    "resourceVersion": str(self.store.resource_version),
                    "annotations": {INITIAL_EVENTS_END: "true"},
                }
            },
            target,
        )

    # --- writes -----------------------------------------------------------------------

    def create(self, target: Target, body: Any, query: dict[str, str]) -> Obj:
        rtype = target.rtype
        obj = self._checked_body(target, body, query)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        name = str(meta.get("name") or "")
        defaults.validate_name(rtype, name)
        self._place(target, meta)
        if self.store.exists(rtype.key, meta.get("namespace", ""), name):
            raise already_exists(rtype.plural, rtype.group, name)
        for key in ("resourceVersion", "deletionTimestamp", "managedFields", "selfLink"):
            meta.pop(key, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_iso()
        if rtype.has_status or not rtype.builtin:
            meta["generation"] = 1
        initial = defaults.phase_for_new(rtype)
        if initial is not None:
            obj["status"] = {**initial, **(obj.get("status") or {})}
        defaults.admit(rtype, obj, None, self.addresses)
        self.present(obj, target)
        if _dry_run(query):
            return obj
        ident = (rtype.key, meta.get("namespace", ""), name)
        if query.get(APPLYING) is None:
            self.ownership.forget(ident)
            self.ownership.updated(ident, manager_of(query), None, obj)
        self.ownership.stamp(ident, obj, meta["creationTimestamp"])
        if rtype.kind == "CustomResourceDefinition" and rtype.group == "apiextensions.k8s.io":
            self._establish(obj)
        return self.present(self.store.put(rtype.key, obj), target)

    def _checked_body(self, target: Target, body: Any, query: dict[str, str]) -> Obj:
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be an object")
        kind = body.get("kind")
        if kind and kind != target.rtype.kind:
            raise ApiError(
                400,
                f"the object kind {kind} does not match the resource "
                f"{target.rtype.plural} ({target.rtype.kind})",
            )
        return decoding.decoded(target.rtype, body, query.get("fieldValidation"))

    def _place(self, target: Target, meta: Obj) -> None:
        rtype = target.rtype
        if not rtype.namespaced:
            meta.pop("namespace", None)
            return
        namespace = target.namespace or meta.get("namespace")
        if meta.get("namespace") and meta["namespace"] != namespace:
            raise ApiError(
                400, "the namespace of the provided object does not match the namespace sent on the request"
            )
        if not namespace:
            raise ApiError(400, "a namespace is required")
        if self.store.get("/namespaces", "", namespace) is None:
            raise not_found("namespaces", "", namespace)
        meta["namespace"] = namespace

    def _establish(self, crd: Obj) -> None:
        names = (crd.get("spec") or {}).get("names") or {}
        stamp = now_iso()
        crd["status"] = {
            "acceptedNames": names,
            "storedVersions": [v["name"] for v in crd["spec"].get("versions", []) if v.get("storage")],
            "conditions": [
                {"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": stamp}
                for t, r, m in (
                    ("NamesAccepted", "NoConflicts", "no conflicts found"),
                    ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
                )
            ],
        }
        self.registry.add_crd(crd)

    def update(self, target: Target, body: Any, query: dict[str, str]) -> Obj:
        assert target.name is not None
        old = self.existing(target, target.name)
        obj = self._checked_body(target, body, query)
        return self._replace(target, old, obj, query)

    def _replace(self, target: Target, old: Obj, obj: Obj, query: dict[str, str]) -> Obj:
        rtype, name = target.rtype, str(target.name)
        meta = obj.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise ApiError(
                400, f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        version = meta.get("resourceVersion")
        if version and version != old["metadata"]["resourceVersion"]:
            raise conflict(rtype.plural, rtype.group, name)
        for key in ("name", "namespace", "uid", "creationTimestamp", "generation", *_DELETING):
            if key in old["metadata"]:
                meta[key] = old["metadata"][key]
        meta.pop("managedFields", None)
        if target.sub == "status":
            obj = {**old, "status": obj.get("status")}
        elif rtype.has_status and "status" in old:
            obj["status"] = old["status"]
        elif rtype.has_status:
            obj.pop("status", None)
        if "generation" in meta and _spec(obj) != _spec(old):
            meta["generation"] = int(meta["generation"]) + 1
        if target.sub != "status":
            defaults.admit(rtype, obj, old, self.addresses)
        self.present(obj, target)
        if _dry_run(query):
            return obj
        ident = (rtype.key, meta.get("namespace", ""), name)
        if target.sub != "status" and query.get(APPLYING) is None:
            self.ownership.updated(ident, manager_of(query), old, obj)
        self.ownership.stamp(ident, obj, now_iso())
        if rtype.kind == "CustomResourceDefinition" and not target.sub:
            self._establish(obj)
        return self.present(self._save(rtype, obj), target)

    def _save(self, rtype: ResourceType, obj: Obj) -> Obj:
        """Store an updated object; one marked for deletion goes once its last finalizer has."""
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            self.remove(rtype, obj, orphan=False)
            return obj
        return self.store.put(rtype.key, obj)

    def patch(self, target: Target, body: bytes, content_type: str, query: dict[str, str]) -> tuple[int, Obj]:
        assert target.name is not None
        media = content_type.partition(";")[0].strip()
        document = decode_body(body, media)
        rtype = target.rtype
        found = self.store.get(rtype.key, target.namespace or "", target.name)
        if media == APPLY_PATCH:
            return self._apply(target, found, document, query)
        if found is None:
            raise not_found(rtype.plural, rtype.group, target.name)
        try:
            patched = messages.patched(rtype, found, document, media)
        except patch.PatchError as exc:
            raise ApiError(422, f"the patch could not be applied: {exc}") from exc
        obj = decoding.decoded(rtype, patched, query.get("fieldValidation"))
        return 200, self._replace(target, found, obj, query)

    def _apply(
        self, target: Target, found: Obj | None, document: Any, query: dict[str, str]
    ) -> tuple[int, Obj]:
        manager = query.get("fieldManager")
        if not manager:
            raise ApiError(400, "PATCH requests of type apply require a fieldManager")
        applied = self._checked_body(target, document, query)
        rtype, name = target.rtype, str(target.name)
        if applied.get("metadata", {}).get("name", name) != name:
            raise ApiError(400, "the name of the object does not match the name on the URL")
        ident = (rtype.key, target.namespace or "", name)
        if not _dry_run(query):
            self.ownership.apply(ident, manager, applied, found, query.get("force") == "true")
        query = {**query, APPLYING: manager}
        if found is None:
            created = self.create(target, json.loads(json.dumps(applied)), query)
            if not _dry_run(query):
                self._applied[ident] = {manager: applied}
            return 201, created
        before = self._applied.get(ident, {}).get(manager)
        merged = patch.apply(found, before, applied, rtype.builtin)
        merged["metadata"]["resourceVersion"] = found["metadata"]["resourceVersion"]
        result = self._replace(target, found, merged, query)
        if not _dry_run(query):
            self._applied.setdefault(ident, {})[manager] = applied
        return 200, result

    # --- deletes ----------------------------------------------------------------------

    def delete(self, target: Target, options: Obj, query: dict[str, str]) -> Obj:
        assert target.name is not None
        rtype = target.rtype
        found = self.existing(target, target.name)
        preconditions = options.get("preconditions") or {}
        expected = preconditions.get("resourceVersion")
        if expected and expected != found["metadata"]["resourceVersion"]:
            raise conflict(rtype.plural, rtype.group, target.name)
        if _dry_run(query) or "All" in (options.get("dryRun") or []):
            return deleted(rtype.plural, rtype.group, self.present(found, target), now_iso())
        if found["metadata"].get("finalizers"):
            return self.present(self._deleting(rtype, found), target)
        policy = query.get("propagationPolicy") or options.get("propagationPolicy")
        orphan = policy == "Orphan" or options.get("orphanDependents") is True
        self.remove(rtype, found, orphan=orphan)
        return deleted(rtype.plural, rtype.group, self.present(found, target), now_iso())

    def _deleting(self, rtype: ResourceType, found: Obj) -> Obj:
        """An object with finalizers is only marked for deletion (once); whoever owns each
        finalizer removes it, and the update removing the last one deletes the object."""
        meta = found["metadata"]
        if meta.get("deletionTimestamp"):
            return found
        meta.update(deletionTimestamp=now_iso(), deletionGracePeriodSeconds=0)
        return self.store.put(rtype.key, found)

    def delete_collection(self, target: Target, query: dict[str, str]) -> Obj:
        for obj in self._selected(target, query):
            self.remove(target.rtype, obj, orphan=False)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}

    def remove(self, rtype: ResourceType, obj: Obj, *, orphan: bool) -> None:
        """Delete an object now, then its dependents (or orphan them)."""
        meta = obj["metadata"]
        with self.store.lock:
            if self.store.remove(rtype.key, meta.get("namespace", ""), meta["name"]) is None:
                return
            self._applied.pop((rtype.key, meta.get("namespace", ""), meta["name"]), None)
            self.ownership.forget((rtype.key, meta.get("namespace", ""), meta["name"]))
            if rtype.key == "/namespaces":
                self._empty_namespace(meta["name"])
            elif rtype.key == CRDS_KEY:
                self._drop_crd(obj)
            self._collect(meta["uid"], orphan)

    def _empty_namespace(self, namespace: str) -> None:
        for key in list(self.store.keys()):
            for obj in self.store.items(key, namespace):
                self.remove(self.registry.by_key(key), obj, orphan=False)

    def _drop_crd(self, crd: Obj) -> None:
        key = f"{crd['spec']['group']}/{crd['spec']['names']['plural']}"
        for obj in self.store.items(key):
            self.remove(self.registry.by_key(key), obj, orphan=True)
        self.registry.remove_crd(crd)

    def _collect(self, uid: str, orphan: bool) -> None:
        """Delete (or orphan) the dependents of a deleted owner, found by the owner index."""
        for key, obj in self.store.dependents(uid):
            if orphan:
                refs = obj["metadata"].get("ownerReferences") or []
                obj["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                self.store.put(key, obj)
            else:
                self.remove(self.registry.by_key(key), obj, orphan=False)


def _spec(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _dry_run(query: dict[str, str]) -> bool:
    return query.get("dryRun") == "All"
