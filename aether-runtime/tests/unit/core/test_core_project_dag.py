"""The project's DAG: the union of its pipelines, with shared nodes and conflicts."""

from __future__ import annotations

import pytest

from aether.errors import PipelineError
from aether.pipeline import Pipeline, node
from aether.project.dag import ALL_PIPELINES, pipelines_of, union_of


def _fn(*args: object) -> object:
    return args


PREP = Pipeline([node(_fn, "raw", "clean", name="cleaning")], name="prep")
REPORT = Pipeline([node(_fn, "clean", "report", name="reporting")], name="report")


def test_one_pipeline_is_its_own_union() -> None:
    assert union_of({"prep": PREP}) is PREP


def test_the_union_knows_every_producer_so_no_produced_dataset_is_a_source() -> None:
    project = union_of({"prep": PREP, "report": REPORT})

    assert project.name == ALL_PIPELINES
    assert project.producers == {"clean": "cleaning", "report": "reporting"}
    assert project.free_inputs() == {"raw"}
    assert REPORT.free_inputs() == {"clean"}  # a pipeline alone would call it a source


def test_a_node_shared_by_two_pipelines_appears_once() -> None:
    both = Pipeline([*PREP.nodes, *REPORT.nodes], name="both")

    project = union_of({"prep": PREP, "both": both})

    assert [n.name for n in project.nodes] == ["cleaning", "reporting"]
    assert pipelines_of({"prep": PREP, "both": both})["cleaning"] == ["prep", "both"]


def test_one_name_with_two_definitions_is_refused_naming_what_differs() -> None:
    other = Pipeline([node(_fn, "raw", "clean", name="cleaning", tags=["x"])], name="other")

    with pytest.raises(PipelineError, match="'cleaning' is defined differently") as caught:
        union_of({"prep": PREP, "other": other}, "conf/base/pipeline.yml")

    assert "'prep' and 'other'" in caught.value.message
    assert "tags" in caught.value.message
    assert caught.value.message.startswith("conf/base/pipeline.yml")


def test_two_producers_of_one_dataset_across_pipelines_are_refused() -> None:
    again = Pipeline([node(_fn, "raw", "clean", name="recleaning")], name="again")

    with pytest.raises(PipelineError, match="produced by node 'cleaning'") as caught:
        union_of({"prep": PREP, "again": again})

    assert "node 'recleaning' (pipeline 'again')" in caught.value.message
    assert caught.value.exit_code == 2
