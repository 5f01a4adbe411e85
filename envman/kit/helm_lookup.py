"""Where the helm binary is: `$ENVMAN_HELM`, else `helm` on PATH, else beside the interpreter.

Shared by envman's helm adapter and the sandbox's emulated Argo CD (which renders charts
with the same helm envman would use)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from envman.kit.errors import HelmError

HELM_ENV_VAR = "ENVMAN_HELM"

INSTALLED_BESIDE = Path(sys.executable).parent
"""Where `scripts/setup` puts the pinned helm: beside the interpreter running envman."""


def find_helm(env: Mapping[str, str], beside: Path | None = INSTALLED_BESIDE) -> Path:
    """`$ENVMAN_HELM` (a path, or a name looked up on PATH) first, then `helm` on PATH, then
    the pinned helm installed beside envman's interpreter (so `.venv/bin/envman` works
    without activating the virtual environment)."""
    search_path = env.get("PATH", "")
    configured = env.get(HELM_ENV_VAR)
    if configured:
        found = shutil.which(configured, path=search_path)
        if found is None:
            raise HelmError(f"helm not found: {HELM_ENV_VAR}={configured} is not an executable")
        return Path(found)
    found = shutil.which("helm", path=search_path)
    if found is None and beside is not None:
        found = shutil.which("helm", path=str(beside))
    if found is None:
        raise HelmError(f"helm not found: set {HELM_ENV_VAR} or put helm on PATH")
    return Path(found)
