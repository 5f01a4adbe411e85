"""The real readers behind secret sources: the process environment and files."""

from __future__ import annotations

import os
from pathlib import Path

from envman.kit.redact import Redactor
from envman.plan.desired import DesiredRelease, desired_release
from envman.plan.secrets import resolve_secrets
from envman.spec.environment import Environment


def read_secret_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def resolve_releases(
    env: Environment, pairs: list[tuple[str, str]], redactor: Redactor
) -> list[DesiredRelease]:
    """Desired releases for (cluster, app) pairs, secrets resolved once per app and registered
    with `redactor`."""
    secrets: dict[str, dict[str, str]] = {}
    for app in dict.fromkeys(app for _, app in pairs):
        secrets[app] = resolve_secrets(env, app, os.environ.get, read_secret_file)
        redactor.add(secrets[app].values())
    return [desired_release(env, app, cluster, secrets[app]) for cluster, app in pairs]
