"""Lineage trees from a pipeline alone: upstream, downstream, shared parents, unknown names."""

from __future__ import annotations

import pytest

from aether.errors import PipelineError
from aether.insight.lineage import lineage
from aether.pipeline import Pipeline, node


def _fn(*args: object) -> object:
    return args


# raw -> clean -> {daily, by_customer}; daily + by_customer -> dashboard
PIPELINE = Pipeline(
    [
        node(_fn, "raw", "clean", name="cleaning"),
        node(_fn, "clean", "daily", name="per_day"),
        node(_fn, "clean", "by_customer", name="per_customer"),
        node(_fn, ["daily", "by_customer"], "dashboard", name="dashboard_node"),
    ],
    name="shop",
)


def test_upstream_tree_follows_producers_to_the_sources() -> None:
    tree = lineage(PIPELINE, "daily")

    assert tree.as_dict() == {
        "dataset": "daily",
        "children": [
            {
                "dataset": "clean",
                "node": "per_day",
                "children": [{"dataset": "raw", "node": "cleaning"}],
            }
        ],
    }


def test_downstream_tree_follows_consumers() -> None:
    tree = lineage(PIPELINE, "clean", downstream=True)

    children = tree.as_dict()["children"]
    assert [(c["dataset"], c["node"]) for c in children] == [
        ("by_customer", "per_customer"),
        ("daily", "per_day"),
    ]
    assert children[0]["children"] == [{"dataset": "dashboard", "node": "dashboard_node"}]


def test_a_dataset_reached_twice_is_expanded_once() -> None:
    tree = lineage(PIPELINE, "dashboard").as_dict()

    daily, by_customer = tree["children"]
    assert daily["dataset"] == "daily" and "repeated" not in daily["children"][0]
    assert by_customer["children"][0] == {
        "dataset": "clean",
        "node": "per_customer",
        "repeated": True,
    }


def test_a_source_has_no_upstream_and_a_sink_no_downstream() -> None:
    assert lineage(PIPELINE, "raw").as_dict() == {"dataset": "raw"}
    assert lineage(PIPELINE, "dashboard", downstream=True).as_dict() == {"dataset": "dashboard"}


def test_an_unknown_dataset_suggests_the_nearest_name() -> None:
    with pytest.raises(PipelineError) as caught:
        lineage(PIPELINE, "dashbord")

    assert "no dataset 'dashbord'" in caught.value.message
    assert caught.value.hint == "did you mean 'dashboard'?"
    assert caught.value.exit_code == 2


def test_an_unknown_dataset_with_no_close_name_points_at_the_catalog() -> None:
    with pytest.raises(PipelineError) as caught:
        lineage(PIPELINE, "zzzzzz")

    assert "aether catalog list" in caught.value.hint
