"""Name and reference checks of a validated environment (no dependency graph, no waves)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from envman.kit.errors import Problem
from envman.kit.suggest import did_you_mean
from envman.spec.engines import check_engine
from envman.spec.environment import Environment
from envman.spec.models import App


def is_oci_chart(chart: str) -> bool:
    return chart.startswith("oci://")


def repository_of(chart: str, env: Environment) -> str | None:
    """The repository name of a `repo/chart` reference, if it names one of `repositories`."""
    head, sep, _ = chart.partition("/")
    return head if sep and head in env.spec.repositories else None


def is_local_chart(chart: str, env: Environment) -> bool:
    return not is_oci_chart(chart) and repository_of(chart, env) is None


def check(env: Environment) -> Iterator[Problem]:
    """Every reference problem of `env`."""
    yield from check_engine(env)
    for name, app in env.apps.items():
        yield from _check_chart(env, name, app)
        yield from _check_values_files(env, name)
        yield from _check_needs(env, name, app)
        if env.clusters or not env.spec.abstract:
            yield from _check_override_names(env, name, app)


def inside(root: Path, path: Path) -> bool:
    """`path`, symlinks followed, lies within the repository `root`."""
    return path.resolve().is_relative_to(root.resolve())


def escaping_links(root: Path, folder: Path) -> list[str]:
    """Files under `folder` whose symlinks lead out of the repository, relative to `root`."""
    found = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_symlink() and not inside(root, path):
            found.append(str(path.relative_to(root)))
    return found


def _check_chart(env: Environment, name: str, app: App) -> Iterator[Problem]:
    where = env.value_at("apps", name, "chart")
    if is_local_chart(app.chart, env) and not inside(env.root, env.root / app.chart):
        yield Problem(f"apps.{name}.chart: {app.chart} lies outside the repository", where)
        return
    if is_local_chart(app.chart, env):
        for link in escaping_links(env.root, env.root / app.chart):
            yield Problem(f"apps.{name}.chart: {link} links to a file outside the repository", where)
        local = env.chart_versions.get(app.chart)
        if local is None:
            head = app.chart.partition("/")[0]
            hint = (
                f" and no repository {head!r} in repositories{did_you_mean(head, env.spec.repositories)}"
                if "/" in app.chart and env.spec.repositories
                else ""
            )
            yield Problem(f"apps.{name}.chart: no chart at {app.chart}/Chart.yaml{hint}", where)
            return
        for path, version in _versions(name, app):
            if version is not None and version != local:
                yield Problem(
                    f"{'.'.join(path)}: {version!r} does not match version {local!r} "
                    f"of the local chart {app.chart}",
                    env.value_at(*path),
                )
    elif app.version is None:
        yield Problem(f"apps.{name}.version is required for the remote chart {app.chart!r}", where)


def _versions(name: str, app: App) -> Iterator[tuple[tuple[str, ...], str | None]]:
    yield ("apps", name, "version"), app.version
    for kind, overrides in (("regions", app.regions), ("clusters", app.clusters)):
        for key, override in overrides.items():
            yield ("apps", name, kind, key, "version"), override.version


def _check_values_files(env: Environment, name: str) -> Iterator[Problem]:
    for layer in env.value_layers.get(name, ()):
        for index, file in enumerate(layer.values_files):
            if not inside(env.root, env.root / file):
                yield Problem(
                    f"apps.{name}.valuesFiles: {file} lies outside the repository",
                    env.value_at("apps", name, "valuesFiles", index),
                )
            elif file not in env.values_files:
                yield Problem(
                    f"apps.{name}.valuesFiles: no values file {file}",
                    env.value_at("apps", name, "valuesFiles", index),
                )
            elif not isinstance(env.values_files[file], dict):
                yield Problem(
                    f"values file {file} must hold a mapping",
                    env.value_at("apps", name, "valuesFiles", index),
                )


def _check_needs(env: Environment, name: str, app: App) -> Iterator[Problem]:
    for index, need in enumerate(app.needs):
        if need not in env.apps:
            others = [a for a in env.apps if a != name]
            yield Problem(
                f"unknown app {need!r} in apps.{name}.needs{did_you_mean(need, others)}",
                env.value_at("apps", name, "needs", index),
            )
        elif need == name:
            yield Problem(
                f"apps.{name}.needs names the app itself", env.value_at("apps", name, "needs", index)
            )


def _check_override_names(env: Environment, name: str, app: App) -> Iterator[Problem]:
    for cluster in app.clusters:
        if cluster not in env.clusters:
            yield Problem(
                f"unknown cluster {cluster!r} in apps.{name}.clusters{did_you_mean(cluster, env.clusters)}",
                env.key_at("apps", name, "clusters", cluster),
            )
    regions = env.region_names()
    for region in app.regions:
        if region not in regions:
            yield Problem(
                f"unknown region {region!r} in apps.{name}.regions{did_you_mean(region, regions)}",
                env.key_at("apps", name, "regions", region),
            )
