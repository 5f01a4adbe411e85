"""Secret sources (`{env: NAME}`, `{file: PATH}`) resolved through injected readers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from envman.kit.errors import PlanError
from envman.spec.environment import Environment
from envman.spec.models import SecretSource

EnvReader = Callable[[str], str | None]
FileReader = Callable[[Path], str | None]


@dataclass
class Resolved:
    """The secrets of one app: path -> value, and each path whose source is not available
    with the reason (`missing`)."""

    values: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def resolve_secrets(env: Environment, app: str, getenv: EnvReader, read_file: FileReader) -> Resolved:
    """Dotted value path -> secret value for `app`; every unavailable source is in `missing`,
    its message located at the spec's line (see `require`)."""
    resolved = Resolved()
    for path, source in env.apps[app].secrets.items():
        value, why = read_source(env, source, getenv, read_file)
        if value is None:
            where = env.value_at("apps", app, "secrets", path)
            prefix = f"{where}: " if where else ""
            resolved.missing[path] = f"{prefix}app {app!r}: secret {path}: {why}"
        else:
            resolved.values[path] = value
    return resolved


def read_source(
    env: Environment, source: SecretSource, getenv: EnvReader, read_file: FileReader
) -> tuple[str | None, str]:
    """The value of one secret source (a file's trailing newlines dropped), or None and why."""
    if source.env is not None:
        return getenv(source.env), f"environment variable {source.env} is not set"
    assert source.file is not None
    value = read_file(env.root / Path(source.file).expanduser())
    return (value.rstrip("\n") if value is not None else None), f"cannot read file {source.file}"


MIN_SECRET_LENGTH = 8
"""A shorter secret is still redacted, but so is every other occurrence of its characters."""


def short_secrets(env: Environment, app: str, resolved: Resolved) -> list[str]:
    """A located warning for every resolved secret of `app` shorter than `MIN_SECRET_LENGTH`."""
    warnings = []
    for path, value in resolved.values.items():
        if len(value) < MIN_SECRET_LENGTH:
            where = env.value_at("apps", app, "secrets", path)
            warnings.append(
                f"{f'{where}: ' if where else ''}app {app!r}: secret {path} is only {len(value)} characters"
                f" long: it is redacted, and so is every other occurrence of those characters in"
                f" output; use at least {MIN_SECRET_LENGTH}"
            )
    return warnings


def require(missing: list[str]) -> None:
    """A `PlanError` naming every unavailable secret source at once, if any."""
    if missing:
        raise PlanError("\n".join(sorted(missing)))
