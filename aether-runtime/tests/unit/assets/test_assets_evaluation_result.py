"""The evaluator returns a frozen Evaluation: nobody writes into it, and a later pass or a
node noted running during a run never changes a result already handed out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aether.assets.evaluation import AssetEvaluator
from aether.assets.planner import plan_stale
from aether.catalog import DataCatalog
from aether.datasets.json import JsonDataSet
from aether.insight.dag_view import dag_json
from aether.pipeline import Pipeline, node
from aether.state.memory import InMemoryStateStore
from aether.verdicts import ReasonKind, Status


def double(numbers: list[int]) -> list[int]:
    return [n * 2 for n in numbers]


def add(doubled: list[int]) -> int:
    return sum(doubled)


PIPELINE = Pipeline(
    [node(double, {"numbers": "numbers"}, "doubled"), node(add, {"doubled": "doubled"}, "total")],
    name="numbers",
)


@pytest.fixture
def evaluator(tmp_path: Path) -> AssetEvaluator:
    (tmp_path / "numbers.json").write_text(json.dumps([1, 2]))
    catalog = DataCatalog(
        {n: JsonDataSet(filepath=str(tmp_path / f"{n}.json")) for n in ("numbers", "total")}
    )
    return AssetEvaluator(PIPELINE, catalog, InMemoryStateStore(), {}, tmp_path, now=100.0)


def test_the_evaluation_and_its_records_cannot_be_changed(evaluator: AssetEvaluator) -> None:
    evaluation = evaluator.evaluate()

    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.now = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        evaluation.statuses["total"] = evaluation.statuses["numbers"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del evaluation.nodes["add"]  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.statuses["total"].status = Status.FRESH  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.nodes["add"].status = Status.FRESH  # type: ignore[misc]


def test_statuses_and_reasons_are_typed(evaluator: AssetEvaluator) -> None:
    evaluation = evaluator.evaluate()
    total = evaluation.statuses["total"]

    assert total.status is Status.MISSING
    assert total.reason_kind is ReasonKind.NEVER_MATERIALIZED
    assert evaluation.nodes["add"].reason is not None
    assert evaluation.nodes["add"].reason.kind is ReasonKind.ASSET
    assert str(evaluation.nodes["add"].reason) == "total: never materialized"
    assert evaluation.stored == frozenset({"numbers", "total"})
    assert evaluation.now == 100.0


def test_a_result_handed_out_does_not_follow_later_calls(evaluator: AssetEvaluator) -> None:
    first = evaluator.evaluate()
    planned = evaluator.node_state(PIPELINE.node("double"))

    evaluator.note_running(dataclasses.replace(planned, fingerprint="as read at start"))
    second = evaluator.evaluate(now=200.0)

    assert first.nodes["double"].fingerprint == planned.fingerprint
    assert first.now == 100.0 and second.now == 200.0
    assert second.statuses == first.statuses  # the same verdicts, new objects
    assert second.statuses is not first.statuses


def test_a_node_noted_running_is_what_its_in_memory_consumers_read(
    evaluator: AssetEvaluator,
) -> None:
    evaluator.evaluate()
    running = evaluator.node_state(PIPELINE.node("double"))

    evaluator.note_running(dataclasses.replace(running, fingerprint="fp-at-start"))

    assert evaluator.input_version("doubled")[0] == "memory:fp-at-start"


def test_the_planner_reads_the_evaluation_it_is_given(evaluator: AssetEvaluator) -> None:
    evaluation = evaluator.evaluate()

    plan = plan_stale(PIPELINE, evaluation)

    assert [p.node.name for p in plan.to_run] == ["double", "add"]
    assert plan.to_run[1].reason == "missing: total: never materialized"


def test_the_dag_shows_status_words_and_reasons_as_plain_text(
    evaluator: AssetEvaluator, tmp_path: Path
) -> None:
    evaluation = evaluator.evaluate()

    dag = dag_json(PIPELINE, evaluator.catalog, evaluation.statuses, evaluation.nodes, tmp_path)
    nodes = {n["id"]: n for n in json.loads(json.dumps(dag))["nodes"]}

    assert nodes["dataset:total"]["status"] == "missing"
    assert type(nodes["dataset:total"]["status"]) is str
    assert nodes["dataset:total"]["reason"] == "never materialized"
    assert nodes["task:add"]["reason"] == "total: never materialized"
    assert nodes["dataset:numbers"]["status"] == "fresh"


def test_as_dict_prints_words_exactly_as_status_json_did(evaluator: AssetEvaluator) -> None:
    shown = evaluator.evaluate().statuses["total"].as_dict()

    assert json.dumps({"status": shown["status"], "reason": shown["reason"]}) == (
        '{"status": "missing", "reason": "never materialized"}'
    )
    assert type(shown["status"]) is str and type(shown["reason"]) is str
