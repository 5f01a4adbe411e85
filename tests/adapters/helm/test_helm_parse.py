"""Parsing helm's outputs: chart name/version splitting and times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from envman.adapters.helm.parse import EPOCH, parse_time, split_chart
from envman.kit.errors import HelmError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api-1.4.2", ("api", "1.4.2")),
        ("my-app-2-1.0.0", ("my-app-2", "1.0.0")),
        ("api-1.4.2-rc.1", ("api", "1.4.2-rc.1")),
        ("api-v1.4.2+build.7", ("api", "v1.4.2+build.7")),
        ("weird", ("weird", "")),
    ],
)
def test_split_chart(text: str, expected: tuple[str, str]) -> None:
    assert split_chart(text) == expected


def test_parse_time() -> None:
    assert parse_time("2025-03-04T05:06:07.123456789Z") == datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    assert parse_time("2025-03-04T07:06:07+02:00") == datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert parse_time("-") == EPOCH
    with pytest.raises(HelmError, match="unexpected time from helm"):
        parse_time("yesterday")
