"""The review kinds, answered as an API server that allows everything answers them: `kubectl
auth can-i` (SelfSubjectAccessReview: allowed), `auth can-i --list` (SelfSubjectRulesReview:
every verb on every resource), `auth whoami` (SelfSubjectReview), and their subject and token
counterparts. Nothing is stored: the reply is the request with its status."""

from __future__ import annotations

from typing import Any

from envman.sandbox.resources import ResourceType

Obj = dict[str, Any]

USER = {"username": "sandbox", "groups": ["system:masters", "system:authenticated"]}
REASON = "the envman sandbox allows every request"


def answer(rtype: ResourceType, body: Obj) -> Obj:
    """The review `body` asks for, with the status the sandbox gives it."""
    reply = {**body, "apiVersion": rtype.api_version(), "kind": rtype.kind}
    reply["metadata"] = {**(body.get("metadata") or {}), "creationTimestamp": None}
    reply["status"] = _status(rtype.kind)
    return reply


def _status(kind: str) -> Obj:
    if kind == "SelfSubjectRulesReview":
        return {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    if kind == "SelfSubjectReview":
        return {"userInfo": USER}
    if kind == "TokenReview":
        return {"authenticated": True, "user": USER, "audiences": []}
    return {"allowed": True, "reason": REASON}
