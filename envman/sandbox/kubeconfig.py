"""The kubeconfig of a sandbox: one context per cluster, named like the cluster."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

HOST = "127.0.0.1"
_CURRENT = re.compile(r"^current-context: (\".*\")$", re.MULTILINE)


def render(ports: Mapping[str, int], current: str | None = None) -> str:
    """kubeconfig YAML with a cluster, a context and a user for every cluster name; the current
    context is `current`, else the first cluster's."""
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
    chosen = current if current is not None else next(iter(ports), "")
    lines.append(f"current-context: {json.dumps(chosen)}")
    return "\n".join(lines) + "\n"


def current_context(path: Path) -> str | None:
    """The current context of a kubeconfig `write` wrote, or None (no such file)."""
    try:
        found = _CURRENT.search(path.read_text())
    except OSError:
        return None
    return str(json.loads(found.group(1))) if found else None


def write(path: Path, ports: Mapping[str, int], current: str | None = None) -> Path:
    """Write the kubeconfig atomically (owner-only permissions, as kubectl does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(render(ports, current))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
