"""Settings of a sync taken from its environment: the lock's renewal interval."""

from __future__ import annotations

import pytest

from envman.application.syncing import lock_renew_seconds
from envman.kit.errors import EnvmanError


def test_the_lock_is_renewed_every_15_seconds_unless_the_variable_says_otherwise() -> None:
    assert lock_renew_seconds({}) == 15.0
    assert lock_renew_seconds({"ENVMAN_LOCK_RENEW_SECONDS": "2"}) == 2.0


@pytest.mark.parametrize("text", ["0.5", "300", "soon", "-1"])
def test_a_renewal_interval_out_of_range_is_an_error(text: str) -> None:
    with pytest.raises(EnvmanError, match="ENVMAN_LOCK_RENEW_SECONDS"):
        lock_renew_seconds({"ENVMAN_LOCK_RENEW_SECONDS": text})
