"""Argo CD's names the hub uses, and its vendored CRDs (see `crds/SOURCES.md`)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import yaml

Obj = dict[str, Any]

GROUP = "argoproj.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
APPLICATIONS = f"{GROUP}/applications"
"""The store key of Applications (`<group>/<plural>`)."""
APPPROJECTS = f"{GROUP}/appprojects"

INSTANCE_LABEL = "app.kubernetes.io/instance"
"""Argo CD's label tracking: every object of an Application carries its name here."""
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
"""On an Application: deleting it first deletes its resources (foreground, as Argo CD)."""
BACKGROUND_FINALIZER = f"{RESOURCES_FINALIZER}/background"
FIELD_MANAGER = "argocd-controller"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
HELM_HOOK = "helm.sh/hook"
HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
HELM_HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy"
HELM_RESOURCE_POLICY = "helm.sh/resource-policy"

CRD_FILES = {"Application": "application-crd.yaml", "AppProject": "appproject-crd.yaml"}


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it: the Application CRD is 400 kB of YAML."""


@functools.cache
def _crd_json(kind: str) -> str:
    text = (resources.files(__package__) / "crds" / CRD_FILES[kind]).read_text(encoding="utf-8")
    return json.dumps(yaml.load(text, Loader=_LOADER))


def crd(kind: str) -> Obj:
    """A fresh copy of the vendored CustomResourceDefinition of `kind` (Application or AppProject)."""
    document: Obj = json.loads(_crd_json(kind))
    return document


def openapi_schema(kind: str) -> Obj:
    """The `openAPIV3Schema` of the served version of `kind`."""
    versions = crd(kind)["spec"]["versions"]
    served = next(v for v in versions if v.get("storage"))
    schema: Obj = served["schema"]["openAPIV3Schema"]
    return schema
