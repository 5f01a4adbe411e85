"""The background sandbox process: `python -m envman.sandbox.daemon STATE_FILE CLUSTER...`.

It serves the clusters, writes the kubeconfig, then records its pid and ports in the state
file (which is how `up` knows it is ready), and runs until SIGTERM or an admin shutdown.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from envman.sandbox import kubeconfig
from envman.sandbox.argocd.hub import HubSettings
from envman.sandbox.server import DEFAULT_READY_DELAY, Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="envman.sandbox.daemon")
    parser.add_argument("state", type=Path)
    parser.add_argument("kubeconfig", type=Path)
    parser.add_argument("clusters", nargs="+")
    parser.add_argument("--ready-delay", type=float, default=DEFAULT_READY_DELAY)
    parser.add_argument("--token", default="")
    parser.add_argument("--hub", default=None, help="HubSettings as JSON: also serve an Argo CD hub")
    args = parser.parse_args(argv)
    hub = HubSettings.from_json(json.loads(args.hub)) if args.hub else None
    sandbox = Sandbox(args.clusters, args.ready_delay, hub)
    sandbox.start()

    def stop(signum: int, frame: FrameType | None) -> None:
        sandbox.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    kubeconfig.write(args.kubeconfig, sandbox.ports)
    state = {
        "pid": os.getpid(),
        "token": args.token,
        "admin_port": sandbox.admin_port,
        "clusters": sandbox.ports,
        "kubeconfig": str(args.kubeconfig),
        "ready_delay": args.ready_delay,
        "hub": hub.to_json() if hub else None,
    }
    tmp = args.state.with_name(f".{args.state.name}.tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(args.state)
    while not sandbox.stopped.wait(60.0):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
