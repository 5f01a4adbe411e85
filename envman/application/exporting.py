"""`envman export ENV --to argocd`: the Applications the argocd engine would apply, one
multi-document YAML file per cluster, for teams whose CI reaches no cluster (an app-of-apps
applies them from git). Needs no cluster access. Local charts are read from git at HEAD:
uncommitted chart changes and a commit the remote lacks are warnings here (`sync` refuses
them). An environment with `secrets:` is refused: no secret value is ever written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from envman.application.app import Application, Choice
from envman.application.fleet_state import desired_state
from envman.application.git_source import git_source, local_charts, repository_commit, source_problems
from envman.kit.errors import SpecError
from envman.plan.argocd.applications import GitSource, Hub, chart_source, desired_application, placements
from envman.spec.engines import secret_problems


@dataclass(frozen=True)
class Exported:
    files: list[Path]
    applications: int
    warnings: list[str]


def export_argocd(app: Application, environment: str, out: Path) -> Exported:
    """Write `out/<cluster>.yaml` for every cluster of `environment`: its Applications in
    dependency order (each layer a sync-wave)."""
    fleet = app.fleet(environment)
    env = fleet.env
    problems = list(secret_problems(env))
    if problems:
        raise SpecError(problems)
    rollout = env.spec.rollout
    settings = rollout.argocd if rollout is not None and rollout.argocd is not None else None
    hub = Hub(settings.namespace, settings.project) if settings else Hub()
    desired = desired_state(fleet, Choice().select(env), app.redactor, secrets="skip")
    charts = local_charts(env, desired)
    git: GitSource | None = None
    warnings: list[str] = []
    if charts:
        git = git_source(env.root, settings.repoURL if settings else None)
        warnings = [
            f"{problem}; push before Argo CD syncs these"
            for problem in source_problems(env.root, git, charts)
        ]
    commit = repository_commit(env.root)
    places = placements(fleet)
    out.mkdir(parents=True, exist_ok=True)
    files, count = [], 0
    for cluster, layers in fleet.layers.items():
        docs: list[dict[str, Any]] = []
        for layer in layers:
            for name in layer:
                release = desired[cluster].get(name)
                if release is not None:
                    source = chart_source(release.chart, release.chart_spec, git)
                    docs.append(desired_application(release, places[cluster, name], hub, source, commit))
        target = out / f"{cluster}.yaml"
        app.write(target, yaml.safe_dump_all(docs, sort_keys=False))
        files.append(target)
        count += len(docs)
    return Exported(files, count, warnings)
