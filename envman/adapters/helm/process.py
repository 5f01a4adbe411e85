"""Running helm: pyhelm3's `Command` subclassed to run helm without a shell, and helm's
failures turned into one-line `HelmError`s that never quote values."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shlex
from collections.abc import Awaitable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pyhelm3 import errors as pyhelm3_errors
from pyhelm3.command import Command

from envman.adapters.helm.flags import HISTORY_MAX
from envman.adapters.target import KubeTarget
from envman.kit.errors import HelmError
from envman.kit.redact import Redactor

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class HelmReleaseNotFound(HelmError):
    """The release does not exist in that namespace of that cluster."""


REAP_GRACE_SECONDS = 10.0
"""How long a cancelled helm may take to exit after SIGTERM before it is killed."""
MIN_REDACTED_LENGTH = 4
"""Shorter value strings ("api", "on") are not redacted: they would garble every message."""


class HelmCommand(Command):  # type: ignore[misc]  # pyhelm3 ships no type information
    """pyhelm3's `Command` for one helm binary and one cluster.

    pyhelm3 joins the command into a shell string; this runs the argument list itself
    (`create_subprocess_exec`), so no input is ever interpreted by a shell.
    """

    def __init__(self, helm: Path, target: KubeTarget) -> None:
        super().__init__(executable=str(helm), history_max_revisions=HISTORY_MAX)
        self._cluster_args = kube_args(target)

    async def run(self, command: Sequence[object], input: bytes | None = None) -> bytes:
        """pyhelm3's entry point for every cluster command: adds the cluster flags."""
        return await self.exec(command, input, cluster=True)

    async def exec(
        self,
        command: Sequence[object],
        input: bytes | None = None,
        *,
        cluster: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        """Run helm with `command` (and the cluster flags if `cluster`); `input` on stdin;
        `env` overrides variables of envman's environment. What helm wrote on stdout."""
        stdout, _ = await self.exec_output(command, input, cluster=cluster, env=env)
        return stdout

    async def exec_output(
        self,
        command: Sequence[object],
        input: bytes | None = None,
        *,
        cluster: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> tuple[bytes, bytes]:
        """`exec`, returning what helm wrote on stdout and on stderr."""
        argv = [str(self._executable), *(str(part) for part in command)]
        if cluster:
            argv += self._cluster_args
        _log.info("running %s", shlex.join(argv))
        filled = filled_pipe(input) if input is not None else None
        stdin, pending = _stdin(input, filled)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=stdin,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # a Ctrl-C to the terminal's process group is envman's to handle
                env={**os.environ, **env} if env else None,
            )
        finally:
            if filled is not None:
                os.close(filled)
        try:
            stdout, stderr = await proc.communicate(pending)
        except asyncio.CancelledError:
            await reap(proc)
            raise
        if proc.returncode:
            raise _failure(proc.returncode, stdout, stderr)
        return stdout, stderr


def filled_pipe(data: bytes) -> int | None:
    """The read end of a pipe that already holds all of `data`, for helm's stdin; None when
    `data` does not fit in a pipe (then it is written while helm runs).

    helm reads its values from stdin to the end before it acts. Written before helm starts,
    they reach it whole even when envman dies right after: a helm left behind never upgrades
    with an empty or cut `--values -` (EOF would read as "no values")."""
    read, write = os.pipe()
    try:
        with contextlib.suppress(OSError):  # above the system's limit: the default size stays
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, max(len(data), 4096))
        if len(data) > fcntl.fcntl(write, fcntl.F_GETPIPE_SZ):
            os.close(read)
            return None
        os.write(write, data)  # fits in the pipe: never blocks, never partial
    except BaseException:
        os.close(read)
        raise
    finally:
        os.close(write)
    return read


def _stdin(input: bytes | None, filled: int | None) -> tuple[int, bytes | None]:
    """helm's stdin, and what is still to be written to it while it runs."""
    if filled is not None:
        return filled, None
    if input is None:
        return asyncio.subprocess.DEVNULL, None
    return asyncio.subprocess.PIPE, input


async def reap(proc: asyncio.subprocess.Process, grace: float = REAP_GRACE_SECONDS) -> None:
    """Stop a helm process and wait for it, draining its pipes so that it can exit: SIGTERM,
    then SIGKILL after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.communicate(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.communicate()


def kube_args(target: KubeTarget) -> list[str]:
    """The flags selecting the cluster, appended to every cluster command."""
    args: list[str] = []
    if target.kubeconfig is not None:
        args += ["--kubeconfig", str(target.kubeconfig)]
    if target.context is not None:
        args += ["--kube-context", target.context]
    return args


def _failure(returncode: int, stdout: bytes, stderr: bytes) -> Exception:
    if b"release: not found" in stderr.lower():
        return pyhelm3_errors.ReleaseNotFoundError(returncode, stdout, stderr)  # type: ignore[no-any-return]
    return pyhelm3_errors.Error(returncode, stdout, stderr)  # type: ignore[no-any-return]


HELM_FAILURES = (pyhelm3_errors.Error, OSError)
"""What running helm raises: helm's own failure (with its stderr), or helm not runnable."""


async def checked(
    verb: str, subject: str, target: KubeTarget | None, call: Awaitable[_T], redactor: Redactor
) -> _T:
    """The result of the helm `call`; a failure becomes `helm_error`'s one-line `HelmError`."""
    try:
        return await call
    except HELM_FAILURES as exc:
        raise helm_error(verb, subject, target, exc, redactor) from exc


def helm_error(
    verb: str, release: str, target: KubeTarget | None, exc: Exception, redactor: Redactor
) -> HelmError:
    """`helm VERB RELEASE failed on CONTEXT: <helm's last error line>`, values redacted."""
    stderr = getattr(exc, "stderr", None)
    detail = last_error_line(stderr) if isinstance(stderr, bytes) else str(exc)
    subject = " ".join(part for part in ("helm", verb, release) if part)
    where = f" on {target}" if target is not None else ""
    reason = redactor.text(detail)
    message = f"{subject} failed{where}: {reason}"
    output = redactor.text(stderr.decode(errors="replace").strip()) if isinstance(stderr, bytes) else ""
    _log.info("%s: helm's whole error output:\n%s", message, output)
    if isinstance(exc, pyhelm3_errors.ReleaseNotFoundError):
        return HelmReleaseNotFound(message, output, reason)
    return HelmError(message, output, reason)


def last_error_line(stderr: bytes) -> str:
    """helm's last error on one line: from its last `Error:` line (without the prefix) on,
    so that a multi-error's `* detail` lines are kept; else helm's last line."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines()]
    lines = [line for line in lines if line]
    starts = [i for i, line in enumerate(lines) if line.startswith("Error:")]
    tail = lines[starts[-1] :] if starts else lines[-1:]
    return " ".join(tail).removeprefix("Error:").strip() or "(no error output)"


def secret_strings(values: Mapping[str, Any]) -> set[str]:
    """Every string leaf of `values` long enough to redact."""
    found: set[str] = set()
    pending: list[Any] = [values]
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            pending.extend(node.values())
        elif isinstance(node, list | tuple):
            pending.extend(node)
        elif isinstance(node, str) and len(node) >= MIN_REDACTED_LENGTH:
            found.add(node)
    return found
