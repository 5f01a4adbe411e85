"""`envman rollback` on the sandbox, checked with `helm history` on every cluster: nothing
changes when one cluster lacks the target; `--to-commit` goes to the same commit everywhere,
wave by wave; on a terminal it shows the plan and asks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PROD_CLUSTERS, Fleet, fast, synced
from tests.e2e.terminal import answer
from tests.e2e.test_faults import helm_values, history
from tests.promote.gitrepo import git, init_repo

pytestmark = pytest.mark.helm
API_TAG = ('image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
WAVES = [["prod-use1-canary"], ["prod-use1"], ["prod-euw1", "prod-euw1-b", "prod-apse1"]]


def histories(prod: Fleet) -> dict[str, list[dict[str, Any]]]:
    return {c: history(prod, c, "api", "api") for c in PROD_CLUSTERS}


def test_a_revision_one_cluster_lacks_changes_nothing_anywhere(prod: Fleet) -> None:
    prod.apply()
    prod.edit("environments/prod.yaml", *API_TAG)
    prod.apply("prod-use1-canary")
    prod.edit("environments/prod.yaml", API_TAG[1], 'image: {tag: "2.7.2"}      #')
    prod.apply("prod-use1-canary")
    before = histories(prod)
    assert len(before["prod-use1-canary"]) == 3 and len(before["prod-use1"]) == 1

    result = prod.envman("rollback", "prod", "--app", "api", "--to-revision", "2")

    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == "error: cannot roll api back to revision 2 on every selected cluster; nothing was changed:"
    )
    assert sorted(lines[1:]) == sorted(f"error: {c}: no revision 2 (helm holds 1)" for c in PROD_CLUSTERS[1:])
    assert histories(prod) == before


def test_to_commit_goes_to_the_same_commit_on_every_cluster_wave_by_wave(prod: Fleet) -> None:
    fast(prod)
    init_repo(prod.root)
    first = git(prod.root, "rev-parse", "HEAD").strip()
    synced(prod)
    prod.edit("environments/prod.yaml", *API_TAG)
    git(prod.root, "commit", "--quiet", "--all", "--message", "api 2.7.1")
    synced(prod)
    prod.edit("environments/prod.yaml", API_TAG[1], 'image: {tag: "2.7.2"}      #')
    git(prod.root, "commit", "--quiet", "--all", "--message", "api 2.7.2")
    synced(prod)

    result = prod.envman("rollback", "prod", "--app", "api", "--to-commit", first[:8])

    assert result.exit_code == 0, result.output
    assert f"rollback prod: api to the newest revision synced from commit {first[:8]} on 5 cluster(s)" in (
        result.stderr
    )
    assert "note: the next `envman sync prod` puts api back to what the spec says" in result.stderr
    assert result.stderr.splitlines()[-1] == "rollback prod: 5 succeeded"
    assert result.stdout.splitlines() == [
        f"{c}: api succeeded: rolled back from revision 3 to 1 (now revision 4)"
        for wave in WAVES
        for c in wave
    ]
    after = histories(prod)
    for cluster in PROD_CLUSTERS:
        assert [r["status"] for r in after[cluster]] == ["superseded"] * 3 + ["deployed"], cluster
        assert after[cluster][-1]["description"] == "Rollback to 1", cluster
        assert helm_values(prod, cluster, "api", "api")["image"]["tag"] == "2.7.0", cluster
    started = [min(after[c][-1]["updated"] for c in wave) for wave in WAVES]
    ended = [max(after[c][-1]["updated"] for c in wave) for wave in WAVES]
    assert ended[0] <= started[1] and ended[1] <= started[2]  # one wave after the other


def test_on_a_terminal_rollback_shows_what_it_will_do_and_asks(prod: Fleet) -> None:
    prod.apply("prod-use1")
    prod.edit("environments/prod.yaml", *API_TAG)
    prod.apply("prod-use1")
    before = history(prod, "prod-use1", "api", "api")
    args = ["rollback", "prod", "--app", "api", "--cluster", "prod-use1"]
    code, text = answer(prod, args, b"Roll api back on 1 cluster(s)? [y/N]", b"n\n")
    assert code == 1
    assert "rollback prod: api to the previous revision on 1 cluster(s), wave by wave:" in text
    assert "prod-use1: revision 2 -> 1 (api " in text
    assert "the next `envman sync prod` puts api back" in text
    assert history(prod, "prod-use1", "api", "api") == before
