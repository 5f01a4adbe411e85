"""Where a pinned tool is (helm, sops): its `$ENVMAN_<TOOL>` variable, else the tool on PATH,
else beside the interpreter running envman, where `scripts/setup` puts the pinned one (so
`.venv/bin/envman` works without activating the virtual environment).

Shared by envman's adapters and the sandbox's emulated Argo CD (which renders charts with the
same helm envman would use)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from envman.kit.errors import EnvmanError, HelmError

HELM_ENV_VAR = "ENVMAN_HELM"

INSTALLED_BESIDE = Path(sys.executable).parent
"""Where `scripts/setup` puts the pinned tools: beside the interpreter running envman."""


def find_tool(
    name: str,
    env_var: str,
    environ: Mapping[str, str],
    beside: Path | None,
    error: type[EnvmanError],
) -> Path:
    """`$env_var` (a path, or a name looked up on PATH), then `name` on PATH, then `beside`;
    `error` says which is missing."""
    search_path = environ.get("PATH", "")
    configured = environ.get(env_var)
    if configured:
        found = shutil.which(configured, path=search_path)
        if found is None:
            raise error(f"{name} not found: {env_var}={configured} is not an executable")
        return Path(found)
    found = shutil.which(name, path=search_path)
    if found is None and beside is not None:
        found = shutil.which(name, path=str(beside))
    if found is None:
        raise error(
            f"{name} not found: set {env_var} or put {name} on PATH (scripts/setup installs the pinned one)"
        )
    return Path(found)


def find_helm(env: Mapping[str, str], beside: Path | None = INSTALLED_BESIDE) -> Path:
    """The helm envman runs (`find_tool` with `$ENVMAN_HELM`)."""
    return find_tool("helm", HELM_ENV_VAR, env, beside, HelmError)
