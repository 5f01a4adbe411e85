"""A run's gate probes (`rollout.ports.Probes`): made from a table, looked up by a kind's key."""

from __future__ import annotations

import pytest

from envman.gates.command import Command
from envman.gates.http import Http
from envman.rollout.ports import Probes, wire
from tests.gates.fakes import FakeCommands, FakeHttp


def test_a_table_makes_each_probe_once_per_probes() -> None:
    table = [wire(Http.probe, FakeHttp)]

    first, second = Probes(table), Probes(table)

    assert isinstance(first.get(Http.probe), FakeHttp)
    assert first.get(Http.probe) is first.get(Http.probe)
    assert first.get(Http.probe) is not second.get(Http.probe)


def test_with_probe_adds_or_replaces_and_leaves_the_original() -> None:
    fake, other = FakeHttp(), FakeHttp()
    probes = Probes().with_probe(Http.probe, fake)

    replaced = probes.with_probe(Http.probe, other).with_probe(Command.probe, FakeCommands())

    assert probes.get(Http.probe) is fake and replaced.get(Http.probe) is other
    assert isinstance(replaced.get(Command.probe), FakeCommands)
    with pytest.raises(LookupError, match="no probe is wired for the 'command' gate kind"):
        probes.get(Command.probe)
