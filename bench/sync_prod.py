"""A full `envman sync prod` of the example on an empty sandbox, and how much of its wall
time the work itself (helm, gates, bake) explains.

    .venv/bin/python bench/sync_prod.py [--helm helm4] [--bake both|keep|drop] [--ready-delay 0.3]

The example's real settings (timeouts, concurrency 4, maxParallel 1 / 2 in `world`, gates
health + command smoke test + helmTest on the canary), run as `.venv/bin/envman sync prod
--report FILE` in a subprocess, once with the canary's `bake: 30s` and once with that line
deleted (bake is optional). From the report:

    cluster time  = sum over the cluster's dependency layers of its slowest release of the layer
    release phase = makespan of the wave's clusters, started in order, maxParallel at a time
                    (= the slowest cluster when maxParallel >= clusters)
    gate time     = sum over the wave's gates (they run one after the other) of the slowest
                    site of that gate (sites of one gate run concurrently); the bake is one of them
    critical path = sum over waves of (release phase + gate time)
    overhead      = wall / critical path

Release seconds in the report span envman's whole handling of one release (its helm
status check, the `helm upgrade --install --wait`, the read of the new revision).
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from benchlib import HELMS, PROD_CLUSTERS, SECRETS, Workspace, machine, table, workspace

from envman.plan.fleet import Fleet, resolve
from envman.sandbox.server import DEFAULT_READY_DELAY
from envman.sandbox.testing import running_sandbox
from envman.spec.loader import load_environment


def drop_bake(root: Path) -> None:
    path = root / "environments" / "prod.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.strip().startswith("bake:")))


def makespan(durations: list[float], slots: int) -> float:
    """Jobs started in order, each on the first free of `slots` workers."""
    free = [0.0] * max(1, min(slots, len(durations) or 1))
    for seconds in durations:
        i = free.index(min(free))
        free[i] += seconds
    return max(free)


def cluster_seconds(fleet: Fleet, cluster: dict[str, Any]) -> float:
    seconds = {r["app"]: r["seconds"] or 0.0 for r in cluster["releases"]}
    return sum(
        max((seconds.get(app, 0.0) for app in layer), default=0.0) for layer in fleet.layers[cluster["name"]]
    )


def analyse(fleet: Fleet, report: dict[str, Any]) -> tuple[list[list[str]], float]:
    """Per-wave rows and the critical path."""
    rows = []
    critical = 0.0
    rollout = fleet.env.spec.rollout
    assert rollout is not None
    waves = {w.name: w for w in rollout.waves}
    default_parallel = rollout.maxParallel
    for wave in report["waves"]:
        spec = waves[wave["name"]]
        parallel = spec.maxParallel or default_parallel
        clusters = {c["name"]: cluster_seconds(fleet, c) for c in wave["clusters"]}
        releases = makespan(list(clusters.values()), parallel)
        by_gate: dict[str, float] = {}
        for gate in wave["gates"]:
            by_gate[gate["gate"]] = max(by_gate.get(gate["gate"], 0.0), gate["seconds"])
        gates = sum(by_gate.values())
        path = releases + gates
        critical += path
        rows.append(
            [
                wave["name"],
                str(parallel),
                ", ".join(f"{name} {s:.1f}" for name, s in clusters.items()),
                f"{releases:.1f}",
                " + ".join(f"{g} {s:.1f}" for g, s in by_gate.items()) or "-",
                f"{path:.1f}",
                f"{wave['seconds']:.1f}",
                f"{wave['seconds'] - path:+.1f}",
            ]
        )
    return rows, critical


def sync(ws: Workspace, ready_delay: float, bake: bool) -> None:
    if not bake:
        drop_bake(ws.root)
    os.environ.update(SECRETS)
    fleet = resolve(load_environment(ws.root, "prod"))
    report_file = ws.tmp / "report.json"
    with running_sandbox(PROD_CLUSTERS, ready_delay=ready_delay) as sandbox:
        sandbox.reset_counters()
        ws.reset_helm_processes()
        run = ws.envman(sandbox.kubeconfig, "sync", "prod", "--report", str(report_file))
        requests = sum(sandbox.requests(c) for c in PROD_CLUSTERS)
    report = json.loads(report_file.read_text())
    assert report["result"] == "succeeded", report
    rows, critical = analyse(fleet, report)
    releases = sum(len(c["releases"]) for w in report["waves"] for c in w["clusters"])
    verbs = Counter(ws.counter.read_text().split())
    print(f"\n### {'with' if bake else 'without'} bake ({releases} releases)")
    headers = [
        "wave",
        "maxParallel",
        "cluster times (s)",
        "release phase",
        "gates (slowest site each, s)",
        "critical path",
        "wave (report)",
        "wave - critical",
    ]
    print(table(headers, rows))
    print()
    summary = [
        ["wall time (envman process)", f"{run.seconds:.1f} s"],
        ["report `seconds`", f"{report['seconds']:.1f} s"],
        ["critical path", f"{critical:.1f} s"],
        ["overhead ratio wall / critical path", f"{run.seconds / critical:.2f}"],
        [
            "helm processes",
            f"{sum(verbs.values())} ({', '.join(f'{v} {n}' for v, n in verbs.most_common())})",
        ],
        ["API requests (5 clusters)", str(requests)],
        ["peak RSS (envman or its largest child)", f"{run.max_rss_mib:.0f} MiB"],
    ]
    print(table(["figure", "value"], summary))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--helm", choices=sorted(HELMS), default="helm4")
    parser.add_argument("--bake", choices=["both", "keep", "drop"], default="both")
    parser.add_argument("--ready-delay", type=float, default=DEFAULT_READY_DELAY)
    args = parser.parse_args()
    print(f"machine: {machine()}; {args.helm}; sandbox ready delay {args.ready_delay}s")
    for bake in {"both": (True, False), "keep": (True,), "drop": (False,)}[args.bake]:
        with workspace(HELMS[args.helm]) as ws:
            sync(ws, args.ready_delay, bake)


if __name__ == "__main__":
    main()
