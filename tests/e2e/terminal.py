"""envman run on a pseudo-terminal (stdin and stderr), answering the question it asks."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Fleet

ENVMAN = Path(sys.executable).parent / "envman"


def answer(prod: Fleet, args: list[str], question: bytes, reply: bytes) -> tuple[int, str]:
    """Run `envman ARGS` (not in CI) on a terminal, wait for `question`, type `reply`: its
    exit code and everything it wrote on the terminal up to the question."""
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    argv = [str(ENVMAN), "--no-color", "-C", str(prod.root), "--kubeconfig", str(prod.sandbox.kubeconfig)]
    proc = subprocess.Popen(
        [*argv, *args],
        stdin=child,
        stdout=subprocess.DEVNULL,
        stderr=child,
        env={**env, "ENVMAN_HELM": str(prod.helm)},
    )
    os.close(child)
    seen = b""
    while question not in seen:
        chunk = os.read(main, 4096)
        assert chunk, seen.decode()
        seen += chunk
    os.write(main, reply)
    code = proc.wait(timeout=60)
    os.close(main)
    return code, seen.decode()
