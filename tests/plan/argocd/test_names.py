"""Application names: `<env>-<cluster>-<app>`, a DNS-1123 label of at most 63 characters."""

from __future__ import annotations

import re

from envman.plan.argocd.names import application_name, dns_label, hub_record_name, label_value

LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_a_short_name_is_env_cluster_app() -> None:
    assert application_name("prod", "prod-use1", "api") == "prod-prod-use1-api"


def test_a_long_name_is_shortened_with_a_hash_of_the_whole() -> None:
    long_cluster = "production-us-east-1-kubernetes-cluster-number-one"
    name = application_name("prod", long_cluster, "payments-api")
    assert len(name) <= 63
    assert LABEL.match(name)
    assert name.startswith("prod-production-us-east-1-kubernetes-cluster-number-")
    assert name == application_name("prod", long_cluster, "payments-api")  # stable
    assert name != application_name("prod", long_cluster, "payments-ap1")  # the hash tells them apart


def test_characters_a_label_cannot_hold_are_replaced_and_hashed() -> None:
    name = dns_label("prod-EU_West-api")
    assert LABEL.match(name)
    assert name.startswith("prod-eu-west-api-")
    assert dns_label("prod-eu-west-api") != name


def test_label_values_keep_what_a_label_value_may_hold() -> None:
    assert label_value("Prod_EU.1") == "Prod_EU.1"
    assert len(label_value("x" * 80)) <= 63
    assert label_value("bad/value") != "bad/value"


def test_hub_records_are_named_per_environment_and_cluster() -> None:
    assert hub_record_name("prod", "use1") == "envman-verified-prod-use1"
    assert len(hub_record_name("prod", "c" * 70)) <= 63
