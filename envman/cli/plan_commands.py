"""`envman plan`: the whole rollout, per wave, cluster and release, before anything changes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from envman.application import saved_plans
from envman.application.app import Choice
from envman.application.planning import make_plan
from envman.cli.root import State, cli, detailed_exitcode, no_refresh, pass_state, selectors
from envman.kit.errors import EXIT_CHANGES, EnvmanError
from envman.output.plan_views import document_markdown, document_text, json_view, markdown_view, text_view


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option(
    "-o", "--output", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option("--prune", is_flag=True, help="Plan the uninstall of envman's releases no longer in the spec.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan here, for `sync --plan FILE` to apply exactly it.",
)
@no_refresh
@detailed_exitcode
@pass_state
def plan(
    state: State,
    environment: str,
    choice: Choice,
    output: str,
    prune: bool,
    out: Path | None,
    refresh: bool,
    detailed_exitcode: bool,
) -> int:
    """Desired vs live: per wave, cluster and release, install / upgrade / unchanged /
    uninstall, what changes (values, version, chart content, live drift) and the waves whose
    gates will run to verify. Every release whose inputs changed is rendered and compared
    object by object (a chart edit that changes no object is no change); one that does not
    render is an error (exit 1). Nothing is changed on any cluster. A secret whose source is
    not set is not compared (and said so).

    Every remote chart must match its pin in envman.lock: `envman deps ENV` pins a new one,
    `envman deps ENV --update --app APP` re-pins a changed one on purpose."""
    planned = state.app.run(make_plan(state.app, environment, choice, prune, refresh=refresh, secrets="try"))
    views = {
        "text": lambda p: text_view(p, state.style),
        "json": json_view,
        "markdown": markdown_view,
    }
    state.echo(views[output](planned.plan))
    if out is not None:
        if not refresh:
            raise click.UsageError("--out needs the live read: drop --no-refresh")
        saved_plans.save(state.app, planned, choice, prune, out)
        state.echo(
            f"saved the plan to {out}: apply it with `envman sync {environment} --plan {out}`", err=True
        )
    return EXIT_CHANGES if detailed_exitcode and planned.plan.pending else 0


@cli.command()
@click.argument("plan_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@pass_state
def show(state: State, plan_file: Path, output: str) -> None:
    """Print a plan saved by `plan --out FILE`, as `plan` printed it (text, json or
    markdown); nothing is read from a cluster. A file that is not a saved plan is an error."""
    saved = saved_plans.read(plan_file, "show")
    views = {
        "text": lambda doc: document_text(doc, state.style),
        "json": lambda doc: json.dumps(doc, indent=2),
        "markdown": document_markdown,
    }
    try:
        shown = views[output](saved["plan"])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise EnvmanError(
            f"show {plan_file}: a saved plan whose plan is malformed ({type(exc).__name__}: {exc})"
        ) from exc
    state.echo(shown)
    environment = saved.get("environment", "ENV")
    apply = f"envman sync {environment} --plan {plan_file}"
    state.echo(f"a plan of {environment} saved to {plan_file}: apply it with `{apply}`", err=True)
