"""Secret sources (`{env: NAME}`, `{file: PATH}`, `{sops: FILE, path: a.b}`) resolved through
injected readers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envman.kit.errors import PlanError
from envman.kit.suggest import did_you_mean
from envman.spec.environment import Environment
from envman.spec.merge import get_path
from envman.spec.models import SecretSource

EnvReader = Callable[[str], str | None]
FileReader = Callable[[Path], str | None]
Decrypt = Callable[[Path], Any]
"""The decrypted document of a SOPS file; `SecretUnavailable` when no key for it is at hand,
`PlanError` when it cannot be decrypted otherwise (not a SOPS file, a damaged one)."""


class SecretUnavailable(PlanError):
    """A source that cannot be read here, as an unset variable (a SOPS file without its key)."""


@dataclass
class Resolved:
    """The secrets of one app: path -> value, and each path whose source is not available
    with the reason (`missing`)."""

    values: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def resolve_secrets(
    env: Environment, app: str, getenv: EnvReader, read_file: FileReader, decrypt: Decrypt | None = None
) -> Resolved:
    """Dotted value path -> secret value for `app`; every unavailable source is in `missing`,
    its message located at the spec's line (see `require`); a SOPS source that can never
    work (no such path in the file, not a SOPS file) is a located `PlanError`."""
    resolved = Resolved()
    for path, source in env.apps[app].secrets.items():
        where = env.value_at("apps", app, "secrets", path)
        subject = f"{f'{where}: ' if where else ''}app {app!r}: secret {path}"
        value, why = read_source(env, source, getenv, read_file, decrypt, subject)
        if value is None:
            resolved.missing[path] = f"{subject}: {why}"
        else:
            resolved.values[path] = value
    return resolved


def read_source(
    env: Environment,
    source: SecretSource,
    getenv: EnvReader,
    read_file: FileReader,
    decrypt: Decrypt | None = None,
    subject: str = "secret",
) -> tuple[str | None, str]:
    """The value of one secret source (a file's trailing newlines dropped), or None and why;
    `subject` starts the message of a `PlanError`. Without `decrypt`, no SOPS file is read."""
    if source.env is not None:
        return getenv(source.env), f"environment variable {source.env} is not set"
    if source.sops is not None:
        if decrypt is None:
            return None, "SOPS files are not decrypted here"
        try:
            return sops_value(decrypt(env.root / source.sops), source), ""
        except SecretUnavailable as exc:
            return None, f"{source.sops}: {exc}"
        except PlanError as exc:
            raise PlanError(f"{subject}: {source.sops}: {exc}") from exc
    assert source.file is not None
    value = read_file(env.root / Path(source.file).expanduser())
    return (value.rstrip("\n") if value is not None else None), f"cannot read file {source.file}"


def sops_value(document: Any, source: SecretSource) -> str:
    """The value at `source.path` of a decrypted SOPS document, as helm gets a string (a number
    or a boolean as its JSON text); `PlanError` when there is none, or a map or list."""
    assert source.path is not None
    found, value = get_path(document if isinstance(document, dict) else {}, source.path)
    if not found:
        paths = list(leaf_paths(document))
        raise PlanError(f"no value at {source.path}{did_you_mean(source.path, paths)}")
    if isinstance(value, dict | list):
        kind = "map" if isinstance(value, dict) else "list"
        raise PlanError(f"{source.path} is a {kind}: name one value under it")
    return value if isinstance(value, str) else json.dumps(value)


def leaf_paths(document: Any, prefix: str = "") -> Iterator[str]:
    """The dotted path of every value of a document (never the values themselves)."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield from leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix


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
