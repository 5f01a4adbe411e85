"""Secret sources (`{env: NAME}`, `{file: PATH}`) resolved through injected readers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from envman.kit.errors import PlanError
from envman.spec.environment import Environment

EnvReader = Callable[[str], str | None]
FileReader = Callable[[Path], str | None]


def resolve_secrets(env: Environment, app: str, getenv: EnvReader, read_file: FileReader) -> dict[str, str]:
    """Dotted value path -> secret value for `app`; a missing source is a `PlanError`."""
    resolved: dict[str, str] = {}
    for path, source in env.apps[app].secrets.items():
        where = env.value_at("apps", app, "secrets", path)
        prefix = f"{where}: " if where else ""
        if source.env is not None:
            value = getenv(source.env)
            if value is None:
                raise PlanError(
                    f"{prefix}app {app!r}: secret {path}: environment variable {source.env} is not set"
                )
        else:
            assert source.file is not None
            value = read_file(env.root / Path(source.file).expanduser())
            if value is None:
                raise PlanError(f"{prefix}app {app!r}: secret {path}: cannot read file {source.file}")
            value = value.rstrip("\n")
        resolved[path] = value
    return resolved
