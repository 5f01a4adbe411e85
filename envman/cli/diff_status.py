"""`envman diff` (rendered vs stored manifests, object by object, and live drift) and
`envman status` (live versions, health, drift, verification)."""

from __future__ import annotations

import click

from envman.application import inspection
from envman.application.app import Choice
from envman.cli.root import State, cli, detailed_exitcode, no_refresh, pass_state, selectors
from envman.kit.errors import EXIT_CHANGES, EXIT_OK
from envman.output.diff_views import diff_text
from envman.output.history_views import history_json, history_text
from envman.output.status_views import status_json, status_row, status_text, wave_row


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option("--prune", is_flag=True, help="Also show envman's releases no longer in the spec.")
@no_refresh
@detailed_exitcode
@pass_state
def diff(
    state: State, environment: str, choice: Choice, prune: bool, refresh: bool, detailed_exitcode: bool
) -> int:
    """Per object (kind namespace/name), the manifest helm stored for every release the plan
    changes (at its revision) against the plan's own rendering (hooks included), and its live
    drift with the values of fields that hold no secret; the same comparison as `plan`, so they
    never disagree. A diff that is the same on several clusters is shown once, and a summary
    ends it. Secrets redacted."""
    diffs = state.app.run(inspection.diff(state.app, environment, choice, prune, refresh=refresh))
    if diffs:
        state.echo(diff_text([(d.release, d.rendered) for d in diffs], state.app.redactor), nl=False)
    else:
        state.echo("no changes", err=True)
    return EXIT_CHANGES if detailed_exitcode and diffs else EXIT_OK


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@no_refresh
@detailed_exitcode
@pass_state
def status(
    state: State, environment: str, choice: Choice, output: str, refresh: bool, detailed_exitcode: bool
) -> int:
    """Every release's live chart and app version, images, revision, helm status, workload
    health and state (what differs from the spec, what drifted), and each wave's last
    verification and whether it covers what runs. Reads no secret."""
    found = state.app.run(inspection.status(state.app, environment, choice, refresh=refresh))
    rows = [status_row(s.release, s.problems) for s in found.releases]
    waves = [wave_row(w.name, w.verified, w.records, w.unverified) for w in found.waves]
    if output == "json":
        state.echo(status_json(environment, rows, waves))
    else:
        state.echo(status_text(rows, [s.release for s in found.releases], waves, state.style))
    pending = any(s.release.changed for s in found.releases)
    return EXIT_CHANGES if detailed_exitcode and pending else EXIT_OK


@cli.command()
@click.argument("environment", metavar="ENV")
@click.option("--app", "app_name", required=True, help="The app whose release to show.")
@click.option(
    "--cluster", "clusters", multiple=True, metavar="CLUSTER", help="Only this cluster (repeatable)."
)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def history(state: State, environment: str, app_name: str, clusters: tuple[str, ...], output: str) -> None:
    """The revisions of APP's release on every (selected) cluster: time, status, chart,
    version, app version, the git commit it was synced from, helm's description (a rollback
    says `Rollback to N`) and the images it ran."""
    found = state.app.run(inspection.history(state.app, environment, app_name, Choice(clusters)))
    state.echo((history_json if output == "json" else history_text)(found))
