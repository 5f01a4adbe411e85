"""What the sandbox stores of a write, as kube-apiserver decodes it into the kind's struct:
wrong JSON types refused, unknown fields refused under Strict and dropped otherwise, nulls gone;
custom resources as sent."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from envman.sandbox.decoding import decoded
from envman.sandbox.resources import Registry, ResourceType
from envman.sandbox.status import ApiError

Obj = dict[str, Any]
DEPLOYMENT: Obj = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "empty": None}, "annotations": None},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.27",
                        "resources": {"limits": {"cpu": 1, "memory": "1Gi"}, "requests": {"cpu": 0.5}},
                        "env": [{"name": "MODE", "value": "fast"}],
                    }
                ],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": 1024}}],
            },
        },
    },
}


def rtype(kind: str) -> ResourceType:
    return next(t for t in Registry().types if t.kind == kind and t.builtin)


def edited(path: str, value: Any) -> Obj:
    obj = copy.deepcopy(DEPLOYMENT)
    *parents, last = path.split(".")
    here: Any = obj
    for part in parents:
        here = here[int(part)] if part.isdigit() else here[part]
    here[last] = value
    return obj


def refusal(obj: Obj, validation: str | None = None) -> str:
    with pytest.raises(ApiError) as caught:
        decoded(rtype("Deployment"), obj, validation)
    assert caught.value.code == 400 and caught.value.reason == "BadRequest"
    return caught.value.message


def test_a_valid_object_keeps_every_field_but_its_nulls() -> None:
    stored = decoded(rtype("Deployment"), copy.deepcopy(DEPLOYMENT), "Strict")
    assert stored["metadata"] == {"name": "web", "labels": {"app": "web", "empty": ""}}
    assert (
        stored["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == 1
    )  # a quantity
    assert stored["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": 0}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "spec.replicas",
            "three",
            "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            "spec.template.spec.containers.0.env",
            [{"name": "MODE", "value": 1}],
            "cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string",
        ),
        (
            "metadata.annotations",
            {"enabled": True},
            "cannot unmarshal bool into Go struct field ObjectMeta.metadata.annotations.enabled of type string",
        ),
        (
            "spec.template.spec.containers",
            {"name": "web"},
            "cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []Container",
        ),
    ],
)
def test_a_wrong_type_is_refused_whatever_the_validation(path: str, value: Any, expected: str) -> None:
    message = refusal(edited(path, value), "Ignore")
    assert message == f'Deployment in version "v1" cannot be handled as a Deployment: json: {expected}'


def test_unknown_fields_are_refused_under_strict_and_dropped_otherwise() -> None:
    obj = edited("spec.replicaz", 3)
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    assert refusal(obj, "Strict").endswith(  # in the order of the document
        'strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy", '
        'unknown field "spec.replicaz"'
    )
    for validation in ("Warn", "Ignore", None):
        stored = decoded(rtype("Deployment"), copy.deepcopy(obj), validation)
        assert "replicaz" not in stored["spec"]
        assert "imagePullPolicyy" not in stored["spec"]["template"]["spec"]["containers"][0]


def test_a_custom_resource_is_stored_as_sent() -> None:
    crd = ResourceType("example.com", ("v1",), "Widget", "widgets", builtin=False)
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"anything": None, "size": "big"}}
    assert decoded(crd, body, "Strict") == body
