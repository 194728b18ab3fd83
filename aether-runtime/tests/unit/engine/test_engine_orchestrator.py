"""The orchestrator with fakes: an in-memory catalog and Python nodes, no project on disk."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aether.catalog import DataCatalog
from aether.datasets.memory import MemoryDataSet
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import NodeResult, Plan, RunResult, plan_all
from aether.engine.validation import check_selection, validate_pipeline
from aether.errors import CycleError, NodeFailedError, PipelineError
from aether.pipeline import Node, Pipeline, node


class RecordingReporter:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def run_started(self, plan: Plan) -> None:
        self.events.append(("run_started", plan.pipeline.name))

    def node_started(self, item: Node) -> None:
        self.events.append(("started", item.name))

    def node_finished(self, result: NodeResult) -> None:
        self.events.append((result.status, result.name))

    def run_finished(self, result: RunResult) -> None:
        self.events.append(("run_finished", result.pipeline))


def inc(x: int) -> int:
    return x + 1


def double(x: int) -> int:
    return x * 2


def fail(x: int) -> int:
    raise ValueError("bad data")


def _run(
    nodes: list[Node], catalog: DataCatalog, params: dict[str, Any] | None = None
) -> tuple[RunResult, RecordingReporter]:
    reporter = RecordingReporter()
    pipeline = Pipeline(nodes, name="p")
    result = Orchestrator(catalog, params or {}, reporter=reporter).run(plan_all(pipeline), "r1")
    return result, reporter


def test_nodes_run_in_topological_order_handing_data_over_in_memory() -> None:
    catalog = DataCatalog({"x": MemoryDataSet(1)})
    nodes = [node(double, "y", "z", name="b"), node(inc, "x", "y", name="a")]

    result, reporter = _run(nodes, catalog)

    assert result.succeeded and result.exit_code == 0
    assert [r.name for r in result.results] == ["a", "b"]
    assert catalog.load("z") == 4
    assert [e for e in reporter.events if e[0] == "started"] == [("started", "a"), ("started", "b")]
    assert reporter.events[0] == ("run_started", "p") and reporter.events[-1] == (
        "run_finished",
        "p",
    )


def test_parameters_are_passed_by_key_and_as_a_whole() -> None:
    catalog = DataCatalog({"x": MemoryDataSet(1)})

    def scale(x: int, factor: int, params: dict[str, Any]) -> tuple[int, str]:
        return x * factor, params["label"]

    item = node(
        scale,
        {"x": "x", "factor": "params:math.factor", "params": "params"},
        ["scaled", "label"],
    )
    result, _ = _run([item], catalog, {"math": {"factor": 5}, "label": "L"})

    assert result.succeeded
    assert (catalog.load("scaled"), catalog.load("label")) == (5, "L")


def test_failure_skips_downstream_while_an_independent_branch_still_runs() -> None:
    catalog = DataCatalog({"x": MemoryDataSet(1), "other": MemoryDataSet(10)})
    nodes = [
        node(fail, "x", "y", name="broken"),
        node(inc, "y", "z", name="after_broken"),
        node(double, "other", "other_out", name="independent"),
    ]

    result, _ = _run(nodes, catalog)

    statuses = {r.name: r.status for r in result.results}
    assert statuses == {"broken": "failed", "after_broken": "skipped", "independent": "succeeded"}
    assert catalog.load("other_out") == 20
    failed = result.failed[0]
    assert isinstance(failed.error, NodeFailedError)
    assert "Node 'broken' failed: ValueError: bad data" in failed.error.message
    skipped = next(r for r in result.results if r.name == "after_broken")
    assert skipped.reason == "upstream failed (y)"
    assert result.exit_code == 1


def test_list_outputs_receive_a_tuple_in_order() -> None:
    catalog = DataCatalog({"x": MemoryDataSet(3)})

    result, _ = _run([node(lambda x: (x, -x), "x", ["pos", "neg"], name="split")], catalog)

    assert result.succeeded
    assert (catalog.load("pos"), catalog.load("neg")) == (3, -3)


def test_mapping_outputs_receive_a_dict_by_key() -> None:
    catalog = DataCatalog({"x": MemoryDataSet(3)})
    item = node(lambda x: {"a": x, "b": x + 1}, "x", {"a": "first", "b": "second"}, name="m")

    result, _ = _run([item], catalog)

    assert result.succeeded
    assert (catalog.load("first"), catalog.load("second")) == (3, 4)


@pytest.mark.parametrize(
    ("returned", "outputs", "message"),
    [
        (
            (1, 2, 3),
            ["a", "b"],
            r"declares 2 outputs \['a', 'b'\] but its transformation returned 3 values",
        ),
        (7, ["a", "b"], r"declares 2 outputs .* returned one int"),
        (
            {"a": 1},
            {"a": "o1", "b": "o2"},
            r"returned keys \['a'\], expected \['a', 'b'\] \(missing \['b'\]\)",
        ),
        ({"a": 1, "c": 2}, {"a": "o1"}, r"\(unexpected \['c'\]\)"),
        ([1], {"a": "o1"}, r"declares outputs as a mapping but its transformation returned a list"),
    ],
)
def test_outputs_not_matching_the_declaration_fail_the_node_by_name(
    returned: Any, outputs: Any, message: str
) -> None:
    catalog = DataCatalog({"x": MemoryDataSet(0)})

    result, _ = _run([node(lambda x: returned, "x", outputs, name="shaper")], catalog)

    error = result.failed[0].error
    assert error is not None
    assert error.message.startswith("Node 'shaper' ")
    assert error.hint
    assert isinstance(error, PipelineError)
    assert re.search(message, error.message)
    assert result.exit_code == 2


def test_validate_reports_a_cycle_before_anything_runs() -> None:
    pipeline = Pipeline([node(inc, "b", "a", name="x"), node(inc, "a", "b", name="y")], name="p")

    with pytest.raises(CycleError):
        validate_pipeline(pipeline, DataCatalog())


def test_validate_reports_an_input_nobody_produces_with_a_suggestion() -> None:
    catalog = DataCatalog({"orders": MemoryDataSet(1)})
    pipeline = Pipeline([node(inc, "ordres", "clean", name="clean")], name="p")

    with pytest.raises(
        PipelineError, match=r"Node 'clean' reads 'ordres', which no node produces"
    ) as caught:
        validate_pipeline(pipeline, catalog)

    assert caught.value.hint == "did you mean 'orders'?"


def test_validate_checks_inputs_against_the_signature() -> None:
    catalog = DataCatalog({"x": MemoryDataSet(1)})
    pipeline = Pipeline([node(inc, {"y": "x"}, "out", name="n")], name="p")

    with pytest.raises(PipelineError, match="Node 'n': its inputs"):
        validate_pipeline(pipeline, catalog)


def test_a_selected_node_cannot_read_memory_data_from_a_node_left_out() -> None:
    full = Pipeline([node(inc, "x", "y", name="a"), node(inc, "y", "z", name="b")], name="p")

    with pytest.raises(PipelineError, match=r"'y', an in-memory dataset made by node 'a'"):
        check_selection(full.only_nodes(["b"]), full, DataCatalog({"x": MemoryDataSet(1)}))
