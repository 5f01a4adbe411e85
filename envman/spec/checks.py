"""Name and reference checks of a validated environment (no dependency graph, no waves)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from envman.kit.errors import Location, Problem, SpecError
from envman.kit.suggest import did_you_mean
from envman.spec.engines import check_engine
from envman.spec.environment import Environment
from envman.spec.models import App
from envman.spec.yamlsrc import parse


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
    yield from _check_repositories(env)
    yield from check_engine(env)
    for name, app in env.apps.items():
        yield from _check_chart(env, name, app)
        yield from _check_sops_files(env, name, app)
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


def _check_repositories(env: Environment) -> Iterator[Problem]:
    for name in env.spec.repositories:
        settings = env.spec.repository(name)
        if settings.verify != (settings.keyring is not None):
            yield Problem(
                f"repositories.{name}: 'verify: true' and 'keyring' go together:"
                " the keyring the signatures are checked against",
                env.key_at("repositories", name, "verify" if settings.verify else "keyring"),
            )
        files = {"keyring": settings.keyring}
        for key in ("username", "password"):
            source = getattr(settings, key)
            files[key] = source.sops if source is not None else None
        for key, file in files.items():
            problem = None if file is None else _repository_file(env, file, f"repositories.{name}.{key}")
            if problem:
                yield Problem(problem, env.value_at("repositories", name, key))


def _check_sops_files(env: Environment, name: str, app: App) -> Iterator[Problem]:
    for path, source in app.secrets.items():
        if source.sops is not None:
            problem = _repository_file(env, source.sops, f"apps.{name}.secrets.{path}.sops")
            if problem:
                yield Problem(problem, env.value_at("apps", name, "secrets", path, "sops"))


def _repository_file(env: Environment, file: str, key: str) -> str | None:
    """Why `file` is not a file of the repository, if it is not."""
    if not inside(env.root, env.root / file):
        return f"{key}: {file} lies outside the repository"
    if not (env.root / file).is_file():
        return f"{key}: no file {file}"
    return None


SECRETS_DIR = "secrets"


def unencrypted_secrets(root: Path) -> list[Problem]:
    """A located warning for every file under `secrets/` that is not SOPS-encrypted (hidden
    files, such as `.gitkeep` or `.sops.yaml`, aside)."""
    folder = root / SECRETS_DIR
    found = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not path.name.startswith(".") and not _sops_encrypted(path, relative):
            found.append(
                Problem(
                    f"{relative} is not encrypted with sops (no sops metadata): encrypt it"
                    f" (`sops --encrypt --in-place {relative}`) before it is committed",
                    Location(relative, 1, 1),
                )
            )
    return found


def _sops_encrypted(path: Path, name: str) -> bool:
    """The file carries sops' metadata: a top-level `sops` map (YAML, JSON, binary), or
    `sops_mac=` (dotenv) or a `[sops]` section (INI)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "\nsops_mac=" in f"\n{text}" or "\n[sops]" in f"\n{text}":
        return True
    try:
        data = parse(text, name).data
    except SpecError:
        return False
    return isinstance(data, dict) and isinstance(data.get("sops"), dict) and "mac" in data["sops"]


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
