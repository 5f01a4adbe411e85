"""What `envman rollback` and `envman unlock` print."""

from __future__ import annotations

from collections.abc import Sequence

from envman.rollout.app_rollback import AppRollback


def rollback_lines(results: Sequence[AppRollback]) -> list[str]:
    return [f"{r.target.cluster}: {r.target.release} {r.result.value}: {r.detail}" for r in results]


def unlock_lines(environment: str, removed: Sequence[str]) -> list[str]:
    if not removed:
        return [f"{environment} is not locked"]
    return [f"removed the lock held by {holder}" for holder in removed]
