"""The real readers behind secret sources (the process environment and files), and the
desired releases of a command with their secrets resolved."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from envman.kit.redact import Redactor
from envman.plan.cluster_state import HIDDEN, LiveRelease
from envman.plan.desired import DesiredRelease, desired_release
from envman.plan.secrets import Decrypt, Resolved, require, resolve_secrets, short_secrets
from envman.spec.environment import Environment
from envman.spec.merge import get_path

SecretUse = Literal["require", "try", "skip"]


def read_secret_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def resolve_releases(
    env: Environment,
    pairs: list[tuple[str, str]],
    redactor: Redactor,
    *,
    secrets: SecretUse = "require",
    environ: Mapping[str, str] = os.environ,
    decrypt: Decrypt | None = None,
) -> list[DesiredRelease]:
    """Desired releases for (cluster, app) pairs, secrets resolved once per app and registered
    with `redactor`. `require` (sync, render): every unavailable source is an error, all named
    at once; `try` (plan, diff): those paths are left unresolved and not compared; `skip`
    (status): no source is read at all. `decrypt` reads SOPS files (without it, a SOPS source
    is unavailable)."""
    resolved: dict[str, Resolved] = {}
    for app in dict.fromkeys(app for _, app in pairs):
        if secrets == "skip":
            resolved[app] = Resolved(missing=dict.fromkeys(env.apps[app].secrets, "not read"))
        else:
            resolved[app] = resolve_secrets(env, app, environ.get, read_secret_file, decrypt)
        redactor.add(resolved[app].values.values())
    if secrets == "require":
        require([why for found in resolved.values() for why in found.missing.values()])
    return [
        desired_release(env, app, cluster, resolved[app].values, tuple(resolved[app].missing))
        for cluster, app in pairs
    ]


def learn_running_secrets(
    redactor: Redactor, env: Environment, app: str, revisions: Iterable[LiveRelease]
) -> None:
    """What a release runs (or ran) at a secret path (its app's now, or one the revision
    recorded) is a secret too, whatever its source holds now (rotated, unset, not read as by
    `status`, or gone from the spec): the sink learns it from every revision read, so an
    image tag or URL built from it is never shown."""
    current = list(env.apps[app].secrets) if app in env.apps else []
    for revision in revisions:
        for path in {*current, *revision.secret_paths} - {HIDDEN}:
            found, value = get_path(revision.values, path)
            if found and isinstance(value, str | int | float) and not isinstance(value, bool):
                redactor.add([str(value)])


def secret_warnings(env: Environment, environ: Mapping[str, str] = os.environ) -> list[str]:
    """`validate`'s warnings about the secrets it can read here (an unset source is no warning;
    SOPS files are not decrypted)."""
    return [
        warning
        for app in env.apps
        for warning in short_secrets(env, app, resolve_secrets(env, app, environ.get, read_secret_file))
    ]
