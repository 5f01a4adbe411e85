"""The real probe of each gate kind that needs one: one row per kind, its `ProbeKey` and the
adapter that makes its probe (`wire` has mypy check that the adapter fits the kind's Protocol)."""

from __future__ import annotations

from envman.adapters.probes.command import SubprocessRunner
from envman.adapters.probes.http import UrllibHttpProbe
from envman.adapters.probes.prometheus import PrometheusApi
from envman.gates.command import Command
from envman.gates.http import Http
from envman.gates.prometheus import Prometheus
from envman.rollout.ports import Probes, wire

PROBES = (
    wire(Http.probe, UrllibHttpProbe),
    wire(Prometheus.probe, PrometheusApi),
    wire(Command.probe, SubprocessRunner),
)


def real_probes() -> Probes:
    """A sync's probes, made afresh."""
    return Probes(PROBES)
