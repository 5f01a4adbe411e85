"""Commands that need no cluster: validate, graph, schema."""

from __future__ import annotations

import json

import click

from envman.application.secrets import secret_warnings
from envman.cli.root import State, cli, pass_state, warn
from envman.kit.errors import Problem, SpecError
from envman.output.graph_views import VIEWS
from envman.plan.fleet import graph_problems
from envman.plan.waves import wave_problems
from envman.spec.checks import unencrypted_secrets
from envman.spec.loader import load_environments
from envman.spec.schema import json_schema


@cli.command()
@click.argument("environments", nargs=-1, metavar="[ENV]...")
@pass_state
def validate(state: State, environments: tuple[str, ...]) -> None:
    """Load and check every (or each named) environment; no cluster is contacted.

    Warns, located, about a dotted key in `values` (`image.tag: x` is one key, not a path:
    did you mean `image: {tag: x}`?), about a secret it can read here that is too short to
    redact cleanly, and about a file under secrets/ that is not encrypted with sops. Every
    command that loads an environment warns about dotted keys too."""
    loaded = load_environments(state.root, environments, more_checks=wave_problems)
    problems: list[Problem] = []
    for env in loaded.values():
        problems.extend(graph_problems(env))
    if problems:
        raise SpecError(set(problems))
    for problem in sorted({w for env in loaded.values() for w in env.warnings}, key=str):
        warn(problem, state.color)
    warnings = {w for env in loaded.values() for w in secret_warnings(env)}
    warnings |= {str(problem) for problem in unencrypted_secrets(state.root)}
    for warning in sorted(warnings):
        state.echo(f"{state.style('warning', fg='yellow')}: {warning}", err=True)
    for name, env in loaded.items():
        kind = "base" if env.spec.abstract else f"{len(env.clusters)} clusters, {len(env.apps)} apps"
        state.echo(f"{state.style('ok', fg='green')} {name} ({kind})")


@cli.command()
@click.argument("environment", metavar="ENV")
@click.option(
    "-o",
    "--output",
    "--format",
    "fmt",
    type=click.Choice(sorted(VIEWS)),
    default="text",
    show_default=True,
    help="Output format (--format: the same, kept for older scripts).",
)
@pass_state
def graph(state: State, environment: str, fmt: str) -> None:
    """The app dependency layers, then the waves with their clusters, in rollout order."""
    state.echo(VIEWS[fmt](state.fleet(environment)))


@cli.command()
@pass_state
def schema(state: State) -> None:
    """JSON Schema of environment files as written (bases and overlays), for editors: put
    `$schema: <its path or URL>` at the top of a file."""
    state.echo(json.dumps(json_schema(), indent=2))
