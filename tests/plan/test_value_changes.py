"""`value_changes`: every changed leaf as a dotted path, lists whole, secrets marked."""

from __future__ import annotations

from envman.plan.compare import value_changes
from envman.plan.model import Change


def test_equal_values_have_no_changes() -> None:
    values = {"image": {"tag": "2.7.0"}, "hosts": ["a"], "replicaCount": 3}
    assert value_changes(values, {"image": {"tag": "2.7.0"}, "hosts": ["a"], "replicaCount": 3}) == []


def test_nested_change_names_only_the_changed_leaf() -> None:
    before = {"image": {"repository": "api", "tag": "2.7.0"}, "resources": {"limits": {"cpu": 1}}}
    after = {"image": {"repository": "api", "tag": "2.8.0"}, "resources": {"limits": {"cpu": 2}}}
    assert value_changes(before, after) == [
        Change("image.tag", "2.7.0", "2.8.0"),
        Change("resources.limits.cpu", 1, 2),
    ]


def test_added_and_removed_keys_show_none_on_the_missing_side() -> None:
    changes = value_changes({"a": {"old": 1}}, {"a": {"new": 2}})
    assert changes == [Change("a.new", None, 2), Change("a.old", 1, None)]
    assert all(c.kind == "value" for c in changes)


def test_a_list_is_replaced_whole_never_diffed_by_index() -> None:
    changes = value_changes({"hosts": ["a.example.com", "b.example.com"]}, {"hosts": ["a.example.com"]})
    assert changes == [Change("hosts", ["a.example.com", "b.example.com"], ["a.example.com"])]


def test_a_map_replaced_by_a_scalar_is_one_change_at_its_path() -> None:
    assert value_changes({"ingress": {"host": "x"}}, {"ingress": False}) == [
        Change("ingress", {"host": "x"}, False)
    ]


def test_int_and_float_of_equal_value_are_equal_but_a_string_is_not_a_number() -> None:
    assert value_changes({"cpu": 1}, {"cpu": 1.0}) == []
    assert value_changes({"tag": "1"}, {"tag": 1}) == [Change("tag", "1", 1)]
    assert value_changes({"enabled": True}, {"enabled": 1}) == [Change("enabled", True, 1)]


def test_bool_and_int_differ_whichever_side_is_live() -> None:
    assert value_changes({"enabled": 1}, {"enabled": True}) == [Change("enabled", 1, True)]


def test_paths_at_under_and_above_a_secret_are_marked_secret() -> None:
    secret = ("db.password",)
    at = value_changes({"db": {"password": "a"}}, {"db": {"password": "b"}}, secret)
    above = value_changes({}, {"db": {"password": "b"}}, secret)
    under = value_changes({"db": {"password": {"v": 1}}}, {"db": {"password": {"v": 2}}}, secret)
    assert [(c.path, c.secret) for c in at + above + under] == [
        ("db.password", True),
        ("db", True),
        ("db.password.v", True),
    ]


def test_neighbours_of_a_secret_path_are_not_secret() -> None:
    changes = value_changes(
        {"db": {"host": "a", "password": "p"}, "dbpassword": 1},
        {"db": {"host": "b", "password": "p"}, "dbpassword": 2},
        ("db.password",),
    )
    assert [(c.path, c.secret) for c in changes] == [("db.host", False), ("dbpassword", False)]
