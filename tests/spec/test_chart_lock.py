"""envman.lock's format: stable, human-diffable text; every malformed file a located error."""

from __future__ import annotations

import pytest

from envman.kit.errors import SpecError
from envman.spec.chart_lock import ChartKey, ChartLock, Pin, dump_lock, parse_lock

A, B, M = "sha256:" + "a" * 64, "sha256:" + "b" * 64, "sha256:" + "c" * 64


def test_the_lock_round_trips_with_entries_in_a_stable_order() -> None:
    lock = ChartLock(
        {
            ChartKey("oci://registry.example.com/charts", "api", "0.3.1"): Pin(B, M),
            ChartKey("https://charts.example.com", "web", "1.10.0"): Pin(A),
            ChartKey("https://charts.example.com", "web", "1.9.0"): Pin(B),
            ChartKey("https://charts.example.com", "db", "2.0.0"): Pin(A),
        }
    )
    text = dump_lock(lock)
    assert text.startswith("# envman.lock: ") and "envman deps --update [--app APP]" in text
    body = text[text.index("formatVersion") :]
    assert body == (
        "formatVersion: 1\n"
        "charts:\n"
        "- repository: https://charts.example.com\n  chart: db\n  version: 2.0.0\n"
        f"  digest: {A}\n"
        "- repository: https://charts.example.com\n  chart: web\n  version: 1.9.0\n"
        f"  digest: {B}\n"
        "- repository: https://charts.example.com\n  chart: web\n  version: 1.10.0\n"
        f"  digest: {A}\n"
        "- repository: oci://registry.example.com/charts\n  chart: api\n  version: 0.3.1\n"
        f"  digest: {B}\n  manifest: {M}\n"
    )
    assert parse_lock(text).pins == lock.pins
    assert dump_lock(parse_lock(text)) == text


def test_a_version_that_reads_as_a_number_stays_a_string() -> None:
    lock = ChartLock({ChartKey("https://c.example.com", "web", "1.0"): Pin(A)})
    assert "version: '1.0'" in dump_lock(lock)
    assert parse_lock(dump_lock(lock)).pins == lock.pins


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("formatVersion: 2\ncharts: []\n", "envman.lock:1:16: formatVersion:"),
        ("charts: []\n", "envman.lock:1:1: missing required key 'formatVersion' in the top level"),
        (
            f"formatVersion: 1\ncharts:\n- {{repository: r, chart: c, version: '1', digets: {A}}}\n",
            "envman.lock:3:43: unknown key 'digets' in charts[0]; did you mean 'digest'?",
        ),
        (
            "formatVersion: 1\ncharts:\n- {repository: r, chart: c, version: '1', digest: md5:abc}\n",
            "envman.lock:3:51: charts[0].digest: 'md5:abc' is not a digest: 'sha256:' and 64 lowercase hex",
        ),
        (
            f"formatVersion: 1\ncharts:\n- {{repository: r, chart: c, version: '1', digest: '{A}'}}\n"
            f"- {{repository: r/, chart: c, version: '1', digest: '{B}'}}\n",
            "envman.lock:4:3: charts[1]: r c 1 is pinned twice",
        ),
        ("formatVersion: [1\n", "envman.lock:2:1: invalid YAML"),
    ],
)
def test_a_malformed_lock_is_a_located_error(text: str, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_lock(text)
    assert any(str(p).startswith(problem) for p in caught.value.problems), caught.value.problems
