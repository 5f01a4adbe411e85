"""The plan step of plan, diff, status and sync: load, resolve, read every selected
cluster, compare. Nothing is changed on any cluster."""

from __future__ import annotations

from dataclasses import dataclass

from envman.application.app import Application, Choice
from envman.application.live import desired_state, read_states
from envman.plan.compare import build_plan
from envman.plan.fleet import Fleet
from envman.plan.model import Plan
from envman.plan.select import Selection


@dataclass
class Planned:
    fleet: Fleet
    selection: Selection
    plan: Plan


async def make_plan(app: Application, environment: str, choice: Choice, prune: bool) -> Planned:
    """The plan of `environment` for the selection; secrets are registered with `app.redactor`."""
    fleet = app.fleet(environment)
    selection = choice.select(fleet.env)
    desired = desired_state(fleet, selection, app.redactor)
    states = await read_states(app.kube, app.targets(fleet.env), selection.clusters)
    return Planned(fleet, selection, build_plan(fleet, selection, desired, states, prune))
