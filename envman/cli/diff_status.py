"""`envman diff` (rendered vs live manifests) and `envman status` (live versions, health, drift)."""

from __future__ import annotations

import asyncio
import difflib
import json
from typing import Any

import click

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.health import WorkloadHealth, check_workloads, workloads_of
from envman.cli.plan_commands import make_plan
from envman.cli.root import Choice, State, cli, pass_state, selectors
from envman.kit.redact import Redactor, redact_secret_data
from envman.plan.model import Action, ReleasePlan
from envman.rendering import render_with_helm
from envman.targets import cluster_targets


def unified_diff(release: ReleasePlan, rendered: str, redactor: Redactor) -> str:
    """The diff of one release, Secret data and secret values redacted on both sides."""
    live = release.live.manifest if release.live else ""
    where = f"{release.cluster}/{release.namespace}/{release.release}"
    before = _lines(redactor.text(redact_secret_data(live)))
    after = _lines(redactor.text(redact_secret_data(rendered)))
    lines = difflib.unified_diff(before, after, fromfile=f"live: {where}", tofile=f"desired: {where}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _lines(manifest: str) -> list[str]:
    """Lines to compare: helm stores a manifest without the trailing blank line `template` prints."""
    text = manifest.rstrip("\n")
    return (text + "\n").splitlines(keepends=True) if text else []


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option("--prune", is_flag=True, help="Also show envman's releases no longer in the spec.")
@pass_state
def diff(
    state: State,
    environment: str,
    choice: Choice,
    prune: bool,
) -> None:
    """Unified diff of rendered vs live manifests of every release that would change; secrets redacted."""
    planned = make_plan(state, environment, choice, prune)
    changed = [r for r in planned.plan.releases if r.changed]
    desired = [r.desired for r in changed if r.desired is not None]
    rendered = asyncio.run(render_with_helm(desired, hooks=False)) if desired else []
    manifests = iter(rendered)
    for release in changed:
        text = next(manifests) if release.desired is not None else ""
        state.echo(unified_diff(release, text, planned.redactor), nl=False)
    if not changed:
        state.echo("no changes", err=True)


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def status(
    state: State,
    environment: str,
    choice: Choice,
    output: str,
) -> None:
    """Live chart version, revision, helm status and workload health of every release; drift flagged."""
    planned = make_plan(state, environment, choice, prune=False)
    targets = cluster_targets(planned.fleet.env, state.kubeconfig)
    releases = [r for r in planned.plan.releases if r.live is not None]
    kube = KubeClients()
    try:
        health = asyncio.run(_health(kube, targets, releases))
    finally:
        kube.close()
    rows = [_row(r, h) for r, h in zip(releases, health, strict=True)]
    rows += [_row(r, []) for r in planned.plan.releases if r.live is None]
    if output == "json":
        state.echo(
            planned.redactor.text(json.dumps({"environment": environment, "releases": rows}, indent=2))
        )
        return
    for row in rows:
        state.echo(_row_text(row, state))


async def _health(kube: KubeClients, targets: Any, releases: list[ReleasePlan]) -> list[list[WorkloadHealth]]:
    async def one(release: ReleasePlan) -> list[WorkloadHealth]:
        assert release.live is not None
        workloads = workloads_of(release.live.manifest, release.namespace)
        return await asyncio.to_thread(check_workloads, kube, targets[release.cluster], workloads)

    return list(await asyncio.gather(*(one(r) for r in releases)))


def _row(release: ReleasePlan, health: list[WorkloadHealth]) -> dict[str, Any]:
    live = release.live
    unhealthy = [f"{h.workload}: {h.detail}" for h in health if not h.ok]
    return {
        "cluster": release.cluster,
        "app": release.app,
        "release": release.release,
        "namespace": release.namespace,
        "version": live.chart_version if live else None,
        "revision": live.revision if live else None,
        "status": live.status if live else "not-installed",
        "updated": live.updated.isoformat() if live and live.updated else None,
        "healthy": None if live is None else not unhealthy,
        "health": unhealthy,
        "drift": release.action is not Action.UNCHANGED,
        "wanted": release.version,
    }


def _row_text(row: dict[str, Any], state: State) -> str:
    if row["status"] == "not-installed":
        return f"{row['cluster']:<20} {row['release']:<16} " + state.style("not installed", fg="yellow")
    health = state.style("healthy", fg="green") if row["healthy"] else state.style("unhealthy", fg="red")
    drift = state.style("  drift: live differs from the spec", fg="yellow") if row["drift"] else ""
    where = f"{row['cluster']:<20} {row['release']:<16}"
    text = f"{where} {row['version']:<8} rev {row['revision']:<3} {row['status']:<10} {health}{drift}"
    return "\n".join([text, *(f"    {problem}" for problem in row["health"])])
