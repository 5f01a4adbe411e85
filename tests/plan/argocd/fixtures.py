"""Plain-data inputs for the argocd engine's pure parts: an environment on the argocd engine,
its desired Applications, and Applications as Argo CD's controller leaves them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from envman.plan.argocd.applications import GitSource, Hub, chart_source, desired_application, placements
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.select import select
from tests.plan.builders import desired_of, load_fleet

ARGO = """
repositories:
  stable: https://charts.example.com/stable
  registry: oci://registry.example.com/charts
clusters:
  use1-canary: {region: us-east-1, argocdName: prod-canary}
  use1: {region: us-east-1}
  euw1: {region: eu-west-1}
apps:
  crds:
    chart: charts/app
    namespace: platform
  api:
    chart: charts/app
    namespace: api
    needs: [crds]
    values:
      replicaCount: 3
      image: {tag: "2.7.0"}
    clusters:
      use1-canary: {values: {replicaCount: 1}}
    ignoreDifferences:
      - {kind: Deployment, paths: [spec.replicas, "spec.template.spec.containers[*].image"]}
  web:
    chart: stable/web
    version: 1.2.3
    namespace: web
    needs: [api]
  cache:
    chart: registry/cache
    version: 0.4.0
    namespace: cache
rollout:
  engine: argocd
  argocd: {context: hub, project: platform}
  waves:
    - name: canary
      clusters: [use1-canary]
    - name: us
      clusters: [use1]
    - name: world
      clusters: [euw1]
"""
HUB = Hub("argocd", "platform")
GIT = GitSource("https://git.example.com/acme/deploy.git", "a" * 40, "deploy")
COMMIT = "a" * 40


def argo_fleet(root: Path) -> Fleet:
    return load_fleet(root, ARGO)


def desired(fleet: Fleet) -> dict[str, dict[str, DesiredRelease]]:
    return desired_of(fleet, select(fleet.env), secrets={})


def built(fleet: Fleet, release: DesiredRelease) -> dict[str, Any]:
    """The Application a sync applies for `release`."""
    place = placements(fleet)[release.cluster, release.app]
    source = chart_source(release.chart, release.chart_spec, GIT)
    return desired_application(release, place, HUB, source, COMMIT)


def synced(
    app: dict[str, Any], *, ids: int = 1, health: str = "Healthy", phase: str = "Succeeded"
) -> dict[str, Any]:
    """`app` after `ids` successful syncs of its spec, as Argo CD's controller leaves it."""
    obj = copy.deepcopy(app)
    source = obj["spec"]["source"]
    revision = source["targetRevision"]
    obj["status"] = {
        "sync": {
            "status": "Synced",
            "revision": revision,
            "comparedTo": {"source": copy.deepcopy(source), "destination": obj["spec"]["destination"]},
        },
        "health": {"status": health},
        "operationState": {
            "phase": phase,
            "message": "successfully synced (all tasks run)",
            "startedAt": "2026-12-01T10:00:00Z",
            "finishedAt": "2026-12-01T10:00:05Z",
            "operation": {"sync": {"revision": revision}, "initiatedBy": {"username": "envman"}},
        },
        "history": [
            {
                "id": i,
                "revision": revision,
                "deployedAt": f"2026-12-0{i + 1}T10:00:05Z",
                "source": copy.deepcopy(source),
            }
            for i in range(ids)
        ],
    }
    return obj
