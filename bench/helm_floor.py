"""The floor: how long one real `helm upgrade --install --wait` of the example's `api` takes
against a sandbox cluster, for helm 4 and helm 3, with envman's own flags.

    .venv/bin/python bench/helm_floor.py [--runs 5] [--ready-delay 0.3]

platform-crds is installed first (api has a FeatureFlag CR), then api once (the install,
reported apart), then `--runs` upgrades, each with a new image.tag so each is a real
rollout that waits for the new pods. Also timed, as references for the other benchmarks:
`helm status` (one process, one small cluster read) and `helm template` of api (no cluster).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from benchlib import HELMS, SECRETS, Stats, Workspace, machine, table, timed, workspace

from envman.application.fleet_state import desired_state
from envman.kit.redact import Redactor
from envman.plan.fleet import resolve
from envman.plan.select import select
from envman.sandbox.server import DEFAULT_READY_DELAY
from envman.sandbox.testing import running_sandbox
from envman.spec.loader import load_environment

CLUSTER = "prod-use1"


def prod_values(root: Path) -> dict[str, dict[str, Any]]:
    """app -> the layered values of prod-use1 (secrets resolved), as envman would pass them."""
    os.environ.update(SECRETS)
    fleet = resolve(load_environment(root, "prod"))
    desired = desired_state(fleet, select(fleet.env, (CLUSTER,)), Redactor())
    return {app: release.values for app, release in desired[CLUSTER].items()}


def upgrade(ws: Workspace, kubeconfig: Path, app: str, namespace: str, values: dict[str, Any]) -> float:
    argv = [
        str(ws.real_helm),
        "upgrade",
        app,
        str(ws.root / "charts" / app),
        "--install",
        "--namespace",
        namespace,
        "--history-max",
        "10",
        "--timeout",
        "5m0s",
        "--reset-values",
        "--values",
        "-",
        "--create-namespace",
        "--wait",
        "--wait-for-jobs",
        "--kube-context",
        CLUSTER,
        "--kubeconfig",
        str(kubeconfig),
    ]
    return timed(argv, ws.env, stdin=json.dumps(values)).seconds


def measure(helm: Path, runs: int, ready_delay: float) -> list[str]:
    with workspace(helm) as ws, running_sandbox([CLUSTER], ready_delay=ready_delay) as sandbox:
        values = prod_values(ws.root)
        kc = sandbox.kubeconfig
        upgrade(ws, kc, "platform-crds", "platform", values["platform-crds"])
        api = values["api"]
        install = upgrade(ws, kc, "api", "api", {**api, "image": {**api["image"], "tag": "bench-0"}})
        upgrades, upgrade_requests = [], []
        for i in range(1, runs + 1):
            sandbox.reset_counters()
            upgrades.append(
                upgrade(ws, kc, "api", "api", {**api, "image": {**api["image"], "tag": f"bench-{i}"}})
            )
            upgrade_requests.append(float(sandbox.requests(CLUSTER)))
        target = ["--kube-context", CLUSTER, "--kubeconfig", str(kc)]
        status, status_requests = [], []
        for _ in range(runs):
            sandbox.reset_counters()
            status.append(timed([str(helm), "status", "api", "-n", "api", *target], ws.env).seconds)
            status_requests.append(float(sandbox.requests(CLUSTER)))
        chart = str(ws.root / "charts" / "api")
        template = [
            timed(
                [str(helm), "template", "api", chart, "-n", "api", "--values", "-"],
                ws.env,
                stdin=json.dumps(api),
            ).seconds
            for _ in range(runs)
        ]
        return [
            f"{install:.2f} s",
            Stats.of(upgrades).seconds(),
            Stats.of(upgrade_requests).count(),
            Stats.of(status).seconds(),
            Stats.of(status_requests).count(),
            Stats.of(template).seconds(),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ready-delay", type=float, default=DEFAULT_READY_DELAY)
    parser.add_argument("--helm", choices=sorted(HELMS), action="append", help="default: both")
    args = parser.parse_args()
    rows = [
        [name, *measure(HELMS[name], args.runs, args.ready_delay)] for name in args.helm or ["helm4", "helm3"]
    ]
    print(
        f"machine: {machine()}; sandbox ready delay {args.ready_delay}s; {args.runs} runs, median (min-max)"
    )
    headers = [
        "helm",
        "api install --wait",
        "api upgrade --wait",
        "API requests/upgrade",
        "helm status api",
        "API requests/status",
        "helm template api",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
