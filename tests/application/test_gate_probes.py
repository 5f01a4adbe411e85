"""The application's probe table: a real probe for every gate kind that declares one."""

from __future__ import annotations

from envman.adapters.probes.command import SubprocessRunner
from envman.adapters.probes.http import UrllibHttpProbe
from envman.adapters.probes.prometheus import PrometheusApi
from envman.application.gate_probes import PROBES, real_probes
from envman.gates.command import Command
from envman.gates.http import Http
from envman.gates.prometheus import Prometheus
from envman.gates.registry import KINDS


def test_every_kind_that_needs_a_probe_has_one_row() -> None:
    declared = [kind.probe for kind in KINDS.values() if kind.probe is not None]

    assert sorted(row.key.name for row in PROBES) == sorted(key.name for key in declared)
    assert {row.key for row in PROBES} == set(declared)
    assert all(key.name == kind.name for kind in KINDS.values() if (key := kind.probe) is not None)


def test_a_sync_gets_the_real_probes() -> None:
    probes = real_probes()

    assert isinstance(probes.get(Http.probe), UrllibHttpProbe)
    assert isinstance(probes.get(Prometheus.probe), PrometheusApi)
    assert isinstance(probes.get(Command.probe), SubprocessRunner)
