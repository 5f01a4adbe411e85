"""The RBAC CI needs on the hub (deploy/argocd/envman-ci-rbac.yaml) grants every request the
argocd engine makes there, in Argo CD's namespace only."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import ROOT

MANIFEST = ROOT / "deploy" / "argocd" / "envman-ci-rbac.yaml"
USED = {
    ("argoproj.io", "applications"): {"get", "list", "create", "patch", "delete"},  # apply, operation, read
    ("coordination.k8s.io", "leases"): {"get", "create", "update", "delete"},  # the lock
    ("", "configmaps"): {"get", "create", "patch"},  # the verification records
}


def test_the_role_grants_what_envman_does_on_the_hub_and_is_bound() -> None:
    docs: list[dict[str, Any]] = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"ServiceAccount", "Role", "RoleBinding"}
    assert {d["metadata"]["namespace"] for d in docs} == {"argocd"}  # a Role, not a ClusterRole
    granted = {
        (group, resource): set(rule["verbs"])
        for rule in kinds["Role"]["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    for key, verbs in USED.items():
        assert verbs <= granted.get(key, set()), key
    assert set(granted) == set(USED)
    binding = kinds["RoleBinding"]
    assert binding["roleRef"]["name"] == kinds["Role"]["metadata"]["name"]
    assert binding["subjects"][0]["name"] == kinds["ServiceAccount"]["metadata"]["name"]
