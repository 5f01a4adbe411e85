"""Pre-flight of remote charts: every remote chart of the selected releases is fetched (or
found in the per-user cache) before any cluster is touched, so a version that does not
exist, a wrong password or an unreachable repository is a located error of the plan step,
never a failure inside a wave. The desired releases then point at the cached archives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from envman.adapters.helm.fetch import Access, ChartFetcher, RemoteChart, cache_dir
from envman.application.app import Application
from envman.application.fleet_state import Desired, releases_of
from envman.application.secrets import read_secret_file
from envman.kit.errors import HelmError, PlanError
from envman.kit.limits import gather_all
from envman.plan.desired import ChartSource, DesiredRelease
from envman.plan.secrets import read_source, require
from envman.spec.environment import Environment
from envman.spec.models import SecretSource


async def fetch_remote_charts(app: Application, env: Environment, desired: Desired) -> Desired:
    """`desired` with every remote chart replaced by its cached archive."""
    remote = [r for r in releases_of(desired) if r.chart.remote]
    if not remote:
        return desired
    helm = await app.helm()
    charts = {r.chart.key: _remote(app, env, r) for r in remote}
    async with ChartFetcher(helm.binary.path, cache_dir(app.environ), app.redactor) as fetcher:
        fetches = (_fetch(fetcher, env, r, charts[r.chart.key]) for r in _distinct(remote))
        archives = dict(
            zip([r.chart.key for r in _distinct(remote)], await gather_all(fetches, PlanError), strict=True)
        )
    return {
        cluster: {
            app_name: _local(release, archives) if release.chart.remote else release
            for app_name, release in per_cluster.items()
        }
        for cluster, per_cluster in desired.items()
    }


def _distinct(releases: list[DesiredRelease]) -> list[DesiredRelease]:
    return list({r.chart.key: r for r in releases}.values())


def _local(
    release: DesiredRelease, archives: dict[tuple[str, str | None, str | None], Path]
) -> DesiredRelease:
    return replace(release, chart=ChartSource(str(archives[release.chart.key]), release.chart.version))


async def _fetch(
    fetcher: ChartFetcher, env: Environment, release: DesiredRelease, chart: RemoteChart
) -> Path:
    try:
        return await fetcher.fetch(chart)
    except HelmError as exc:
        where = env.value_at("apps", release.app, "chart")
        prefix = f"{where}: " if where else ""
        raise PlanError(
            f"{prefix}app {release.app!r}: chart {release.chart_spec} version {chart.version}: {exc}"
        ) from exc


def _remote(app: Application, env: Environment, release: DesiredRelease) -> RemoteChart:
    chart = release.chart
    if chart.version is None:
        raise PlanError(f"app {release.app!r}: the remote chart {release.chart_spec} needs a version")
    access = _access(app, env, chart.repository) if chart.repository else Access()
    if chart.repo_url is not None:
        return RemoteChart(chart.repo_url, chart.ref, chart.version, access)
    return RemoteChart(chart.ref, chart.ref.rstrip("/").rsplit("/", 1)[-1], chart.version, access)


def _access(app: Application, env: Environment, name: str) -> Access:
    """The repository's credentials (resolved, registered with the redactor) and TLS files."""
    settings = env.spec.repository(name)
    missing: list[str] = []
    username = _secret(app, env, name, "username", settings.username, missing)
    password = _secret(app, env, name, "password", settings.password, missing)
    require(missing)

    def path(value: str | None) -> Path | None:
        return None if value is None else (env.root / Path(value).expanduser())

    return Access(
        username,
        password,
        path(settings.caFile),
        path(settings.certFile),
        path(settings.keyFile),
        settings.insecureSkipTlsVerify,
        settings.plainHttp,
    )


def _secret(
    app: Application, env: Environment, repo: str, key: str, source: SecretSource | None, missing: list[str]
) -> str | None:
    if source is None:
        return None
    value, why = read_source(env, source, app.environ.get, read_secret_file)
    if value is None:
        where = env.value_at("repositories", repo, key)
        missing.append(f"{f'{where}: ' if where else ''}repository {repo!r}: {key}: {why}")
        return None
    app.redactor.add([value])
    return value
