"""`envman sandbox`: emulated local clusters for demos, tests and benchmarks (README, Sandbox)."""

from __future__ import annotations

import click

from envman.cli.root import State, cli, pass_state
from envman.kit.suggest import did_you_mean
from envman.sandbox import manager
from envman.sandbox.argocd.hub import HubSettings
from envman.sandbox.controllers.failures import DEFAULT_MODE, MODES
from envman.sandbox.errors import SandboxError
from envman.sandbox.server import DEFAULT_READY_DELAY
from envman.spec.engines import argocd_of
from envman.spec.environment import Environment


@cli.group()
def sandbox() -> None:
    """Emulated Kubernetes clusters on 127.0.0.1 that real helm and kubectl work against."""


@sandbox.command()
@click.argument("environment", metavar="ENV")
@click.option(
    "--ready-delay",
    type=float,
    default=DEFAULT_READY_DELAY,
    show_default=True,
    help="Seconds before a new pod becomes ready.",
)
@pass_state
def up(state: State, environment: str, ready_delay: float) -> None:
    """Serve every cluster of ENV (contexts as in the spec) and print the `export KUBECONFIG=` line.

    Several environments run side by side: each `up` adds its clusters (and contexts) to the
    one kubeconfig, `.envman/sandbox/kubeconfig`, and makes ENV's first cluster the current
    context. For an environment on the argocd engine it also serves the Argo CD hub
    (rollout.argocd.context) with an emulated Argo CD: its CRDs, a cluster Secret per cluster
    and an application controller. Idempotent: a live sandbox of ENV serving the same clusters
    is reused; a stale one is replaced. Use it as: eval "$(envman sandbox up ENV)".
    """
    env = state.load(environment)
    contexts = [env.context_of(c) for c in env.clusters]
    hub = argocd_hub(env)
    info = manager.up(state.root, contexts, environment=environment, ready_delay=ready_delay, hub=hub)
    verb = "reusing" if info.reused else "started"
    with_hub = f" and the Argo CD hub {hub.context}" if hub else ""
    state.echo(
        f"sandbox {verb}: {environment}, {len(contexts)} clusters ({', '.join(contexts)}){with_hub}, "
        f"pid {info.pid}",
        err=True,
    )
    state.echo(info.export_line)


def argocd_hub(env: Environment) -> HubSettings | None:
    """The hub an environment on the argocd engine needs (None on the helm engine): its context
    and namespace from `rollout.argocd`, and one Argo CD cluster per cluster, named by the
    cluster's `argocdName` (default: its name) and pointing at its sandbox context."""
    settings = argocd_of(env)
    if settings is None:
        return None
    return HubSettings(
        context=settings.context,
        namespace=settings.namespace,
        destinations={spec.argocdName or name: env.context_of(name) for name, spec in env.clusters.items()},
    )


@sandbox.command()
@click.argument("environment", metavar="[ENV]", required=False)
@pass_state
def down(state: State, environment: str | None) -> None:
    """Stop the sandbox of ENV, or every sandbox of this repository; the kubeconfig keeps the
    clusters of the environments still running."""
    stopped = manager.down(state.root, environment)
    if stopped:
        state.echo(f"sandbox stopped: {', '.join(stopped)}", err=True)
    else:
        state.echo(f"no sandbox{f' of {environment}' if environment else ''} was running", err=True)


@sandbox.command()
@pass_state
def status(state: State) -> None:
    """Each environment's sandbox: its clusters, ports, whether they answer, what is made to fail."""
    report = manager.status(state.root)
    if not report.running:
        state.echo("no sandbox is running")
        return
    state.echo(f"kubeconfig {report.kubeconfig}")
    for env in report.environments:
        state.echo(f"{env.name}: {f'pid {env.pid}' if env.running else 'not running'}")
        for cluster in env.clusters if env.running else ():
            health = "up" if cluster.alive else "not answering"
            failing = ", ".join(f"{f.app or 'all apps'} ({f.mode})" for f in cluster.failing)
            suffix = f", failing: {failing}" if failing else ""
            state.echo(
                f"  {cluster.name}: 127.0.0.1:{cluster.port} {health}, {cluster.requests} requests{suffix}"
            )


@sandbox.command()
@click.argument("cluster")
@click.option("--app", default=None, help="Only the pods of this app's release.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=DEFAULT_MODE,
    show_default=True,
    help="How the pods fail (see above).",
)
@pass_state
def fail(state: State, cluster: str, app: str | None, mode: str) -> None:
    """From now on, pods of pod templates new in CLUSTER (of --app) fail, as a bad release's do.

    Pods of templates the cluster knew before (a rollback's target, a scale-up of the old
    ReplicaSet) start as usual, and pods already ready stay ready. --mode:

    \b
      never-ready    running, readiness probe failing (Ready=False, ContainersNotReady)
      image-pull     pending: ErrImagePull, then ImagePullBackOff
      crash-loop     running, the container exits 1: CrashLoopBackOff, restarts counting
      unschedulable  pending, PodScheduled=False (Unschedulable: insufficient cpu)
      job-fail       Job, hook Job and helm test pods exit 1; Jobs fail at their backoffLimit

    A second `fail` of the same app changes its mode. `heal` undoes it.
    """
    release = _release(state, manager.environment_of(state.root, cluster), app) if app else None
    manager.fail(state.root, cluster, release, mode)
    state.echo(f"{cluster}: new pod templates{f' of {app}' if app else ''} will fail ({mode})", err=True)


@sandbox.command()
@click.argument("cluster")
@pass_state
def heal(state: State, cluster: str) -> None:
    """Undo `fail` on CLUSTER."""
    manager.heal(state.root, cluster)
    state.echo(f"{cluster}: healed", err=True)


def _release(state: State, environment: str, app: str) -> str:
    """The helm release of `app` in the spec of `environment` (did-you-mean when it has none)."""
    apps = state.load(environment).apps
    if app not in apps:
        raise SandboxError(f"environment {environment!r} has no app {app!r}{did_you_mean(app, apps)}")
    return apps[app].release or app
