"""The sandbox at fleet scale: how fast it settles 1,000 Deployments, and what it costs idle.

    .venv/bin/python bench/sandbox_fleet.py [--clusters 20] [--deployments 50] [--idle 10]
                                            [--deadline 300] [--ready-delay 0.3]

Starts the background sandbox (`envman sandbox up`'s process, through `manager.up`, in a
temporary directory) with `--clusters` clusters, then creates `--deployments` one-replica
Deployments per cluster through the API (4 client threads), and polls each cluster's
Deployment LIST every 0.5 s until every Deployment reports its replica ready (or
`--deadline` seconds pass: then it says how many were ready). Then, after 2 s, it measures
the process's CPU over `--idle` seconds with no requests at all, and the controller syncs
(work items) counted meanwhile. CPU is the daemon's own (`/proc/PID/stat`), as a share of
one core.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchlib import CpuShare, machine, table

from envman.sandbox import manager
from envman.sandbox.server import DEFAULT_READY_DELAY, HOST

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def request(port: int, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.loads(response.read() or b"null")


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    container = {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "10m"}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def ready(port: int) -> int:
    items = request(port, "GET", DEPLOYMENTS)["items"]
    return sum(1 for d in items if (d.get("status") or {}).get("readyReplicas") == 1)


def syncs(admin_port: int) -> int | None:
    """Work items processed by every cluster's controllers (None: a sandbox without the count)."""
    clusters = request(admin_port, "GET", "/status")["clusters"].values()
    return sum(int(c["syncs"]) for c in clusters) if all("syncs" in c for c in clusters) else None


def run(args: argparse.Namespace, root: Path) -> list[list[str]]:
    names = [f"fleet-{i:03d}" for i in range(args.clusters)]
    info = manager.up(root, names, ready_delay=args.ready_delay)
    ports = list(info.clusters.values())
    total = len(ports) * args.deployments
    settling = CpuShare(info.pid)
    with settling.measuring():
        start = time.perf_counter()
        jobs = [(port, f"web-{i:02d}") for i in range(args.deployments) for port in ports]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda job: request(job[0], "POST", DEPLOYMENTS, deployment(job[1])), jobs))
        created = time.perf_counter() - start
        while True:
            count = sum(ready(port) for port in ports)
            if count == total or time.perf_counter() - start >= args.deadline:
                break
            time.sleep(0.5)
        settled = time.perf_counter() - start
    time.sleep(2.0)
    idle = CpuShare(info.pid)
    before = syncs(info.admin_port)
    with idle.measuring():
        time.sleep(args.idle)
    after = syncs(info.admin_port)
    idle_syncs = "-" if before is None or after is None else str(after - before)
    outcome = f"{settled:.1f} s" if count == total else f"{count} of {total} after {settled:.0f} s"
    return [
        [
            f"{args.clusters} x {args.deployments}",
            f"{created:.1f} s",
            outcome,
            settling.percent(),
            idle.percent(),
            idle_syncs,
        ]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=50)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--ready-delay", type=float, default=DEFAULT_READY_DELAY)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="envman-bench-") as tmp:
        try:
            rows = run(args, Path(tmp))
        finally:
            manager.down(Path(tmp))
    print(f"machine: {machine()}; sandbox ready delay {args.ready_delay}s")
    headers = [
        "clusters x Deployments",
        "created in",
        "all ready after",
        "sandbox CPU until ready",
        f"sandbox CPU settled ({args.idle:g} s)",
        "controller syncs settled",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
