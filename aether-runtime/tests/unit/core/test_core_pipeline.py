"""Nodes and pipelines: parsing pipeline.yml, ordering, validation and node selection."""

from __future__ import annotations

from typing import Any

import pytest

from aether.errors import CycleError, PipelineError
from aether.pipeline import Input, Node, Pipeline, node, parse_pipelines
from aether.run import select_nodes


def _f(*args: Any, **kwargs: Any) -> Any:
    return None


def _yaml_node(**fields: Any) -> dict[str, Any]:
    return {"name": "n", "transformation": "pkg.mod.func", **fields}


def _parse_one(**fields: Any) -> Node:
    pipelines, _ = parse_pipelines({"pipelines": {"p": {"nodes": [_yaml_node(**fields)]}}}, "p.yml")
    return pipelines["p"].nodes[0]


# Input and output forms ------------------------------------------------------------------
def test_inputs_as_a_mapping_pass_keyword_arguments_and_parameters() -> None:
    item = _parse_one(inputs={"orders": "raw_orders", "min_amount": "params:cleaning.min"})

    assert item.inputs == (
        Input("orders", "raw_orders"),
        Input("min_amount", "params:cleaning.min"),
    )
    assert item.dataset_inputs == ["raw_orders"]
    assert item.param_keys == ["cleaning.min"]


def test_inputs_as_a_name_or_a_list_are_positional() -> None:
    assert _parse_one(inputs="a").inputs == (Input(None, "a"),)
    assert _parse_one(inputs=["a", "params:x"]).inputs == (
        Input(None, "a"),
        Input(None, "params:x"),
    )


def test_input_params_alone_means_all_parameters() -> None:
    item = _parse_one(inputs={"params": "params"})

    assert item.param_keys == ["*"]
    assert item.dataset_inputs == []


def test_no_inputs_and_no_outputs_are_allowed() -> None:
    item = _parse_one()

    assert item.inputs == ()
    assert (item.outputs_kind, item.outputs) == ("none", ())


def test_outputs_as_a_name_a_list_or_a_mapping() -> None:
    single = _parse_one(outputs="a")
    listed = _parse_one(outputs=["a", "b"])
    mapped = _parse_one(outputs={"train": "train_set", "test": "test_set"})

    assert (single.outputs_kind, single.outputs) == ("single", ("a",))
    assert (listed.outputs_kind, listed.outputs) == ("list", ("a", "b"))
    assert (mapped.outputs_kind, mapped.output_keys, mapped.outputs) == (
        "mapping",
        ("train", "test"),
        ("train_set", "test_set"),
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"inputs": 3}, r"Node 'n': `inputs:` must be"),
        ({"inputs": {"a": 1}}, r"Node 'n': `inputs:` must be"),
        ({"outputs": {"a": ["x"]}}, r"Node 'n': `outputs:` must be"),
        ({"outputs": ["a", "a"]}, r"Node 'n': an output is listed twice"),
        ({"options": [1]}, r"node 'n': `options:` must be a mapping"),
        ({"transformation": "nodots"}, r"node 'n': `transformation:` must be a dotted path"),
        ({"ouputs": "a"}, r"node 'n': unknown key 'ouputs'"),
    ],
)
def test_malformed_node_fields_name_the_node(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        _parse_one(**fields)


def test_unknown_node_key_suggests_the_nearest_known_key() -> None:
    with pytest.raises(PipelineError) as caught:
        _parse_one(ouputs="a")

    assert caught.value.hint == "did you mean 'outputs'?"


def test_tags_may_be_a_single_string_and_description_is_kept() -> None:
    item = _parse_one(tags="cleaning", description="Cleans", code_version=2)

    assert item.tags == frozenset({"cleaning"})
    assert item.description == "Cleans"
    assert item.code_version == "2"


def test_a_node_without_a_name_is_rejected() -> None:
    with pytest.raises(PipelineError, match="a node has no `name:`"):
        parse_pipelines({"pipelines": {"p": [{"transformation": "a.b"}]}}, "p.yml")


# pipeline.yml as a whole -----------------------------------------------------------------
def test_single_pipeline_is_the_default_without_a_default_key() -> None:
    pipelines, default = parse_pipelines({"pipelines": {"only": [_yaml_node()]}}, "p.yml")

    assert default == "only"
    assert list(pipelines) == ["only"]


def test_default_must_name_a_pipeline() -> None:
    raw = {"pipelines": {"a": [_yaml_node()]}, "default": "b"}

    with pytest.raises(PipelineError, match=r"p.yml: `default: b` names no pipeline"):
        parse_pipelines(raw, "p.yml")


def test_missing_pipelines_mapping_names_the_file() -> None:
    with pytest.raises(PipelineError, match=r"p.yml has no `pipelines:` mapping"):
        parse_pipelines({"nodes": []}, "p.yml")


# The graph -------------------------------------------------------------------------------
def _chain() -> Pipeline:
    """raw -> clean -> (report, stats); ``audit`` is independent."""
    return Pipeline(
        [
            node(_f, "clean", "report", name="report", tags=["reporting"]),
            node(_f, "raw", "clean", name="clean", tags=["cleaning"]),
            node(_f, "other", "audit_log", name="audit", tags=["audit"]),
            node(_f, "clean", "stats", name="stats", tags=["reporting"]),
        ],
        name="p",
    )


def test_toposort_puts_producers_first_and_keeps_file_order_for_ties() -> None:
    order = [n.name for n in _chain().toposorted()]

    assert order == ["clean", "audit", "report", "stats"]


def test_free_inputs_are_the_datasets_nobody_produces() -> None:
    assert _chain().free_inputs() == {"raw", "other"}


def test_cycle_is_reported_as_a_path_through_the_datasets() -> None:
    pipeline = Pipeline(
        [
            node(_f, "c", "a", name="na"),
            node(_f, "a", "b", name="nb"),
            node(_f, "b", "c", name="nc"),
        ],
        name="p",
    )

    with pytest.raises(CycleError) as caught:
        pipeline.toposorted()

    message = caught.value.message
    assert message.startswith("Pipeline 'p' has a cycle: ")
    path = message.split(": ", 1)[1]
    names = [part for part in path.split(" -> ") if not part.startswith("[")]
    assert names[0] == names[-1] and sorted(set(names)) == ["na", "nb", "nc"]
    # Each step is a real data flow: the dataset between two nodes is what links them.
    assert any(
        rotation in path for rotation in ("na -> [a] -> nb", "nb -> [b] -> nc", "nc -> [c] -> na")
    )
    assert caught.value.hint


def test_a_node_reading_its_own_output_is_a_cycle() -> None:
    with pytest.raises(CycleError, match=r"loop -> \[x\] -> loop"):
        Pipeline([node(_f, "x", "x", name="loop")], name="p").toposorted()


def test_duplicate_output_names_both_producers() -> None:
    with pytest.raises(PipelineError, match=r"'clean' is produced by both node 'a' and node 'b'"):
        Pipeline([node(_f, "x", "clean", name="a"), node(_f, "y", "clean", name="b")], name="p")


def test_duplicate_node_names_are_rejected() -> None:
    with pytest.raises(PipelineError, match=r"two nodes are named 'a'"):
        Pipeline([node(_f, "x", "y", name="a"), node(_f, "y", "z", name="a")], name="p")


# Selection -------------------------------------------------------------------------------
def _names(pipeline: Pipeline) -> list[str]:
    return [n.name for n in pipeline.nodes]


def test_only_nodes_keeps_just_the_named_ones() -> None:
    assert _names(_chain().only_nodes(["stats", "audit"])) == ["audit", "stats"]


def test_from_nodes_adds_everything_downstream() -> None:
    assert _names(_chain().from_nodes(["clean"])) == ["report", "clean", "stats"]


def test_to_nodes_adds_everything_upstream() -> None:
    assert _names(_chain().to_nodes(["report"])) == ["report", "clean"]


def test_tags_select_nodes_having_any_of_them() -> None:
    assert _names(_chain().only_tags(["audit", "cleaning"])) == ["clean", "audit"]


def test_unknown_tag_lists_the_known_ones() -> None:
    with pytest.raises(PipelineError, match="tag") as caught:
        _chain().only_tags(["nope"])

    assert caught.value.hint == "known tags: audit, cleaning, reporting"


def test_unknown_node_suggests_the_nearest_name() -> None:
    with pytest.raises(PipelineError, match=r"Pipeline 'p' has no node 'claen'") as caught:
        _chain().from_nodes(["claen"])

    assert caught.value.hint == "did you mean 'clean'?"


def test_selection_filters_intersect() -> None:
    selected = select_nodes(_chain(), from_nodes=["clean"], tags=["reporting"])

    assert _names(selected) == ["report", "stats"]


def test_filters_with_an_empty_intersection_are_an_error() -> None:
    with pytest.raises(PipelineError, match="matches all of the given filters"):
        select_nodes(_chain(), nodes=["audit"], tags=["reporting"])


def test_no_filter_selects_the_whole_pipeline() -> None:
    pipeline = _chain()

    assert select_nodes(pipeline) is pipeline
