"""A no-change `envman plan prod` next to the hand-written CI loop it replaces.

    .venv/bin/python bench/plan_nochange.py [--runs 5] [--helm helm4] [--ready-delay 0.3]

Per helm version (default helm 4; `--helm helm4 --helm helm3` for both): a sandbox with
prod's 5 clusters, the example's prod synced fully once with `envman sync prod` (setup, not
measured; the copy's `bake:` line is deleted since it only adds waiting), then `--runs` times each of:

- `envman plan prod` in a subprocess (`.venv/bin/envman`, so Python start-up and imports count);
  for scale, `envman --help` (start-up and imports alone) and the same plan in-process through
  click's CliRunner after one warm-up call (the plan's own work);
- the naive loop: for each of the 24 releases, sequentially, `helm get values -o json` and
  `helm template` with the release's layered values on stdin (values computed once up front
  by `envman.application.fleet_state.desired_state`, not timed).

Figures: wall time, helm processes started (ENVMAN_HELM and PATH point at a wrapper that
counts), API requests served by the sandbox summed over the 5 clusters (reset before each
run), and the peak RSS of the envman process.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from benchlib import HELMS, PROD_CLUSTERS, SECRETS, Stats, Workspace, machine, table, timed, workspace
from click.testing import CliRunner

from envman.application.fleet_state import desired_state
from envman.cli import cli
from envman.kit.redact import Redactor
from envman.plan.desired import DesiredRelease
from envman.plan.fleet import resolve
from envman.plan.select import select
from envman.sandbox.server import DEFAULT_READY_DELAY
from envman.sandbox.testing import RunningSandbox, running_sandbox
from envman.spec.loader import load_environment


def drop_bake(root: Path) -> None:
    path = root / "environments" / "prod.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.strip().startswith("bake:")))


def releases(root: Path) -> list[DesiredRelease]:
    os.environ.update(SECRETS)
    fleet = resolve(load_environment(root, "prod"))
    desired = desired_state(fleet, select(fleet.env, ()), Redactor())
    return [release for per_cluster in desired.values() for release in per_cluster.values()]


def naive_loop(ws: Workspace, kubeconfig: Path, desired: list[DesiredRelease]) -> None:
    """What a CI script does without envman: two helm processes per release, one by one."""
    for r in desired:
        target = ["--kube-context", r.cluster, "--kubeconfig", str(kubeconfig)]
        live = timed(
            [str(ws.helm), "get", "values", r.release, "-n", r.namespace, "-o", "json", *target], ws.env
        )
        json.loads(live.stdout)
        template = [str(ws.helm), "template", r.release, r.chart.ref, "-n", r.namespace, "--values", "-"]
        timed(template, ws.env, stdin=json.dumps(r.values))


def sample(
    ws: Workspace, sandbox: RunningSandbox, run: Callable[[], None]
) -> tuple[float, float, float, float]:
    """(seconds, helm processes, API requests, 0: no RSS) of one call of `run`."""
    sandbox.reset_counters()
    ws.reset_helm_processes()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    return seconds, ws.helm_processes(), sum(sandbox.requests(c) for c in PROD_CLUSTERS), 0.0


Sample = tuple[float, float, float, float]


def row(helm_name: str, label: str, samples: list[Sample]) -> list[str]:
    seconds, helms, requests, rss = (list(column) for column in zip(*samples, strict=True))
    return [
        helm_name,
        label,
        Stats.of(seconds).seconds(),
        Stats.of(helms).count(),
        Stats.of(requests).count(),
        f"{Stats.of(rss).median:.0f} MiB" if rss[0] else "-",
    ]


def measure(helm_name: str, runs: int, ready_delay: float) -> list[list[str]]:
    with (
        workspace(HELMS[helm_name]) as ws,
        running_sandbox(PROD_CLUSTERS, ready_delay=ready_delay) as sandbox,
    ):
        kc = sandbox.kubeconfig
        drop_bake(ws.root)
        ws.envman(kc, "sync", "prod")
        if ws.envman(kc, "plan", "prod", "--detailed-exitcode", check=False).returncode != 0:
            raise SystemExit("the plan after a full sync is not empty")
        desired = releases(ws.root)

        def subprocess_sample(*args: str) -> Sample:
            sandbox.reset_counters()
            ws.reset_helm_processes()
            done = ws.envman(kc, *args)
            requests = sum(sandbox.requests(c) for c in PROD_CLUSTERS)
            return done.seconds, ws.helm_processes(), requests, done.max_rss_mib

        plans = [subprocess_sample("plan", "prod") for _ in range(runs)]
        startup = [subprocess_sample("--help") for _ in range(runs)]
        os.environ.update(ws.env)
        argv = ["--no-color", "-C", str(ws.root), "--kubeconfig", str(kc), "plan", "prod"]

        def in_process() -> None:
            result = CliRunner().invoke(cli, argv, catch_exceptions=False)
            assert result.exit_code == 0, result.output

        in_process()  # warm: imports and the kubernetes client's lazily built models
        warm = [sample(ws, sandbox, in_process) for _ in range(runs)]
        naive = [sample(ws, sandbox, lambda: naive_loop(ws, kc, desired)) for _ in range(runs)]
        speedup = Stats.of([s[0] for s in naive]).median / Stats.of([s[0] for s in plans]).median
        return [
            row(helm_name, f"envman plan prod ({len(desired)} releases), new process", plans),
            row(helm_name, "  of which start-up: envman --help", startup),
            row(helm_name, "  envman plan prod in-process, warm (CliRunner)", warm),
            row(helm_name, "naive loop (get values + template per release)", naive),
            [helm_name, "naive / plan (median wall)", f"{speedup:.1f}x", "", "", ""],
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ready-delay", type=float, default=DEFAULT_READY_DELAY)
    parser.add_argument("--helm", choices=sorted(HELMS), action="append", help="default: helm4")
    args = parser.parse_args()
    rows = [row for name in args.helm or ["helm4"] for row in measure(name, args.runs, args.ready_delay)]
    print(
        f"machine: {machine()}; sandbox ready delay {args.ready_delay}s; {args.runs} runs, median (min-max)"
    )
    headers = ["helm", "what", "wall", "helm processes", "API requests (5 clusters)", "peak RSS"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
