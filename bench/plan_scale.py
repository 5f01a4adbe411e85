"""How a no-change `envman plan` scales with the number of clusters.

    .venv/bin/python bench/plan_scale.py [--clusters 5 20 50] [--runs 3] [--ready-delay 0.3]

For each N: a generated environment `scale` (extends the example's `base`: its 5 apps, no
per-cluster values) with N clusters in one wave, served by a sandbox of N clusters. The
releases are installed for real on the first cluster only (`envman sync scale --cluster
scale-000`), then helm's storage Secrets of that cluster, every object of every release's
stored manifest and the verification record are copied to every other cluster through the
API (`plan_live.copy_fleet`: the plan reads the live objects too), so every cluster holds
what a sync would have left there and the plan is empty. Then `--runs` times
`.venv/bin/envman plan scale --detailed-exitcode` (exit 0 required) in a subprocess: wall
time, API requests (summed over clusters), the peak RSS of the envman process, and the CPU
the in-process sandbox used during those runs (this process's CPU: it only waits for envman
meanwhile), as a share of one core.
"""

from __future__ import annotations

import argparse

from benchlib import HELMS, CpuShare, Stats, api, machine, table, workspace
from plan_live import copy_fleet

from envman.sandbox.server import DEFAULT_READY_DELAY
from envman.sandbox.testing import running_sandbox


def names(count: int) -> list[str]:
    return [f"scale-{i:03d}" for i in range(count)]


def environment(clusters: list[str]) -> str:
    lines = ["extends: base", "clusters:"]
    lines += [f"  {name}: {{region: r{i % 3}}}" for i, name in enumerate(clusters)]
    lines += ["rollout:", "  waves:", "    - {name: all, selector: {region: [r0, r1, r2]}, maxParallel: 4}"]
    return "\n".join(lines) + "\n"


def measure(count: int, runs: int, ready_delay: float) -> list[str]:
    clusters = names(count)
    with workspace(HELMS["helm4"]) as ws, running_sandbox(clusters, ready_delay=ready_delay) as sandbox:
        (ws.root / "environments" / "scale.yaml").write_text(environment(clusters))
        kc = sandbox.kubeconfig
        ws.envman(kc, "sync", "scale", "--cluster", clusters[0])
        storage = api(sandbox, clusters[0], "GET", "/api/v1/secrets?labelSelector=owner%3Dhelm")["items"]
        per_cluster = len(storage)
        copy_fleet(sandbox, clusters, "scale")
        seconds, requests, rss = [], [], []
        cpu = CpuShare()
        for _ in range(runs):
            sandbox.reset_counters()
            with cpu.measuring():
                run = ws.envman(kc, "plan", "scale", "--detailed-exitcode")
            seconds.append(run.seconds)
            requests.append(float(sum(sandbox.requests(c) for c in clusters)))
            rss.append(run.max_rss_mib)
        return [
            str(count),
            str(count * per_cluster),
            Stats.of(seconds).seconds(),
            Stats.of(requests).count(),
            f"{Stats.of(rss).median:.0f} MiB",
            cpu.percent(),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ready-delay", type=float, default=DEFAULT_READY_DELAY)
    args = parser.parse_args()
    rows = [measure(count, args.runs, args.ready_delay) for count in args.clusters]
    print(
        f"machine: {machine()}; sandbox ready delay {args.ready_delay}s; {args.runs} runs, median (min-max)"
    )
    headers = ["clusters", "releases", "envman plan (new process)", "API requests", "peak RSS", "sandbox CPU"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
