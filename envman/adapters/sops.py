"""SOPS files decrypted by the real `sops` binary, to a pipe: sops writes the plaintext (as
JSON) on its stdout, envman parses it in memory; nothing decrypted is ever written to disk.
Keys come from sops' own settings in the environment (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`,
PGP through gpg, cloud KMS credentials). Each file is decrypted at most once per command.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envman.kit.errors import PlanError
from envman.kit.tools import INSTALLED_BESIDE, find_tool
from envman.plan.secrets import SecretUnavailable

SOPS_ENV_VAR = "ENVMAN_SOPS"
KEY_UNAVAILABLE = 128
"""sops' exit code when no key of the file could decrypt its data key (codes.CouldNotRetrieveKey)."""
TIMEOUT_SECONDS = 120.0
"""A cloud KMS may take a while; a hung sops does not hang envman."""


def find_sops(environ: Mapping[str, str], beside: Path | None = INSTALLED_BESIDE) -> Path:
    """The sops envman runs (`find_tool` with `$ENVMAN_SOPS`)."""
    return find_tool("sops", SOPS_ENV_VAR, environ, beside, PlanError)


class Sops:
    """The SOPS files of one command, each decrypted once (failures are remembered too)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._documents: dict[Path, Any] = {}
        self._failures: dict[Path, PlanError] = {}

    def decrypt(self, path: Path) -> Any:
        """The decrypted document of `path` (`plan.secrets.Decrypt`)."""
        if path not in self._documents and path not in self._failures:
            try:
                self._documents[path] = self._run(path)
            except PlanError as exc:
                self._failures[path] = exc
        if path in self._failures:
            raise self._failures[path]
        return self._documents[path]

    def _run(self, path: Path) -> Any:
        argv = [str(find_sops(self._environ)), "--decrypt", "--output-type", "json", str(path)]
        try:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=dict(self._environ),
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PlanError(f"sops could not run: {exc}") from exc
        if done.returncode == KEY_UNAVAILABLE:
            raise SecretUnavailable(f"sops has no key for it here: {_reason(done.stderr)}")
        if done.returncode != 0:
            raise PlanError(f"sops cannot decrypt it: {_reason(done.stderr)}")
        try:
            return json.loads(done.stdout)
        except ValueError as exc:
            raise PlanError("sops decrypted it to something that is not a document") from exc


def _reason(stderr: bytes) -> str:
    """sops' first line (its summary); for a file that is not SOPS-encrypted, saying so."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    first = lines[0] if lines else "(no error output)"
    if first == "sops metadata not found":
        return "not a SOPS-encrypted file (sops metadata not found)"
    return first
