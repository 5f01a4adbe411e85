"""Result values of a run, its waves, releases, gates and rollbacks, as the report spells them.

`docs/report.md` lists the values a consumer must expect; envman adds a few where the
rollout needs to say more, all documented here:
- run `interrupted`: SIGINT/SIGTERM (or a lost lock) stopped it; nothing was rolled back
  (but what a second interrupt cancelled); exit 1.
- run `error`: it could not start (the lock is held by another run, or a cluster could not be
  reached to take it), or an unexpected error ended it; nothing was rolled back; exit 1.
- wave `verified`: nothing to change, but its gates and bake had not passed for this
  desired state (after halt, an interrupt, a crash, a hand-made upgrade): they ran and passed;
- wave `rollback-failed`: it failed and at least one of its rollbacks failed too;
  wave `interrupted`: it was running when the run was interrupted.
- release `not-started`: its wave failed, was interrupted or never ran before it was reached;
  release `rollback-failed`: it was changed and rolling it back failed;
  release `cancelled`: a second interrupt stopped its helm call (and envman then recovered
  it: it ends `rolled-back` or `rollback-failed` unless that recovery was not possible).
- gate `interrupted`: the run was interrupted while the gate was still polling.
"""

from __future__ import annotations

from enum import StrEnum

from envman.kit.errors import EXIT_AWAITING_APPROVAL, EXIT_ERROR, EXIT_OK, EXIT_ROLLOUT_FAILED


class RunResult(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    AWAITING_APPROVAL = "awaiting-approval"
    INTERRUPTED = "interrupted"
    ERROR = "error"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]


_EXIT_CODES = {
    RunResult.SUCCEEDED: EXIT_OK,
    RunResult.FAILED: EXIT_ROLLOUT_FAILED,
    RunResult.AWAITING_APPROVAL: EXIT_AWAITING_APPROVAL,
    RunResult.INTERRUPTED: EXIT_ERROR,
    RunResult.ERROR: EXIT_ERROR,
}


class WaveResult(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"
    ROLLBACK_FAILED = "rollback-failed"
    NOT_STARTED = "not-started"
    UNCHANGED = "unchanged"
    INTERRUPTED = "interrupted"
    VERIFIED = "verified"


class ReleaseResult(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"
    ROLLBACK_FAILED = "rollback-failed"
    UNCHANGED = "unchanged"
    NOT_STARTED = "not-started"
    CANCELLED = "cancelled"


class RollbackResult(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_STARTED = "not-started"
    """`envman rollback`: a later wave after a failed one, or a step after an interrupt."""
