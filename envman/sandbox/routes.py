"""Request routing: a path and verb to discovery, OpenAPI or a resource verb of the Api."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from envman.sandbox import discovery, logs, reviews, tables
from envman.sandbox.api import Api
from envman.sandbox.messages import JSON, Reply, Target, WatchReply, decode_body
from envman.sandbox.openapi import documents, proto
from envman.sandbox.resources import ResourceType
from envman.sandbox.status import ApiError

Obj = dict[str, Any]
Result = Reply | WatchReply

CRDS = "apiextensions.k8s.io/customresourcedefinitions"
UNSUPPORTED = frozenset({"exec", "attach", "portforward"})
_HEALTH = frozenset({"healthz", "readyz", "livez"})


@dataclass
class Request:
    """One HTTP request, reduced to what routing and the verbs need."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON
    body: bytes = b""
    accept: str = ""


def route(api: Api, request: Request, address: str) -> Result:
    """Serve one request; raises ApiError for failures."""
    parts = [p for p in request.path.split("/") if p]
    if not parts:
        return Reply(200, {"paths": ["/api", "/apis", "/version", "/openapi/v2", "/openapi/v3"]})
    head = parts[0]
    if head == "version" and len(parts) == 1:
        return Reply(200, discovery.SERVER_VERSION)
    if head in _HEALTH:
        return Reply(200, "ok")
    if head == "openapi":
        return _openapi(api, parts[1:], request.accept)
    if head == "api":
        return _core(api, request, parts[1:], address)
    if head == "apis":
        return _named(api, request, parts[1:])
    raise ApiError(404, "the server could not find the requested resource")


def _found(doc: Obj | None) -> Reply:
    if doc is None:
        raise ApiError(404, "the server could not find the requested resource")
    return Reply(200, doc)


def _openapi(api: Api, parts: list[str], accept: str) -> Reply:
    def crd(rtype: ResourceType) -> Obj | None:
        return api.store.get(CRDS, "", f"{rtype.plural}.{rtype.group}")

    if parts == ["v2"]:
        protobuf = proto.wanted(accept)
        document = documents.v2_document(api.registry, crd, protobuf)
        return Reply(200, document, proto.MEDIA if protobuf else JSON)
    if parts == ["v3"]:
        return Reply(200, documents.v3_index(api.registry, crd))
    if parts[:1] == ["v3"]:
        found = documents.v3_for_path(api.registry, crd, "/".join(parts[1:]))
        if found is not None:
            return Reply(200, found)
    raise ApiError(404, "the server could not find the requested resource")


def _core(api: Api, request: Request, parts: list[str], address: str) -> Result:
    if not parts:
        return Reply(200, discovery.api_versions(address))
    if len(parts) == 1:
        return _found(discovery.resource_list(api.registry, "", parts[0]))
    return _resource(api, request, "", parts[0], parts[1:])


def _named(api: Api, request: Request, parts: list[str]) -> Result:
    if not parts:
        return Reply(200, discovery.api_group_list(api.registry))
    if len(parts) == 1:
        return _found(discovery.api_group(api.registry, parts[0]))
    if len(parts) == 2:
        return _found(discovery.resource_list(api.registry, parts[0], parts[1]))
    return _resource(api, request, parts[0], parts[1], parts[2:])


def _target(api: Api, group: str, version: str, parts: list[str]) -> Target:
    namespace: str | None = None
    if parts[0] == "namespaces" and len(parts) >= 3:
        rtype = api.registry.find(group, version, parts[2])
        if rtype is not None and rtype.namespaced:
            namespace, parts = parts[1], parts[2:]
    rtype = api.registry.find(group, version, parts[0])
    if rtype is None or len(parts) > 3:
        raise ApiError(404, "the server could not find the requested resource")
    name = parts[1] if len(parts) > 1 else None
    sub = parts[2] if len(parts) > 2 else None
    if sub is not None and sub not in rtype.subresources:
        raise ApiError(404, "the server could not find the requested resource")
    if rtype.namespaced and name is not None and namespace is None:
        raise ApiError(404, "the server could not find the requested resource")
    return Target(rtype, version, namespace, name, sub)


def _resource(api: Api, request: Request, group: str, version: str, parts: list[str]) -> Result:
    target = _target(api, group, version, parts)
    if target.name is None:
        return _collection(api, request, target)
    if target.sub == "log":
        return Reply(200, logs.text(api.get(target), request.query))
    if target.sub in UNSUPPORTED:
        api.get(target)
        raise ApiError(
            400,
            f"{target.sub} is not supported by the envman sandbox: the containers of pod "
            f"{target.name} are emulated, no process runs in them",
        )
    if target.sub == "scale":
        return _scale(api, request, target)
    return _item(api, request, target)


def _item(api: Api, request: Request, target: Target) -> Result:
    method, query = request.method, request.query
    if method == "GET":
        obj = api.get(target)
        meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
        return Reply(200, _maybe_table(api, request, target, [obj], meta) or obj)
    if method == "PUT":
        body = decode_body(request.body, request.content_type)
        return Reply(200, api.update(target, body, query))
    if method == "PATCH":
        code, obj = api.patch(target, request.body, request.content_type, query)
        return Reply(code, obj)
    if method == "DELETE":
        options = decode_body(request.body, request.content_type) if request.body else {}
        return Reply(200, api.delete(target, options if isinstance(options, dict) else {}, query))
    raise _not_allowed(method)


def _collection(api: Api, request: Request, target: Target) -> Result:
    method, query = request.method, request.query
    if target.rtype.verbs == ("create",):
        if method != "POST":
            raise _not_allowed(method)
        return Reply(201, reviews.answer(target.rtype, decode_body(request.body, request.content_type)))
    if method == "GET" and query.get("watch") in ("true", "1"):
        watch = api.watch(target, query)
        if tables.wants_table(request.accept):
            watch.transform = lambda obj: _maybe_table(api, request, target, [obj], {}) or obj
        return watch
    if method == "GET":
        listed = api.list(target, query)
        return Reply(200, _maybe_table(api, request, target, listed["items"], listed["metadata"]) or listed)
    if method == "POST" and target.namespace is None and target.rtype.namespaced:
        body = decode_body(request.body, request.content_type)
        namespace = (body.get("metadata") or {}).get("namespace") if isinstance(body, dict) else None
        if not namespace:
            raise ApiError(400, "a namespace is required")
        target = Target(target.rtype, target.version, namespace)
        return Reply(201, api.create(target, body, query))
    if method == "POST":
        body = decode_body(request.body, request.content_type)
        return Reply(201, api.create(target, body, query))
    if method == "DELETE":
        return Reply(200, api.delete_collection(target, query))
    raise _not_allowed(method)


def _maybe_table(api: Api, request: Request, target: Target, objects: list[Obj], meta: Obj) -> Obj | None:
    """The objects as the Table the request's Accept header asks for, or None (it asks none)."""
    version = tables.wants_table(request.accept)
    if version is None:
        return None
    rtype = target.rtype
    crd = None if rtype.builtin else api.store.get(CRDS, "", f"{rtype.plural}.{rtype.group}")
    cols = tables.columns(rtype.group, rtype.plural, crd, target.version)
    return tables.table(cols, objects, meta, version, request.query.get("includeObject"))


def _scale(api: Api, request: Request, target: Target) -> Reply:
    obj = api.get(target)
    if request.method in ("PUT", "PATCH"):
        body = decode_body(request.body, request.content_type)
        replicas = ((body or {}).get("spec") or {}).get("replicas")
        if not isinstance(replicas, int):
            raise ApiError(422, "spec.replicas: Required value")
        obj["spec"]["replicas"] = replicas
        obj = api.update(
            Target(target.rtype, target.version, target.namespace, target.name), obj, request.query
        )
    elif request.method != "GET":
        raise _not_allowed(request.method)
    meta = {
        k: obj["metadata"][k]
        for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if k in obj["metadata"]
    }
    status = obj.get("status") or {}
    labels = (obj["spec"].get("selector") or {}).get("matchLabels") or {}
    return Reply(
        200,
        {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": meta,
            "spec": {"replicas": obj["spec"].get("replicas", 0)},
            "status": {
                "replicas": status.get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in labels.items()),
            },
        },
    )


def _not_allowed(method: str) -> ApiError:
    return ApiError(405, f"the server does not allow this method on the requested resource ({method})")


def encode(doc: Obj) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
