"""Desired releases: what each app should be on each cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envman.kit.errors import PlanError
from envman.plan.drift import IgnoreRule
from envman.plan.values import app_values, chart_version
from envman.spec.checks import is_local_chart, repository_of
from envman.spec.environment import Environment
from envman.spec.merge import set_path


@dataclass(frozen=True)
class ChartSource:
    """Where helm finds a chart.

    `ref` is a local chart directory or archive, `repo/chart` (resolved through the local
    helm repository config), `oci://registry/path/chart`, or, with `repo_url` set, a chart
    name in that HTTP repository. `version` is the chart version; None takes what the ref
    points at.
    """

    ref: str
    version: str | None = None
    repo_url: str | None = None
    repository: str | None = None
    """The name of the spec's `repositories` entry it comes from (its credentials, TLS)."""

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return (self.ref, self.version, self.repo_url)

    @property
    def remote(self) -> bool:
        return self.repo_url is not None or self.ref.startswith("oci://")


@dataclass(frozen=True)
class DesiredRelease:
    cluster: str
    region: str
    app: str
    release: str
    namespace: str
    chart: ChartSource
    values: dict[str, Any] = field(hash=False)
    secret_paths: tuple[str, ...] = ()
    timeout_seconds: float = 300.0
    chart_spec: str = ""
    """The chart as written in the spec (`charts/api`, `repo/chart`, `oci://...`)."""
    chart_digest: str | None = None
    """The content digest of a local chart (set by the application, which reads files)."""
    unresolved: tuple[str, ...] = ()
    """Secret paths whose source a read-only command could not read: not compared."""
    ignore: tuple[IgnoreRule, ...] = ()
    """Live fields that are not drift (the app's `ignoreDifferences`)."""


def chart_ref(env: Environment, app: str, cluster: str) -> ChartSource:
    chart = env.apps[app].chart
    version = chart_version(env, app, cluster)
    if is_local_chart(chart, env):
        return ChartSource(str(env.root / Path(chart)), version)
    repo = repository_of(chart, env)
    if repo is not None:
        settings = env.spec.repository(repo)
        name = chart.partition("/")[2]
        if settings.is_oci:
            return ChartSource(f"{settings.url.rstrip('/')}/{name}", version, repository=repo)
        return ChartSource(name, version, settings.url, repository=repo)
    return ChartSource(chart, version, repository=_registry_of(env, chart))


def _registry_of(env: Environment, chart: str) -> str | None:
    """The OCI `repositories` entry whose URL a direct `oci://` chart reference lies under."""
    for name in env.spec.repositories:
        url = env.spec.repository(name).url.rstrip("/")
        if url.startswith("oci://") and chart.startswith(url + "/"):
            return name
    return None


def desired_release(
    env: Environment,
    app: str,
    cluster: str,
    secrets: Mapping[str, str] | None = None,
    unresolved: tuple[str, ...] = (),
) -> DesiredRelease:
    """`app` on `cluster`, its values layered and its resolved secrets set at their paths;
    `unresolved` secret paths are left out of the values (and not compared)."""
    spec = env.apps[app]
    values = app_values(env, app, cluster)
    for path, secret in (secrets or {}).items():
        try:
            set_path(values, path, secret)
        except ValueError as exc:
            where = env.key_at("apps", app, "secrets", path)
            raise PlanError(
                f"{where}: app {app!r}: secret {exc}" if where else f"app {app!r}: secret {exc}"
            ) from exc
    return DesiredRelease(
        cluster=cluster,
        region=env.clusters[cluster].region,
        app=app,
        release=env.release_name(app),
        namespace=spec.namespace,
        chart=chart_ref(env, app, cluster),
        values=values,
        secret_paths=tuple(spec.secrets),
        timeout_seconds=spec.timeout,
        chart_spec=spec.chart,
        unresolved=unresolved,
        ignore=tuple(IgnoreRule(rule.kind, tuple(rule.paths)) for rule in spec.ignoreDifferences),
    )
