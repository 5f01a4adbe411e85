"""`envman render`: helm template of every selected release with its layered values."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from envman.application.app import Choice
from envman.application.prepare_charts import prepare_charts
from envman.application.rendering import merged_values
from envman.application.rendering import render as render_releases
from envman.cli.root import State, cli, pass_state, selectors
from envman.kit.redact import redact_secret_data


@cli.command()
@click.argument("environment", metavar="ENV")
@selectors
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/<cluster>/<release>.yaml instead of printing.",
)
@click.option("--show-secrets", is_flag=True, help="Print secret values instead of <redacted>.")
@pass_state
def render(
    state: State,
    environment: str,
    choice: Choice,
    output_dir: Path | None,
    show_secrets: bool,
) -> None:
    """helm template of every selected release with its layered values (secrets redacted).

    Every remote chart must match its pin in envman.lock (`envman deps ENV` pins a new one,
    `envman deps ENV --update --app APP` re-pins a changed one on purpose)."""
    rendered = state.app.run(render_releases(state.app, environment, choice))
    redactor = state.app.redactor
    for release, manifest in rendered:
        text = manifest if show_secrets else redactor.text(redact_secret_data(manifest))
        if output_dir is None:
            state.echo(f"# envman: cluster={release.cluster} app={release.app} release={release.release}")
            if show_secrets:
                state.echo_unredacted(text.rstrip("\n"))
            else:
                state.echo(text.rstrip("\n"))
        else:
            target = output_dir / release.cluster / f"{release.release}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            if show_secrets:
                target.write_text(text, encoding="utf-8")  # what the user asked to see
            else:
                state.app.write(target, text)
    if output_dir is not None:
        state.echo(f"wrote {len(rendered)} manifests under {output_dir}", err=True)


@cli.command()
@click.argument("environment", metavar="ENV")
@click.option("--cluster", required=True, help="The cluster of the release.")
@click.option("--app", "app_name", required=True, help="The app of the release.")
@pass_state
def values(state: State, environment: str, cluster: str, app_name: str) -> None:
    """The merged values of one release as helm gets them (chart defaults aside), YAML;
    secrets redacted (a secret whose source is not set here is left out)."""
    release = merged_values(state.app, environment, cluster, app_name)
    missing = [f"# not set here: {path}" for path in release.unresolved]
    state.echo("\n".join([*missing, yaml.safe_dump(release.values, sort_keys=False).rstrip("\n")]))


@cli.command()
@click.argument("environments", nargs=-1, metavar="[ENV]...")
@click.option(
    "--update",
    is_flag=True,
    help="Download the remote charts again and re-pin them in envman.lock (a republished chart, on purpose).",
)
@click.option(
    "--app", "apps", multiple=True, metavar="APP", help="With --update: only this app's charts (repeatable)."
)
@pass_state
def deps(state: State, environments: tuple[str, ...], update: bool, apps: tuple[str, ...]) -> None:
    """Build the missing dependencies of local charts (helm dependency build, from Chart.lock
    when present), and pin remote charts in envman.lock, for every (or each named)
    environment.

    Each remote chart is checked against its pin in envman.lock (the sha256 of its archive;
    its signature when its repository says verify); a chart not pinned yet is downloaded
    from its repository, checked and pinned. Commit envman.lock: plan, render and sync refuse
    a remote chart that is not pinned or differs from its pin. To take a republished or
    changed chart on purpose, review it and run `envman deps ENV --update --app APP`.
    Without ENV, pins no environment uses are dropped."""
    if apps and not update:
        raise click.UsageError("--app goes with --update: which apps' charts to re-pin")
    for line in state.app.run(prepare_charts(state.app, environments, update=update, apps=apps)):
        state.echo(line)
