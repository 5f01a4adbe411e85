"""Kubernetes `Status` error bodies, raised as `ApiError` by the request handlers."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

REASONS = {
    400: "BadRequest",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
}


class ApiError(Exception):
    """A request failure, rendered as a `Status` object with the matching HTTP code."""

    def __init__(
        self, code: int, message: str, *, reason: str | None = None, details: Obj | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def qualified(kind: str, group: str) -> str:
    """`Deployment.apps` style, as the API server names kinds in messages."""
    return f"{kind}.{group}" if group else kind


def resource_name(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404,
        f'{resource_name(plural, group)} "{name}" not found',
        details={"name": name, "group": group, "kind": plural},
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'{resource_name(plural, group)} "{name}" already exists',
        reason="AlreadyExists",
        details={"name": name, "group": group, "kind": plural},
    )


def conflict(plural: str, group: str, name: str) -> ApiError:
    message = (
        f'Operation cannot be fulfilled on {resource_name(plural, group)} "{name}": '
        "the object has been modified; please apply your changes to the latest "
        "version and try again"
    )
    return ApiError(409, message, details={"name": name, "group": group, "kind": plural})


def invalid(kind: str, group: str, name: str, field: str, detail: str) -> ApiError:
    message = f'{qualified(kind, group)} "{name}" is invalid: {field}: {detail}'
    cause = {"reason": "FieldValueInvalid", "message": detail, "field": field}
    return ApiError(422, message, details={"name": name, "group": group, "kind": kind, "causes": [cause]})


def success(plural: str, group: str, name: str, uid: str) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "group": group, "kind": plural, "uid": uid},
    }


# The kinds whose registry answers a DELETE with the deleted object (`ReturnDeletedObject:
# true` in kube-apiserver's registries), not a Status: the kubernetes client decodes the body
# of delete_namespaced_service, ... as the object.
_RETURN_DELETED = frozenset(
    {
        ("", "services"),
        ("", "serviceaccounts"),
        ("", "persistentvolumeclaims"),
        ("", "persistentvolumes"),
        ("storage.k8s.io", "storageclasses"),
    }
)


def deleted(plural: str, group: str, obj: Obj, time: str) -> Obj:
    """What a DELETE answers: a pod as it begins its graceful termination, the object itself
    for the kinds of `_RETURN_DELETED`, else a Success status."""
    meta = obj["metadata"]
    if plural == "pods" and not group:
        grace = (obj.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        meta.update(deletionTimestamp=time, deletionGracePeriodSeconds=grace)
        return obj
    if (group, plural) in _RETURN_DELETED:
        return obj
    return success(plural, group, meta["name"], meta["uid"])
