"""Gate placeholders: the sites of a gate (how often it runs) and their values."""

from __future__ import annotations

from envman.rollout.placeholders import GateScope, scope_of, sites
from tests.rollout.fakes import cluster, gate, wave


def test_scope_follows_the_placeholders_used() -> None:
    assert scope_of(gate(http={"url": "https://{cluster}/"})) is GateScope.CLUSTER
    assert (
        scope_of(gate(prometheus={"url": "http://p.{region}", "query": "up", "min": 1})) is GateScope.REGION
    )
    assert scope_of(gate(command={"run": ["x", "{region}-{cluster}"]})) is GateScope.CLUSTER
    assert scope_of(gate(command={"run": ["x", "{wave}", "{environment}"]})) is GateScope.WAVE
    assert scope_of(gate(health={})) is GateScope.CLUSTER
    assert scope_of(gate(helmTest={})) is GateScope.CLUSTER


def test_a_region_site_has_its_clusters_and_values() -> None:
    run = wave("us", cluster("c1", region="r1"), cluster("c2", region="r2"), cluster("c3", region="r1"))
    prom = gate(
        prometheus={"url": "http://p.{region}", "query": 'x{code=~"5..",env="{environment}"}', "max": 1}
    )

    found = sites(prom, run, "prod")

    assert [(s.region, list(s.clusters)) for s in found] == [("r1", ["c1", "c3"]), ("r2", ["c2"])]
    assert found[0].values == {"environment": "prod", "wave": "us", "region": "r1"}
    # what expand does with them (and with other braces): tests/gates/test_kind.py
