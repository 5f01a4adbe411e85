"""`envman promote SRC DST`: the source's versions and promoted values into the destination
file, on a new git branch with one commit, and a markdown PR body (DESIGN.md section 6)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from envman.adapters.helm.driver import HelmClients
from envman.cli.root import State, cli, pass_state
from envman.promote.evidence import Evidence, EvidenceSource, HelmEvidence, kube_targets
from envman.promote.prbody import when
from envman.promote.promotion import FieldChange
from envman.promote.run import Options, Outcome, SourceFactory, promote
from envman.spec.environment import Environment


def helm_evidence(kubeconfig: Path | None) -> SourceFactory:
    """Evidence through helm, one driver per source cluster."""

    async def build(env: Environment) -> EvidenceSource:
        clients = await HelmClients.from_env(os.environ)
        targets = kube_targets(env, kubeconfig)
        return HelmEvidence({name: clients.for_target(target) for name, target in targets.items()})

    return build


@cli.command(name="promote")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@click.option("--app", "apps", multiple=True, metavar="APP", help="Only this app (repeatable).")
@click.option("--no-commit", is_flag=True, help="Only edit the destination file: no git branch, no commit.")
@click.option(
    "--include-overrides", is_flag=True, help="Also update region and cluster overrides of promoted fields."
)
@click.option("--no-evidence", is_flag=True, help="Do not ask the source clusters what they run.")
@click.option("--open-pr", is_flag=True, help="Push the branch and open a pull request with gh.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def promote_command(
    state: State,
    source: str,
    destination: str,
    apps: tuple[str, ...],
    no_commit: bool,
    include_overrides: bool,
    no_evidence: bool,
    open_pr: bool,
    output: str,
) -> None:
    """Copy SRC's app versions and `promote` value paths into DST's file, commit them on a
    new branch and print the pull-request body (with evidence from SRC's clusters)."""
    options = Options(apps, commit=not no_commit, include_overrides=include_overrides, open_pr=open_pr)
    evidence = None if no_evidence else helm_evidence(state.kubeconfig)
    outcome = promote(state.root, source, destination, options, evidence)
    if output == "json":
        state.echo(json.dumps(_json(outcome), indent=2))
        return
    if not outcome.promotion.changes:
        state.echo(outcome.notices[0])
        for warning in outcome.promotion.warnings:
            state.echo(f"warning: {warning}", err=True)
        return
    state.echo(outcome.body, nl=False)
    for notice in outcome.notices:
        state.echo(notice, err=True)


def _json(outcome: Outcome) -> dict[str, Any]:
    promotion = outcome.promotion
    return {
        "source": promotion.source,
        "destination": promotion.destination,
        "file": promotion.file,
        "changes": [_change(c) for c in promotion.changes],
        "warnings": promotion.warnings,
        "branch": outcome.branch,
        "commit": outcome.commit,
        "evidence": _evidence(outcome.evidence),
        "body": outcome.body,
        "notices": outcome.notices,
    }


def _change(change: FieldChange) -> dict[str, Any]:
    return {
        "app": change.app,
        "field": change.field,
        "scope": change.scope or None,
        "from": change.before if change.had_before else None,
        "to": change.after,
        "path": list(change.path),
        "previouslyDefinedIn": change.defined_in,
    }


def _evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    clusters = [
        {
            "cluster": c.cluster,
            "unavailable": c.unavailable,
            "releases": [
                {
                    "app": r.app,
                    "chartVersion": r.revision.chart_version,
                    "revision": r.revision.revision,
                    "status": r.revision.status,
                    "health": r.health,
                    "updated": when(r.revision),
                }
                for r in c.releases
            ],
        }
        for c in evidence.clusters
    ]
    return {"clusters": clusters, "warnings": evidence.warnings}
