"""The vendored Argo CD CRDs are the pinned files (SOURCES.md), ship in the package, and the
strict schema check (`tests/argocd_schema.py`) accepts well-formed Applications and rejects
unknown fields and wrong types as `kubectl apply --validate=strict` would."""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from envman.sandbox.argocd import definitions
from tests.argocd_schema import assert_valid, schema_errors

Obj = dict[str, Any]
CRDS = Path(definitions.__file__).parent / "crds"

APPLICATION: Obj = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {
        "name": "prod-prod-use1-api",
        "namespace": "argocd",
        "labels": {"envman.io/environment": "prod"},
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
    },
    "spec": {
        "project": "default",
        "source": {
            "repoURL": "https://github.com/acme/deploy.git",
            "path": "charts/api",
            "targetRevision": "0123456789abcdef0123456789abcdef01234567",
            "helm": {"releaseName": "api", "valuesObject": {"image": {"tag": "1.4.2"}, "replicas": 3}},
        },
        "destination": {"name": "prod-use1", "namespace": "api"},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    },
    "operation": {
        "sync": {"revision": "0123456789abcdef0123456789abcdef01234567", "prune": True},
        "initiatedBy": {"username": "envman"},
    },
}


def test_the_vendored_files_are_the_pinned_ones() -> None:
    sources = (CRDS / "SOURCES.md").read_text()
    assert "argoproj/argo-cd" in sources and "v3.5.1" in sources and "Apache License 2.0" in sources
    for name in ("application-crd.yaml", "appproject-crd.yaml"):
        digest = hashlib.sha256((CRDS / name).read_bytes()).hexdigest()
        assert re.search(rf"`{re.escape(name)}` {digest}", sources), name
    assert definitions.crd("Application")["metadata"]["name"] == "applications.argoproj.io"


def test_the_vendored_release_manifest_holds_the_same_crds() -> None:
    """The kind test's install.yaml (tests/data/argocd) is the pinned release, and its CRDs are
    the ones the sandbox serves: the sandbox and a real Argo CD check Applications alike."""
    manifest = Path(__file__).resolve().parent.parent / "data" / "argocd" / "install.yaml"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert digest in (manifest.parent / "SOURCES.md").read_text()
    crds = {
        doc["metadata"]["name"]: doc
        for doc in yaml.load_all(manifest.read_text(), Loader=yaml.CSafeLoader)
        if doc and doc["kind"] == "CustomResourceDefinition"
    }
    for name in ("application-crd.yaml", "appproject-crd.yaml"):
        vendored = yaml.load((CRDS / name).read_text(), Loader=yaml.CSafeLoader)
        assert crds[vendored["metadata"]["name"]] == vendored, name


def test_a_well_formed_application_is_valid() -> None:
    assert schema_errors(APPLICATION) == []
    assert_valid(APPLICATION)


def test_unknown_fields_and_wrong_types_are_rejected() -> None:
    app = copy.deepcopy(APPLICATION)
    app["spec"]["source"]["helm"]["valuez"] = {}
    app["spec"]["destination"]["cluster"] = "prod-use1"
    app["metadata"]["labelz"] = {}
    app["operation"]["sync"]["prune"] = "yes"
    assert schema_errors(app) == [
        "metadata: Additional properties are not allowed ('labelz' was unexpected)",
        "operation.sync.prune: 'yes' is not of type 'boolean'",
        "spec.destination: Additional properties are not allowed ('cluster' was unexpected)",
        "spec.source.helm: Additional properties are not allowed ('valuez' was unexpected)",
    ]


def test_preserved_fields_stay_open_and_required_ones_are_required() -> None:
    app = copy.deepcopy(APPLICATION)
    app["spec"]["source"]["helm"]["valuesObject"] = {"anything": {"goes": [1, "two"]}}
    assert schema_errors(app) == []
    del app["spec"]["destination"], app["spec"]["project"]
    assert schema_errors(app) == [
        "spec: 'destination' is a required property",
        "spec: 'project' is a required property",
    ]
