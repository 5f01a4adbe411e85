"""`envman plan`: the whole rollout, per wave, cluster and release, before anything changes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import click

from envman.adapters.kube.client import KubeClients
from envman.cli.root import Choice, State, cli, pass_state, selectors
from envman.kit.errors import EXIT_CHANGES
from envman.kit.redact import Redactor
from envman.live_state import desired_state, read_states
from envman.plan.compare import build_plan
from envman.plan.fleet import Fleet
from envman.plan.model import Plan
from envman.plan.select import Selection
from envman.plan.views import json_view, markdown_view, text_view
from envman.targets import cluster_targets


@dataclass
class Planned:
    fleet: Fleet
    selection: Selection
    plan: Plan
    redactor: Redactor


def make_plan(state: State, environment: str, choice: Choice, prune: bool) -> Planned:
    """Load, resolve, read every selected cluster, compare: the plan step of plan/diff/sync."""
    fleet = state.fleet(environment)
    selection = choice.select(fleet.env)
    redactor = Redactor()
    desired = desired_state(fleet, selection, redactor)
    targets = cluster_targets(fleet.env, state.kubeconfig)
    clients = KubeClients()
    try:
        states = asyncio.run(read_states(clients, targets, selection.clusters))
    finally:
        clients.close()
    return Planned(fleet, selection, build_plan(fleet, selection, desired, states, prune), redactor)


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option(
    "-o", "--output", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option("--prune", is_flag=True, help="Plan the uninstall of envman's releases no longer in the spec.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when nothing changes, 2 when something does.")
@pass_state
def plan(
    state: State,
    environment: str,
    choice: Choice,
    output: str,
    prune: bool,
    detailed_exitcode: bool,
) -> int:
    """Desired vs live: per wave, cluster and release, install / upgrade / unchanged /
    uninstall, and what changes. Nothing is changed on any cluster."""
    planned = make_plan(state, environment, choice, prune)
    views = {
        "text": lambda p: text_view(p, state.style),
        "json": json_view,
        "markdown": markdown_view,
    }
    state.echo(planned.redactor.text(views[output](planned.plan)))
    return EXIT_CHANGES if detailed_exitcode and planned.plan.changed else 0
