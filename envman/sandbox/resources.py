"""The resource types a sandbox cluster serves: the built-in ones and those CRDs add."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One REST resource (plural) of one group, served at one or more versions."""

    group: str
    versions: tuple[str, ...]
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    builtin: bool = True
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = VERBS

    @property
    def key(self) -> str:
        """The storage key shared by all versions of the resource."""
        return f"{self.group}/{self.plural}"

    @property
    def singular(self) -> str:
        return self.kind.lower()

    def api_version(self, version: str | None = None) -> str:
        """The apiVersion string for `version` (default: the preferred version)."""
        ver = version or self.versions[0]
        return f"{self.group}/{ver}" if self.group else ver

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


_ALL = frozenset(
    {
        "pods",
        "services",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "horizontalpodautoscalers",
    }
)


def _core(
    kind: str, plural: str, *, ns: bool = True, short: tuple[str, ...] = (), sub: tuple[str, ...] = ()
) -> ResourceType:
    return _grp("", ("v1",), kind, plural, ns=ns, short=short, sub=sub)


def _grp(
    group: str,
    versions: tuple[str, ...],
    kind: str,
    plural: str,
    *,
    ns: bool = True,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
) -> ResourceType:
    categories = ("all",) if plural in _ALL else ()
    return ResourceType(group, versions, kind, plural, ns, short, sub, categories=categories)


REVIEWS = (
    ("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False),
    ("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False),
    ("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", False),
    ("authorization.k8s.io", "LocalSubjectAccessReview", "localsubjectaccessreviews", True),
    ("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews", False),
    ("authentication.k8s.io", "TokenReview", "tokenreviews", False),
)
"""The review kinds: created only, answered at once, never stored (group, kind, plural, namespaced)."""
_STATUS = ("status",)
_SCALE = ("status", "scale")
_CRD_GROUP = "apiextensions.k8s.io"

BUILTINS: tuple[ResourceType, ...] = (
    _core("Namespace", "namespaces", ns=False, short=("ns",), sub=("status", "finalize")),
    _core("Pod", "pods", short=("po",), sub=("status", "log", "exec", "attach", "portforward")),
    _core("Service", "services", short=("svc",), sub=_STATUS),
    _core("ConfigMap", "configmaps", short=("cm",)),
    _core("Secret", "secrets"),
    _core("ServiceAccount", "serviceaccounts", short=("sa",)),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",), sub=_STATUS),
    _core("PersistentVolume", "persistentvolumes", ns=False, short=("pv",), sub=_STATUS),
    _core("Endpoints", "endpoints", short=("ep",)),
    _core("Event", "events", short=("ev",)),
    _core("Node", "nodes", ns=False, short=("no",), sub=_STATUS),
    _core("LimitRange", "limitranges", short=("limits",)),
    _core("ResourceQuota", "resourcequotas", short=("quota",), sub=_STATUS),
    _grp("apps", ("v1",), "Deployment", "deployments", short=("deploy",), sub=_SCALE),
    _grp("apps", ("v1",), "ReplicaSet", "replicasets", short=("rs",), sub=_SCALE),
    _grp("apps", ("v1",), "StatefulSet", "statefulsets", short=("sts",), sub=_SCALE),
    _grp("apps", ("v1",), "DaemonSet", "daemonsets", short=("ds",), sub=_STATUS),
    _grp("apps", ("v1",), "ControllerRevision", "controllerrevisions"),
    _grp("batch", ("v1",), "Job", "jobs", sub=_STATUS),
    _grp("batch", ("v1",), "CronJob", "cronjobs", short=("cj",), sub=_STATUS),
    _grp(
        "autoscaling",
        ("v2", "v1"),
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        short=("hpa",),
        sub=_STATUS,
    ),
    _grp("policy", ("v1",), "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",), sub=_STATUS),
    _grp("networking.k8s.io", ("v1",), "Ingress", "ingresses", short=("ing",), sub=_STATUS),
    _grp("networking.k8s.io", ("v1",), "IngressClass", "ingressclasses", ns=False),
    _grp("networking.k8s.io", ("v1",), "NetworkPolicy", "networkpolicies", short=("netpol",)),
    _grp("discovery.k8s.io", ("v1",), "EndpointSlice", "endpointslices"),
    _grp("rbac.authorization.k8s.io", ("v1",), "Role", "roles"),
    _grp("rbac.authorization.k8s.io", ("v1",), "RoleBinding", "rolebindings"),
    _grp("rbac.authorization.k8s.io", ("v1",), "ClusterRole", "clusterroles", ns=False),
    _grp("rbac.authorization.k8s.io", ("v1",), "ClusterRoleBinding", "clusterrolebindings", ns=False),
    _grp("storage.k8s.io", ("v1",), "StorageClass", "storageclasses", ns=False, short=("sc",)),
    _grp("scheduling.k8s.io", ("v1",), "PriorityClass", "priorityclasses", ns=False, short=("pc",)),
    _grp("coordination.k8s.io", ("v1",), "Lease", "leases"),
    _grp(
        "admissionregistration.k8s.io",
        ("v1",),
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        ns=False,
    ),
    _grp(
        "admissionregistration.k8s.io",
        ("v1",),
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        ns=False,
    ),
    *(
        ResourceType(group, ("v1",), kind, plural, namespaced, verbs=("create",))
        for group, kind, plural, namespaced in REVIEWS
    ),
    _grp(
        _CRD_GROUP,
        ("v1",),
        "CustomResourceDefinition",
        "customresourcedefinitions",
        ns=False,
        short=("crd", "crds"),
        sub=_STATUS,
    ),
)


@dataclass
class Registry:
    """The types one cluster serves; CRDs add and remove types at run time."""

    types: list[ResourceType] = field(default_factory=lambda: list(BUILTINS))
    generation: int = 0
    """Counts the changes CRDs made (documents derived from the types are cached per generation)."""
    cache: dict[Any, Any] = field(default_factory=dict)
    """What is derived from the types (OpenAPI documents), emptied by every change."""

    def _changed(self) -> None:
        self.generation += 1
        self.cache.clear()

    def groups(self) -> dict[str, list[str]]:
        """Group name -> served versions (preferred first), core group excluded."""
        out: dict[str, list[str]] = {}
        for rtype in self.types:
            if rtype.group:
                versions = out.setdefault(rtype.group, [])
                versions.extend(v for v in rtype.versions if v not in versions)
        return out

    def in_version(self, group: str, version: str) -> list[ResourceType]:
        return [t for t in self.types if t.group == group and version in t.versions]

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        for rtype in self.types:
            if rtype.group == group and rtype.plural == plural and version in rtype.versions:
                return rtype
        return None

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        for rtype in self.types:
            if rtype.group == group and rtype.kind == kind:
                return rtype
        return None

    def by_key(self, key: str) -> ResourceType:
        for rtype in self.types:
            if rtype.key == key:
                return rtype
        raise KeyError(key)

    def add_crd(self, crd: dict[str, Any]) -> None:
        """Serve the custom resource a CRD defines (replacing an earlier definition)."""
        rtype = crd_type(crd)
        self.types = [t for t in self.types if t.key != rtype.key] + [rtype]
        self._changed()

    def remove_crd(self, crd: dict[str, Any]) -> None:
        key = crd_type(crd).key
        self.types = [t for t in self.types if t.key != key or t.builtin]
        self._changed()


def crd_type(crd: dict[str, Any]) -> ResourceType:
    """The ResourceType a CustomResourceDefinition object declares."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    served = [v for v in spec.get("versions", []) if v.get("served", True)]
    served.sort(key=lambda v: not v.get("storage", False))
    versions = tuple(str(v["name"]) for v in served)
    subs = {s for v in served for s in (v.get("subresources") or {})}
    return ResourceType(
        group=str(spec.get("group", "")),
        versions=versions,
        kind=str(names.get("kind", "")),
        plural=str(names.get("plural", "")),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        subresources=tuple(sorted(subs)),
        builtin=False,
        categories=tuple(names.get("categories") or ()),
    )
