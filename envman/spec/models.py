"""Pydantic models of an environment file (DESIGN.md section 3), strict: unknown keys are errors."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model, model_validator

from envman.gates.registry import KINDS
from envman.kit.strict import Duration, Strict

_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _dns_label(what: str, longest: int) -> AfterValidator:
    def check(name: str) -> str:
        if len(name) > longest or not _DNS1123.match(name):
            raise ValueError(
                f"{name!r} is not a valid {what}: lowercase letters, digits and '-', "
                f"starting and ending with a letter or digit, at most {longest} characters"
            )
        return name

    return AfterValidator(check)


ReleaseName = Annotated[str, _dns_label("helm release name", 53)]
Namespace = Annotated[str, _dns_label("namespace (a DNS-1123 label)", 63)]


class Cluster(Strict):
    region: str
    context: str | None = None
    kubeconfig: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class SecretSource(Strict):
    env: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretSource:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret source needs exactly one of 'env' or 'file'")
        return self


class Override(Strict):
    """A region's or a cluster's changes to an app."""

    enabled: bool | None = None
    version: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)


class IgnoreDifference(Strict):
    """Live fields that are not drift: `paths` (dotted, `[*]` for any list item) of objects
    of `kind` (every kind when unset), e.g. an HPA's `spec.replicas` of a Deployment."""

    kind: str | None = None
    paths: list[str] = Field(min_length=1)


class App(Strict):
    chart: str
    version: str | None = None
    release: ReleaseName | None = None
    namespace: Namespace = "default"
    enabled: bool = True
    needs: list[str] = Field(default_factory=list)
    valuesFiles: list[str] = Field(default_factory=list)
    values: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, SecretSource] = Field(default_factory=dict)
    promote: list[str] = Field(default_factory=list)
    regions: dict[str, Override] = Field(default_factory=dict)
    clusters: dict[str, Override] = Field(default_factory=dict)
    timeout: Duration = 300.0
    ignoreDifferences: list[IgnoreDifference] = Field(default_factory=list)


class GateSpec(Strict):
    """One verification gate: exactly one of its keys (a kind of `envman.gates.registry`) is set."""

    @model_validator(mode="after")
    def _exactly_one(self) -> GateSpec:
        if sum(getattr(self, kind) is not None for kind in KINDS) != 1:
            raise ValueError(f"a gate has exactly one of: {', '.join(KINDS)}")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in KINDS if getattr(self, kind) is not None)

    @property
    def config(self) -> Strict:
        config: Strict = getattr(self, self.kind)
        return config


def _gate_model() -> type[GateSpec]:
    """`Gate`: a `GateSpec` with one optional field per registered gate kind."""
    fields: dict[str, Any] = {name: (kind.config | None, None) for name, kind in KINDS.items()}
    gate = create_model("Gate", __base__=GateSpec, __module__=__name__, **fields)
    gate.__doc__ = "One verification gate: exactly one of its keys is set."
    gate.model_rebuild(force=True)
    return gate


if TYPE_CHECKING:
    Gate = GateSpec
else:
    Gate = _gate_model()


class Selector(Strict):
    region: list[str] | str | None = None
    labels: dict[str, str] = Field(default_factory=dict)

    @property
    def regions(self) -> list[str]:
        if self.region is None:
            return []
        return [self.region] if isinstance(self.region, str) else list(self.region)


class Wave(Strict):
    name: ReleaseName
    clusters: list[str] | None = None
    regions: list[str] | None = None
    selector: Selector | None = None
    bake: Duration | None = None
    approval: bool = False
    maxParallel: int | None = Field(default=None, ge=1)
    gates: list[Gate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_way_to_choose(self) -> Wave:
        chosen = [k for k in ("clusters", "regions", "selector") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("a wave chooses its clusters with exactly one of: clusters, regions, selector")
        return self


OnFailure = Literal["rollback-wave", "rollback-all", "halt"]


class FailFast(Strict):
    """When a release waiting for readiness has definitively failed (DESIGN.md section 5.5)."""

    restarts: int = Field(default=2, ge=0, description="A container restarted more often has failed.")
    unschedulable: Duration = Field(default=120.0, description="A pod unschedulable this long has failed.")


class Rollout(Strict):
    onFailure: OnFailure = "rollback-wave"
    failFast: bool | FailFast = True
    maxParallel: int = Field(default=1, ge=1)
    concurrency: int = Field(default=4, ge=1)
    gates: list[Gate] | None = None
    waves: list[Wave] = Field(default_factory=list)


class EnvironmentSpec(Strict):
    """One environment file after its `extends` chain is layered underneath it."""

    extends: str | None = None
    abstract: bool = False
    repositories: dict[str, str] = Field(default_factory=dict)
    clusters: dict[str, Cluster] = Field(default_factory=dict)
    apps: dict[ReleaseName, App] = Field(default_factory=dict)
    rollout: Rollout | None = None
