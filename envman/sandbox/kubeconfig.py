"""The kubeconfig of a sandbox: one context per cluster, named like the cluster."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

HOST = "127.0.0.1"


def render(ports: Mapping[str, int]) -> str:
    """kubeconfig YAML with a cluster, a context and a user for every cluster name."""
    lines = ["apiVersion: v1", "kind: Config", "preferences: {}", "clusters:"]
    for name, port in ports.items():
        lines += [f"- name: {json.dumps(name)}", "  cluster:", f"    server: http://{HOST}:{port}"]
    lines.append("contexts:")
    for name in ports:
        lines += [
            f"- name: {json.dumps(name)}",
            "  context:",
            f"    cluster: {json.dumps(name)}",
            "    user: sandbox",
            "    namespace: default",
        ]
    lines += ["users:", "- name: sandbox", "  user:", "    token: sandbox"]
    first = next(iter(ports), "")
    lines.append(f"current-context: {json.dumps(first)}")
    return "\n".join(lines) + "\n"


def write(path: Path, ports: Mapping[str, int]) -> Path:
    """Write the kubeconfig atomically (owner-only permissions, as kubectl does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(render(ports))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
