"""Plain-data inputs for the pure core: an environment from YAML text, desired releases,
and live cluster states built by hand (no helm, no cluster, no fakes)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from envman.plan.cluster_state import ClusterState, LiveRelease, WaveVerification, managed_labels
from envman.plan.desired import DesiredRelease, desired_release
from envman.plan.fleet import Fleet, resolve
from envman.plan.select import Selection
from envman.plan.verification import release_digest
from envman.spec.environment import Environment
from envman.spec.loader import load_environment
from tests.repo_builder import write_repo

PROD = """
clusters:
  use1-canary: {region: us-east-1, labels: {ring: canary}}
  use1: {region: us-east-1, labels: {ring: ga}}
  euw1: {region: eu-west-1, labels: {ring: ga}}
  apse1: {region: ap-southeast-1, labels: {ring: ga}}
apps:
  web:
    chart: charts/app
    namespace: web
    needs: [crds]
  api:
    chart: charts/app
    namespace: api
    needs: [db, crds]
    values:
      replicaCount: 3
      image: {repository: api, tag: "2.7.0"}
      hosts: [a.example.com, b.example.com]
      resources: {limits: {cpu: 1, memory: 1Gi}}
    secrets:
      db.password: {env: API_DB_PASSWORD}
    clusters:
      use1-canary: {values: {replicaCount: 1}}
      apse1: {enabled: false}
  db:
    chart: charts/app
    namespace: data
    needs: [crds]
    clusters:
      apse1: {enabled: false}
  crds:
    chart: charts/app
    namespace: platform
rollout:
  maxParallel: 1
  gates:
    - health: {timeout: 5m}
  waves:
    - name: canary
      clusters: [use1-canary]
      bake: 10m
      gates:
        - helmTest: {timeout: 2m}
    - name: us
      selector: {region: [us-east-1], labels: {ring: ga}}
      approval: true
    - name: world
      selector: {region: [eu-west-1, ap-southeast-1]}
      maxParallel: 2
"""
"""Spec order of apps is deliberately not dependency order: web, api, db, crds."""

API_SECRET = "hunter2-not-printed"
SECRETS = {"api": {"db.password": API_SECRET}}


def environment(root: Path, text: str = PROD, name: str = "prod", **files: str) -> Environment:
    write_repo(root, {f"environments/{name}.yaml": text, **files})
    return load_environment(root, name)


def desired_of(
    fleet: Fleet, selection: Selection, secrets: Mapping[str, Mapping[str, str]] = SECRETS
) -> dict[str, dict[str, DesiredRelease]]:
    """cluster -> app -> desired release of the selected, enabled apps (as `sync` builds it)."""
    return {
        cluster: {
            app: desired_release(fleet.env, app, cluster, secrets.get(app))
            for layer in fleet.layers[cluster]
            for app in layer
            if app in selection.apps
        }
        for cluster in selection.clusters
    }


WAVES = ("all", "canary", "us", "world")
"""Every wave name the builders' environments use: a record per wave, whichever holds the cluster."""


def live_of(
    desired: DesiredRelease,
    *,
    status: str = "deployed",
    version: str | None = None,
    values: dict[str, Any] | None = None,
    environment: str = "prod",
    revision: int = 3,
) -> LiveRelease:
    """The live release that a sync of `desired` leaves behind, with the given differences."""
    return LiveRelease(
        name=desired.release,
        namespace=desired.namespace,
        revision=revision,
        status=status,
        chart_name="app",
        chart_version=version if version is not None else (desired.chart.version or ""),
        values=copy.deepcopy(values if values is not None else desired.values),
        labels=managed_labels(environment, desired.app),
    )


def state_of(cluster: str, releases: Iterable[LiveRelease] = ()) -> ClusterState:
    return ClusterState(cluster, {(r.namespace, r.name): r for r in releases})


def empty_states(fleet: Fleet) -> dict[str, ClusterState]:
    return {c: state_of(c) for c in fleet.env.clusters}


def synced_states(
    desired: Mapping[str, Mapping[str, DesiredRelease]], *, verified: bool = True
) -> dict[str, ClusterState]:
    """Every desired release live exactly as desired and, with `verified`, recorded as
    verified by the gates of every wave (as a finished sync leaves them)."""
    states = {}
    for cluster, releases in desired.items():
        lives = [live_of(r) for r in releases.values()]
        digests = {r.app: release_digest(r, live) for r, live in zip(releases.values(), lives, strict=True)}
        records = (
            {w: WaveVerification(w, "2026-12-01T00:00:00+00:00", digests) for w in WAVES} if verified else {}
        )
        states[cluster] = ClusterState(cluster, {(r.namespace, r.name): r for r in lives}, None, records)
    return states


def load_fleet(root: Path, text: str = PROD) -> Fleet:
    return resolve(environment(root, text))
