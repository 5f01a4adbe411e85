"""Finding the helm binary and its major version (3 or 4), detected once per binary."""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envman.kit.errors import HelmError
from envman.kit.tools import find_helm

SUPPORTED_MAJORS = (3, 4)
_VERSION = re.compile(r"^v?(\d+)\.\d+")
_VERSION_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class HelmBinary:
    """A helm executable and its major version."""

    path: Path
    major: int


def helm_major(helm: Path) -> int:
    """The major version of `helm` (`helm version --short`), cached per binary file."""
    try:
        stat = helm.stat()
    except OSError as exc:
        raise HelmError(f"helm not found: {helm}") from exc
    return _cached_major(str(helm.resolve()), stat.st_mtime_ns)


@functools.cache
def _cached_major(helm: str, mtime_ns: int) -> int:
    del mtime_ns  # part of the cache key only: a replaced binary is detected again
    try:
        done = subprocess.run(
            [helm, "version", "--short"],
            capture_output=True,
            text=True,
            check=True,
            timeout=_VERSION_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise HelmError(f"{helm} version --short failed: {exc}") from exc
    match = _VERSION.match(done.stdout.strip())
    major = int(match.group(1)) if match else 0
    if major not in SUPPORTED_MAJORS:
        raise HelmError(f"unsupported helm version {done.stdout.strip()!r} at {helm}: need 3 or 4")
    return major


def locate_helm(env: Mapping[str, str]) -> HelmBinary:
    """`find_helm` and `helm_major` together (blocking: call it off the event loop)."""
    path = find_helm(env)
    return HelmBinary(path, helm_major(path))
