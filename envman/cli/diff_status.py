"""`envman diff` (rendered vs live manifests) and `envman status` (live versions, health, drift)."""

from __future__ import annotations

import click

from envman.application import inspection
from envman.application.app import Choice
from envman.cli.root import State, cli, pass_state, selectors
from envman.output.diff_views import unified_diff
from envman.output.status_views import status_json, status_line, status_row


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option("--prune", is_flag=True, help="Also show envman's releases no longer in the spec.")
@pass_state
def diff(state: State, environment: str, choice: Choice, prune: bool) -> None:
    """Unified diff of rendered vs live manifests of every release that would change; secrets redacted."""
    diffs = state.app.run(inspection.diff(state.app, environment, choice, prune))
    for item in diffs:
        state.echo(unified_diff(item.release, item.rendered, state.app.redactor), nl=False)
    if not diffs:
        state.echo("no changes", err=True)


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def status(state: State, environment: str, choice: Choice, output: str) -> None:
    """Live chart version, revision, helm status and workload health of every release; drift flagged."""
    found = state.app.run(inspection.status(state.app, environment, choice))
    rows = [status_row(s.release, s.problems) for s in found]
    if output == "json":
        state.echo(status_json(environment, rows))
        return
    for row in rows:
        state.echo(status_line(row, state.style))
