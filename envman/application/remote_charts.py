"""Remote charts, pinned and checked before any cluster is touched.

`fetch_remote_charts` (plan, render, sync): every remote chart of the selected releases must
be pinned in `envman.lock`; its archive is taken from the per-user cache when it matches the
pin, else downloaded again, and checked (the pin; the provenance where the repository says
`verify`). A chart not pinned, an archive that differs from its pin, a bad signature, a
version that does not exist, a wrong password or an unreachable repository is a located
error of the plan step, never a failure inside a wave. The desired releases then point at
the checked archives and carry their content digest.

`pin_remote_charts` (`envman deps`): the same, adding a pin for every chart not pinned yet
(downloaded from its repository, never taken from the cache) and re-pinning on purpose the
charts of `--update`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from envman.adapters.helm.fetch import (
    Access,
    ArchiveMismatch,
    ChartFetcher,
    Fetched,
    ProvenanceError,
    RemoteChart,
    cache_dir,
)
from envman.application.app import Application
from envman.application.chart_lock import content_digest, key_of, read_lock
from envman.application.fleet_state import Desired, releases_of
from envman.application.secrets import read_secret_file
from envman.kit.errors import HelmError, PlanError
from envman.kit.limits import gather_all
from envman.plan.desired import ChartSource, DesiredRelease
from envman.plan.secrets import read_source, require
from envman.spec.chart_lock import ChartKey, ChartLock, Pin
from envman.spec.environment import Environment
from envman.spec.models import SecretSource

ChartId = tuple[str, str | None, str | None]


async def fetch_remote_charts(app: Application, env: Environment, desired: Desired) -> Desired:
    """`desired` with every remote chart replaced by its checked archive."""
    remote = _distinct(desired)
    if not remote:
        return desired
    lock = read_lock(env.root)
    require([_not_pinned(env, r) for r in remote if key_of(r.chart) not in lock.pins])
    pins = {r.chart.key: lock.pins[key_of(r.chart)] for r in remote}
    return _with_archives(desired, await _fetch_all(app, env, remote, pins))


async def pin_remote_charts(
    app: Application,
    env: Environment,
    desired: Desired,
    lock: ChartLock,
    renew: Callable[[str], bool],
    renewed: set[ChartKey],
) -> list[str]:
    """`envman deps`: every remote chart of `desired` checked against `lock`, the missing
    ones pinned, and those of the apps `renew` says re-pinned (downloaded again) unless
    `renewed` already holds them; `lock` and `renewed` are updated in place. What was done."""
    remote = _distinct(desired)
    wanted = {
        r.chart.key
        for r in releases_of(desired)
        if r.chart.remote and renew(r.app) and key_of(r.chart) not in renewed
    }
    pins = {r.chart.key: None if r.chart.key in wanted else lock.pins.get(key_of(r.chart)) for r in remote}
    fetched = await _fetch_all(app, env, remote, pins)
    renewed |= {key_of(r.chart) for r in remote if r.chart.key in wanted}
    lines = []
    for release in remote:
        key, found, before = key_of(release.chart), fetched[release.chart.key], pins[release.chart.key]
        subject = f"{env.name}: {release.chart_spec} {release.chart.version}"
        old = lock.pins.get(key)
        if before is not None:
            lines.append(f"{subject} matches envman.lock")
            continue
        same = old is not None and old.digest == found.digest
        lock.pins[key] = Pin(found.digest, found.manifest or (old.manifest if old and same else None))
        if old is None:
            lines.append(f"{subject} pinned in envman.lock: {found.digest}")
        elif old.digest != found.digest:
            lines.append(f"{subject} re-pinned in envman.lock: {old.digest} -> {found.digest}")
        else:
            lines.append(f"{subject} unchanged: the repository still serves {found.digest}")
    return lines


def _distinct(desired: Desired) -> list[DesiredRelease]:
    """One release per remote chart (version) of `desired`."""
    return list({r.chart.key: r for r in releases_of(desired) if r.chart.remote}.values())


def _with_archives(desired: Desired, fetched: Mapping[ChartId, Fetched]) -> Desired:
    def local(release: DesiredRelease) -> DesiredRelease:
        found = fetched[release.chart.key]
        chart = ChartSource(str(found.path), release.chart.version)
        return replace(release, chart=chart, chart_digest=content_digest(found.digest))

    return {
        cluster: {name: local(r) if r.chart.remote else r for name, r in per_cluster.items()}
        for cluster, per_cluster in desired.items()
    }


async def _fetch_all(
    app: Application, env: Environment, remote: list[DesiredRelease], pins: Mapping[ChartId, Pin | None]
) -> dict[ChartId, Fetched]:
    """Every chart of `remote` fetched and checked at once; every failure named together."""
    charts = {r.chart.key: _remote(app, env, r) for r in remote}
    helm = await app.helm()
    async with ChartFetcher(helm.binary, cache_dir(app.environ), app.redactor) as fetcher:
        fetches = (_fetch(fetcher, env, r, charts[r.chart.key], pins[r.chart.key]) for r in remote)
        found = await gather_all(fetches, PlanError)
    return dict(zip([r.chart.key for r in remote], found, strict=True))


async def _fetch(
    fetcher: ChartFetcher, env: Environment, release: DesiredRelease, chart: RemoteChart, pin: Pin | None
) -> Fetched:
    try:
        return await fetcher.fetch(chart, pin)
    except ArchiveMismatch as exc:
        assert pin is not None
        raise PlanError(_mismatch(env, release, pin, exc)) from exc
    except ProvenanceError as exc:
        keyring = env.spec.repository(release.chart.repository or "").keyring
        why = f"no valid signature from a key of {keyring}"
        raise PlanError(f"{_subject(env, release)}: {why}: {exc}") from exc
    except HelmError as exc:
        raise PlanError(f"{_subject(env, release)}: {exc}") from exc


def _subject(env: Environment, release: DesiredRelease) -> str:
    where = env.value_at("apps", release.app, "chart")
    prefix = f"{where}: " if where else ""
    return f"{prefix}app {release.app!r}: chart {release.chart_spec} version {release.chart.version}"


def _not_pinned(env: Environment, release: DesiredRelease) -> str:
    return (
        f"{_subject(env, release)} is not pinned in envman.lock: review it and run"
        f" `envman deps {env.name}` to pin it"
    )


def _mismatch(env: Environment, release: DesiredRelease, pin: Pin, found: ArchiveMismatch) -> str:
    if found.digest == pin.digest:
        what = f"the registry serves manifest {found.manifest} but envman.lock pins manifest {pin.manifest}"
    else:
        what = f"the repository serves {found.digest} but envman.lock pins {pin.digest}"
    return (
        f"{_subject(env, release)}: {what} (republished, or not the chart that was reviewed);"
        f" to take it on purpose, review it and run `envman deps {env.name} --update --app {release.app}`"
    )


def _remote(app: Application, env: Environment, release: DesiredRelease) -> RemoteChart:
    chart = release.chart
    if chart.version is None:
        raise PlanError(f"app {release.app!r}: the remote chart {release.chart_spec} needs a version")
    settings = env.spec.repository(chart.repository) if chart.repository else None
    access = _access(app, env, chart.repository) if chart.repository else Access()
    keyring = env.root / settings.keyring if settings is not None and settings.keyring else None
    if chart.repo_url is not None:
        return RemoteChart(chart.repo_url, chart.ref, chart.version, access, keyring)
    return RemoteChart(chart.ref, chart.ref.rstrip("/").rsplit("/", 1)[-1], chart.version, access, keyring)


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
    where = env.value_at("repositories", repo, key)
    subject = f"{f'{where}: ' if where else ''}repository {repo!r}: {key}"
    value, why = read_source(env, source, app.environ.get, read_secret_file, app.decrypt, subject)
    if value is None:
        missing.append(f"{subject}: {why}")
        return None
    app.redactor.add([value])
    return value
