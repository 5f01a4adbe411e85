"""The one error hierarchy of envman, and the single place errors map to exit codes.

Every expected failure is an `EnvmanError`; the CLI prints its message (never a traceback)
and exits with its `exit_code`. Library exceptions are chained with `raise ... from`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_ROLLOUT_FAILED = 3
EXIT_AWAITING_APPROVAL = 4


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: 1-based line and column, as editors show them."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One located problem with a user's input."""

    message: str
    location: Location | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class EnvmanError(Exception):
    """Base of every expected failure."""

    exit_code = EXIT_ERROR


class SpecError(EnvmanError):
    """One or more problems in the environment files, all reported at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_order(problem: Problem) -> tuple[Location, str]:
    return (problem.location or Location(""), problem.message)


class PlanError(EnvmanError):
    """The desired state cannot be computed (for example a secret source is missing)."""


class DriverError(EnvmanError):
    """A cluster, helm or another external system failed or could not be reached."""


class HelmError(DriverError):
    """helm failed, or could not be found. The message is one line; `output` is all helm
    wrote on stderr (for the report and `-v`: redact it before showing it); `reason` is
    helm's own last error line, without envman's words around it ("" when helm said none)."""

    def __init__(self, message: str, output: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.output = output
        self.reason = reason


class KubeError(DriverError):
    """The Kubernetes API failed or could not be reached."""


class LockHeld(EnvmanError):
    """Another run holds the environment lock."""
