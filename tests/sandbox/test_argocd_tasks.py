"""How the hub plans a sync, as gitops-engine does: helm hooks mapped to PreSync/PostSync (test
hooks never run), hooks ordered by weight, resources by sync wave, no-longer-rendered objects
pruned in the Sync phase; delete policies mapped from helm's."""

from __future__ import annotations

from typing import Any

from envman.sandbox.argocd.tasks import delete_policies, hook_types, is_hook, plan

Obj = dict[str, Any]


def _obj(kind: str, name: str, **annotations: str) -> Obj:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "annotations": annotations}}


def test_helm_hooks_become_argo_cd_hooks() -> None:
    migrate = _obj(
        "Job", "migrate", **{"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5"}
    )
    notify = _obj("Job", "notify", **{"helm.sh/hook": "post-upgrade"})
    test = _obj("Pod", "test", **{"helm.sh/hook": "test"})
    crd = _obj("CustomResourceDefinition", "crd", **{"helm.sh/hook": "crd-install"})
    own = _obj("Job", "own", **{"argocd.argoproj.io/hook": "PostSync", "helm.sh/hook": "pre-install"})
    skip = _obj("ConfigMap", "skip", **{"argocd.argoproj.io/hook": "Skip"})
    assert [is_hook(o) for o in (migrate, notify, test, crd, own, skip)] == [
        True,
        True,
        True,
        False,
        True,
        False,
    ]
    assert hook_types(migrate) == ["PreSync"] and hook_types(notify) == ["PostSync"]
    assert hook_types(test) == [] and hook_types(own) == ["PostSync"]
    assert delete_policies(migrate) == {"BeforeHookCreation"}
    cleanup = _obj("Job", "x", **{"helm.sh/hook-delete-policy": "hook-succeeded,before-hook-creation"})
    assert delete_policies(cleanup) == {"HookSucceeded", "BeforeHookCreation"}


def test_tasks_run_by_phase_then_wave() -> None:
    objects = [
        _obj("ConfigMap", "late", **{"argocd.argoproj.io/sync-wave": "2"}),
        _obj("ConfigMap", "early", **{"argocd.argoproj.io/sync-wave": "-1"}),
        _obj("Service", "web"),
        _obj("Job", "migrate", **{"helm.sh/hook": "pre-upgrade", "helm.sh/hook-weight": "3"}),
        _obj("Job", "notify", **{"helm.sh/hook": "post-install"}),
        _obj("Pod", "test", **{"helm.sh/hook": "test"}),
    ]
    gone = _obj("Secret", "old")
    sync = plan(objects, [(("/secrets", "apps", "old"), gone)])
    order = [(t.phase, t.wave, t.obj["metadata"]["name"], t.prune is not None) for t in sync.tasks]
    assert order == [
        ("PreSync", 3, "migrate", False),
        ("Sync", -1, "early", False),
        ("Sync", 0, "web", False),
        ("Sync", 0, "old", True),
        ("Sync", 2, "late", False),
        ("PostSync", 0, "notify", False),
    ]
    assert [t.obj["metadata"]["name"] for t in sync.pending_step()] == ["migrate"]
