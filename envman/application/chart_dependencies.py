"""Dependencies of local charts (`dependencies:` in Chart.yaml): a dependency is present when
`charts/` holds it vendored (a directory with a Chart.yaml) or as an archive
(`<name>-<version>.tgz`, the version `Chart.lock` pins when there is one). `plan`, `render`,
`sync` and `deps` build what is missing with `helm dependency build` (from Chart.lock when
present), once per run per chart, before any cluster is touched; a dependency that cannot
be built is a located error naming the app and the chart."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from envman.adapters.helm.process import HelmCommand, checked
from envman.adapters.target import KubeTarget
from envman.application.app import Application
from envman.kit.errors import HelmError, PlanError
from envman.kit.limits import gather_all
from envman.kit.redact import Redactor
from envman.spec.checks import is_local_chart
from envman.spec.environment import Environment


def missing_dependencies(chart: Path) -> list[str]:
    """The declared dependencies of `chart` that `charts/` does not hold."""
    declared = _read(chart / "Chart.yaml").get("dependencies") or []
    locked = {d.get("name"): d.get("version") for d in _read(chart / "Chart.lock").get("dependencies") or []}
    missing = []
    for dependency in declared:
        name = str(dependency.get("name"))
        version = locked.get(name) or dependency.get("version")
        vendored = (chart / "charts" / name / "Chart.yaml").is_file()
        archived = (chart / "charts" / f"{name}-{version}.tgz").is_file() or (
            not locked and any((chart / "charts").glob(f"{name}-*.tgz"))
        )
        if not (vendored or archived):
            missing.append(name)
    return missing


def charts_of(env: Environment) -> dict[str, str]:
    """chart path (as written) -> the first app using it, for every local chart of `env`."""
    found: dict[str, str] = {}
    for name, app in env.apps.items():
        if is_local_chart(app.chart, env):
            found.setdefault(app.chart, name)
    return found


async def build_dependencies(app: Application, env: Environment) -> list[str]:
    """Build the missing dependencies of every local chart of `env`; the charts built."""
    wanted = {chart: user for chart, user in charts_of(env).items() if missing_dependencies(env.root / chart)}
    if not wanted:
        return []
    helm = await app.helm()
    command = HelmCommand(helm.binary.path, KubeTarget())
    builds = (_build(command, env, chart, user, app.redactor) for chart, user in wanted.items())
    await gather_all(builds, PlanError)
    return sorted(wanted)


async def _build(command: HelmCommand, env: Environment, chart: str, user: str, redactor: Redactor) -> None:
    try:
        await checked(
            "dependency build",
            "",
            None,
            command.exec(["dependency", "build", str(env.root / chart)]),
            redactor,
        )
    except HelmError as detail:
        where = env.value_at("apps", user, "chart")
        prefix = f"{where}: " if where else ""
        raise PlanError(f"{prefix}app {user!r}: chart {chart}: {detail}") from detail
    still = missing_dependencies(env.root / chart)
    if still:
        raise PlanError(f"app {user!r}: chart {chart}: helm built no archive for {', '.join(still)}")


def _read(path: Path) -> Mapping[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}
