"""`envman promote SRC DST`: the source's versions and promoted values into the destination
file, on a new git branch with one commit, and a markdown PR body (README, Promotion)."""

from __future__ import annotations

import click

from envman.application.promotion import promote
from envman.cli.root import State, cli, pass_state
from envman.output.promotion_views import outcome_json
from envman.promote.outcome import Options


@cli.command(name="promote")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@click.option("--app", "apps", multiple=True, metavar="APP", help="Only this app (repeatable).")
@click.option("--no-commit", is_flag=True, help="Only edit the destination file: no git branch, no commit.")
@click.option(
    "--include-overrides", is_flag=True, help="Also update region and cluster overrides of promoted fields."
)
@click.option("--no-verify", is_flag=True, help="Do not run git's pre-commit and commit-msg hooks.")
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
    no_verify: bool,
    no_evidence: bool,
    open_pr: bool,
    output: str,
) -> None:
    """Copy SRC's app versions and `promote` value paths into DST's file, commit them on a
    new branch and print the pull-request body (with evidence from SRC's clusters).

    Only DST's file changes: the commit is built beside your work (git's pre-commit and
    commit-msg hooks run on it), then HEAD moves to the new branch; other files, staged or
    not, stay as they are. On a failure or an interrupt nothing is changed. An existing
    promotion branch is replaced only when it holds nothing but envman's own commit.
    """
    options = Options(
        apps,
        commit=not no_commit,
        include_overrides=include_overrides,
        open_pr=open_pr,
        verify=not no_verify,
    )
    outcome = state.app.run(promote(state.app, source, destination, options, evidence=not no_evidence))
    if output == "json":
        state.echo(outcome_json(outcome))
        return
    if not outcome.promotion.changes:
        state.echo(outcome.notices[0])
        for warning in outcome.promotion.warnings:
            state.echo(f"warning: {warning}", err=True)
        return
    state.echo(outcome.body, nl=False)
    for notice in outcome.notices:
        state.echo(notice, err=True)
