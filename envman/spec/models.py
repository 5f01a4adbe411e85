"""Pydantic models of an environment file (README, The environment spec), strict: unknown keys are errors."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, create_model, model_validator

from envman.gates.registry import KINDS
from envman.kit.strict import DURATION_SCHEMA, Duration, Strict

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
    """One Kubernetes cluster of the environment."""

    region: str
    """Cloud region; waves and `regions.<region>` overrides select by it."""
    context: str | None = None
    """kubeconfig context (default: the cluster's name)."""
    kubeconfig: str | None = None
    """kubeconfig file, from the repository root or ~ (default: --kubeconfig, $KUBECONFIG, ~/.kube/config)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels that wave selectors and `-l key=value` choose clusters by."""
    argocdName: str | None = None
    """Argo CD's destination name of this cluster, for `rollout.engine: argocd` (default: its name)."""


class SecretSource(Strict):
    """Where a secret value comes from: exactly one of `env`, `file` or `sops` (with `path`)."""

    env: str | None = None
    """Name of the environment variable holding the secret."""
    file: str | None = None
    """File holding the secret (relative to the repository root, or ~); may be outside it."""
    sops: str | None = None
    """SOPS-encrypted YAML or JSON file in the repository (e.g. secrets/prod.enc.yaml), decrypted
    by the `sops` binary with sops' own key settings (SOPS_AGE_KEY_FILE, PGP, cloud KMS)."""
    path: str | None = None
    """With `sops`: the dotted path of the value in the decrypted file (e.g. db.password)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretSource:
        if sum(source is not None for source in (self.env, self.file, self.sops)) != 1:
            raise ValueError("a secret source needs exactly one of 'env', 'file' or 'sops'")
        if (self.sops is None) != (self.path is None):
            raise ValueError("'sops' and 'path' go together: the file and the dotted path of the value in it")
        return self


class Repository(Strict):
    """A chart repository: HTTP(S) (charts referenced as `<name>/<chart>`) or an OCI
    registry path (`url: oci://host/path`; `<name>/<chart>` is `oci://host/path/<chart>`)."""

    url: str
    """Repository URL: https://..., http://... or oci://host/path."""
    username: SecretSource | None = None
    """User name, from a secret source (never on a command line or in output)."""
    password: SecretSource | None = None
    """Password or token, from a secret source (given to helm on stdin only)."""
    caFile: str | None = None
    """CA bundle verifying the server's certificate (from the repository root)."""
    certFile: str | None = None
    """Client certificate (from the repository root)."""
    keyFile: str | None = None
    """Client key (from the repository root)."""
    insecureSkipTlsVerify: bool = False
    """Do not verify the server's certificate."""
    plainHttp: bool = False
    """OCI registry over plain HTTP (a local or test registry)."""
    verify: bool = False
    """Verify every chart's provenance (its `.prov` signature) against `keyring` before it is
    locked or used; a chart without a valid signature is an error."""
    keyring: str | None = None
    """With `verify`: the public keyring (from the repository root, e.g. keys/charts-pubring.gpg)."""

    @property
    def is_oci(self) -> bool:
        return self.url.startswith("oci://")


class Override(Strict):
    """A region's or a cluster's changes to an app."""

    enabled: bool | None = None
    """Install the app here (false: not installed, uninstalled by `sync --prune`)."""
    version: str | None = None
    """Chart version here."""
    values: dict[str, Any] = Field(default_factory=dict)
    """Values layered over the app's values here (maps merge, lists replace, null deletes)."""


class IgnoreDifference(Strict):
    """Live fields that are not drift: `paths` (dotted, `[*]` for any list item) of objects
    of `kind` (every kind when unset), e.g. an HPA's `spec.replicas` of a Deployment."""

    kind: str | None = None
    """Kind of the objects (every kind when unset)."""
    paths: list[str] = Field(min_length=1)
    """Dotted field paths (`[*]` for any list item) that are not drift."""


class App(Strict):
    """One app: a helm release on every cluster where it is enabled."""

    chart: str
    """Local chart path from the repository root, `<repository>/<chart>`, or `oci://...`."""
    version: str | None = None
    """Chart version: required for remote charts; for a local chart, if set, must equal Chart.yaml's."""
    release: ReleaseName | None = None
    """helm release name (default: the app's name)."""
    namespace: Namespace = "default"
    """Namespace of the release (created if missing)."""
    enabled: bool = True
    """Install the app (a region or cluster may override)."""
    needs: list[str] = Field(default_factory=list)
    """Apps deployed (and healthy) first, on the same cluster."""
    valuesFiles: list[str] = Field(default_factory=list)
    """Values files from the repository root, applied in order before `values`."""
    values: dict[str, Any] = Field(default_factory=dict)
    """Inline values, applied after `valuesFiles`."""
    secrets: dict[str, SecretSource] = Field(default_factory=dict)
    """Value path -> secret source, resolved when envman runs helm, never printed."""
    promote: list[str] = Field(default_factory=list)
    """Value paths `envman promote` carries from the source environment, besides `version`."""
    regions: dict[str, Override] = Field(default_factory=dict)
    """Per-region overrides."""
    clusters: dict[str, Override] = Field(default_factory=dict)
    """Per-cluster overrides (applied after the region's)."""
    timeout: Duration = 300.0
    """helm timeout of one install, upgrade or rollback of the release."""
    ignoreDifferences: list[IgnoreDifference] = Field(default_factory=list)
    """Live fields that are not drift (e.g. spec.replicas under an HPA)."""


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
    fields: dict[str, Any] = {
        name: (kind.config | None, Field(None, description=(kind.config.__doc__ or "").strip()))
        for name, kind in KINDS.items()
    }
    gate = create_model("Gate", __base__=GateSpec, __module__=__name__, **fields)
    gate.__doc__ = "One verification gate: exactly one of its keys is set."
    gate.model_rebuild(force=True)
    return gate


if TYPE_CHECKING:
    Gate = GateSpec
else:
    Gate = _gate_model()


class Selector(Strict):
    """Clusters chosen by region and labels."""

    region: list[str] | str | None = None
    """Region or regions of the clusters."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels the clusters must all have."""

    @property
    def regions(self) -> list[str]:
        if self.region is None:
            return []
        return [self.region] if isinstance(self.region, str) else list(self.region)


def _bake_schema(schema: dict[str, Any]) -> None:
    """`bake` as written: a duration (`10m`) or the long form."""
    long_form = dict(schema)
    schema.clear()
    schema.update(description=long_form.get("description", ""), anyOf=[DURATION_SCHEMA, long_form])


class Bake(Strict):
    """After the gates pass, keep re-checking health: `10m` (every 30s), or
    `{duration: 10m, every: 10s}`."""

    model_config = ConfigDict(json_schema_extra=_bake_schema)

    duration: Duration
    """How long to keep re-checking health after the gates pass."""
    every: Duration = Field(default=30.0, gt=0)
    """How often health is re-checked meanwhile."""

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"duration": value} if isinstance(value, str) else value


class Wave(Strict):
    """A group of clusters synced together; exactly one of `clusters`, `regions`, `selector`."""

    name: ReleaseName
    """Name of the wave (`--approve NAME`)."""
    clusters: list[str] | None = None
    """The wave's clusters by name."""
    regions: list[str] | None = None
    """The wave's clusters by region."""
    selector: Selector | None = None
    """The wave's clusters by region and labels."""
    bake: Bake | None = None
    """After the gates pass, keep re-checking health for this long (`10m`, every 30s), or
    `{duration: 10m, every: 10s}`."""
    approval: bool = False
    """Needs approval before it starts: asked on a terminal, else exit 4 until `--approve NAME`."""
    maxParallel: int | None = Field(default=None, ge=1)
    """Clusters of this wave synced at once (default: rollout.maxParallel)."""
    gates: list[Gate] = Field(default_factory=list)
    """Gates of this wave, run after the rollout's own."""

    @model_validator(mode="after")
    def _one_way_to_choose(self) -> Wave:
        chosen = [k for k in ("clusters", "regions", "selector") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("a wave chooses its clusters with exactly one of: clusters, regions, selector")
        return self


OnFailure = Literal["rollback-wave", "rollback-all", "halt"]
Engine = Literal["helm", "argocd"]


class ArgoCD(Strict):
    """Where Argo CD runs, for `rollout.engine: argocd` (its hub cluster and namespace)."""

    context: str
    """kubeconfig context of the hub: the cluster where Argo CD runs."""
    kubeconfig: str | None = None
    """kubeconfig file of the hub, from the repository root or ~ (default: as for clusters)."""
    namespace: Namespace = "argocd"
    """Namespace of the Applications on the hub (envman's lock and verification record too)."""
    project: str = "default"
    """Argo CD AppProject of the Applications."""
    repoURL: str | None = None
    """git URL where Argo CD reads local charts (default: the repository's remote `origin`)."""


class FailFast(Strict):
    """When a release waiting for readiness has definitively failed (README, Sync: fails fast)."""

    restarts: int = Field(default=2, ge=0, description="A container restarted more often has failed.")
    unschedulable: Duration = Field(default=120.0, description="A pod unschedulable this long has failed.")


class Rollout(Strict):
    """How changes roll out across the clusters."""

    engine: Engine = "helm"
    """What applies the releases: helm, run by envman against each cluster, or Argo CD on a hub (`argocd`)."""
    argocd: ArgoCD | None = None
    """The Argo CD hub, for `engine: argocd`."""
    onFailure: OnFailure = "rollback-wave"
    """What a failed release or gate rolls back: the failing wave, every wave of the run, or nothing."""
    failFast: bool | FailFast = True
    """Fail a release as soon as its workloads fail definitively (false: wait for helm's timeout)."""
    maxParallel: int = Field(default=1, ge=1)
    """Clusters of a wave synced at once."""
    concurrency: int = Field(default=4, ge=1)
    """Releases of one dependency layer synced at once per cluster."""
    gates: list[Gate] | None = None
    """Gates run after every wave that changed something (default: health)."""
    waves: list[Wave] = Field(default_factory=list)
    """The waves in rollout order; every cluster in exactly one."""


class EnvironmentSpec(Strict):
    """One environment file after its `extends` chain is layered underneath it."""

    schema_: str | None = Field(default=None, alias="$schema")
    """The JSON Schema of this file, for editors (`envman schema`); ignored by envman."""
    extends: str | None = None
    """Another file of environments/ (without .yaml) layered underneath this one."""
    abstract: bool = False
    """A base only: cannot be planned or synced."""
    repositories: dict[str, str | Repository] = Field(default_factory=dict)
    """helm chart repositories: name -> URL (short form) or its settings, charts referenced
    as `<name>/<chart>`."""
    clusters: dict[str, Cluster] = Field(default_factory=dict)
    """The environment's clusters by name."""
    apps: dict[ReleaseName, App] = Field(default_factory=dict)
    """The environment's apps by name (the helm release name by default)."""
    rollout: Rollout | None = None
    """How changes roll out: waves, gates, rollback policy."""

    def repository(self, name: str) -> Repository:
        """The settings of repository `name` (a short-form URL becomes its `url`)."""
        entry = self.repositories[name]
        return entry if isinstance(entry, Repository) else Repository(url=entry)
