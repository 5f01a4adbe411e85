"""Every gate kind, by its spec key. A new kind is one module and one line here."""

from __future__ import annotations

from typing import Any

from envman.gates.command import Command
from envman.gates.health import Health
from envman.gates.helm_test import HelmTest
from envman.gates.http import Http
from envman.gates.kind import GateKind
from envman.gates.prometheus import Prometheus

KINDS: dict[str, GateKind[Any]] = {
    kind.name: kind for kind in (Health(), Http(), Prometheus(), Command(), HelmTest())
}
"""Gate kinds in the order the spec's schema lists them."""
