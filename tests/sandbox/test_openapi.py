"""The OpenAPI documents: every kind the sandbox serves is found by its group-version-kind,
the schemas accept what real charts render (good enough for client-side validation) and
reject a wrong type or a missing required field, and v2 is served as JSON or protobuf."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from ruamel.yaml import YAML

from envman.sandbox.openapi import documents, proto
from envman.sandbox.resources import Registry as Types
from envman.sandbox.testing import RunningSandbox
from tests.conftest import EXAMPLE, HELM_BINARIES

Doc = dict[str, Any]


def _document(group: str, version: str) -> Doc:
    return dict(json.loads(documents.v3_document(Types(), lambda rtype: None, group, version)))


def _validator(doc: Doc, group: str, version: str, kind: str) -> Draft7Validator:
    schemas = doc["components"]["schemas"]
    wanted = {"group": group, "version": version, "kind": kind}
    (root,) = [s for s in schemas.values() if wanted in s.get("x-kubernetes-group-version-kind", [])]
    registry: Registry[Any] = Registry().with_resource("urn:doc", Resource.opaque(doc))
    return Draft7Validator({**root, "$id": "urn:doc", "components": doc["components"]}, registry=registry)


def test_every_kind_served_has_a_schema_found_by_its_group_version_kind() -> None:
    for rtype in Types().types:
        if rtype.verbs == ("create",):
            continue
        for version in rtype.versions:
            doc = _document(rtype.group, version)
            gvk = {"group": rtype.group, "version": version, "kind": rtype.kind}
            kinds = [
                s
                for s in doc["components"]["schemas"].values()
                if gvk in s.get("x-kubernetes-group-version-kind", [])
            ]
            assert len(kinds) == 1, gvk
            assert any("fieldValidation" in str(p) for p in doc["paths"].values())  # server-side validation


def _rendered() -> list[Doc]:
    helm = HELM_BINARIES["helm4"]
    if not helm.exists():
        pytest.skip(f"{helm} is missing: run scripts/setup")
    found = []
    for chart in ("web", "api", "worker", "postgres"):
        out = subprocess.run(
            [str(helm), "template", chart, str(EXAMPLE / "charts" / chart)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found += [d for d in YAML(typ="safe").load_all(out) if d]
    builtin = {(t.api_version(v), t.kind) for t in Types().types for v in t.versions}
    return [d for d in found if (d["apiVersion"], d["kind"]) in builtin]  # not the charts' custom resources


def test_the_schemas_accept_what_charts_render_and_reject_what_is_wrong() -> None:
    objects = _rendered()
    assert {o["kind"] for o in objects} >= {"Deployment", "Service", "ConfigMap"}
    for obj in objects:
        group, _, version = obj["apiVersion"].rpartition("/")
        validator = _validator(_document(group, version), group, version, obj["kind"])
        assert not list(validator.iter_errors(obj)), (
            obj["kind"],
            [e.message for e in validator.iter_errors(obj)],
        )
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    validator = _validator(_document("apps", "v1"), "apps", "v1", "Deployment")
    wrong = json.loads(json.dumps(deployment))
    wrong["spec"]["replicas"] = "three"
    del wrong["spec"]["template"]["spec"]["containers"][0]["name"]
    errors = sorted(e.message for e in validator.iter_errors(wrong))
    assert errors == ["'name' is a required property", "'three' is not of type 'integer'"]


def test_v2_is_served_as_json_or_as_protobuf(sandbox: RunningSandbox) -> None:
    def get(accept: str) -> tuple[str, bytes]:
        request = urllib.request.Request(sandbox.server("alpha") + "/openapi/v2", headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers["Content-Type"], response.read()

    media, body = get("application/json")
    swagger = json.loads(body)
    deployment = swagger["definitions"]["io.k8s.api.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    assert swagger["definitions"]["io.k8s.api.v1.DeploymentSpec"]["properties"]["template"]["$ref"] == (
        "#/definitions/io.k8s.api.v1.PodTemplateSpec"
    )
    media, body = get("application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json")
    assert media == proto.MEDIA and body.startswith(b"\n\x032.0")  # field 1 (swagger) = "2.0"
