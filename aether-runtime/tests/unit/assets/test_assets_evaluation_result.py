"""`evaluate` returns a frozen Evaluation: nobody writes into it, and a later pass or a
node started during a run never changes a result already handed out. What a run learned
is passed in as data (`RunFacts`), never written into the evaluation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aether.assets.evaluation import (
    EvaluationCache,
    ProjectView,
    RunFacts,
    evaluate,
    state_at_start,
)
from aether.assets.planner import plan_stale
from aether.catalog import DataCatalog
from aether.datasets.json import JsonDataSet
from aether.insight.dag_view import dag_json
from aether.pipeline import Pipeline, node
from aether.state.base import Head, HeadStatus, Materialization
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
def project(tmp_path: Path) -> ProjectView:
    (tmp_path / "numbers.json").write_text(json.dumps([1, 2]))
    catalog = DataCatalog(
        {n: JsonDataSet(filepath=str(tmp_path / f"{n}.json")) for n in ("numbers", "total")}
    )
    return ProjectView(PIPELINE, catalog, InMemoryStateStore(), {}, tmp_path)


def test_the_evaluation_and_its_records_cannot_be_changed(project: ProjectView) -> None:
    evaluation = evaluate(project, now=100.0)

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


def test_statuses_and_reasons_are_typed(project: ProjectView) -> None:
    evaluation = evaluate(project, now=100.0)
    total = evaluation.statuses["total"]

    assert total.status is Status.MISSING
    assert total.reason_kind is ReasonKind.NEVER_MATERIALIZED
    assert evaluation.nodes["add"].reason is not None
    assert evaluation.nodes["add"].reason.kind is ReasonKind.ASSET
    assert str(evaluation.nodes["add"].reason) == "total: never materialized"
    assert evaluation.stored == frozenset({"numbers", "total"})
    assert evaluation.now == 100.0


def test_a_result_handed_out_does_not_follow_later_calls(project: ProjectView) -> None:
    cache, facts = EvaluationCache(project), RunFacts()
    first = evaluate(project, facts, cache=cache, now=100.0)
    planned = state_at_start(cache, facts, PIPELINE.node("double"), first)

    facts.node_started(dataclasses.replace(planned, fingerprint="as read at start"))
    second = evaluate(project, facts, cache=cache, now=200.0)

    assert first.nodes["double"].fingerprint == planned.fingerprint
    assert first.now == 100.0 and second.now == 200.0
    assert second.statuses == first.statuses  # the same verdicts, new objects
    assert second.statuses is not first.statuses


def test_a_started_node_is_what_its_in_memory_consumers_read(project: ProjectView) -> None:
    cache, facts = EvaluationCache(project), RunFacts()
    basis = evaluate(project, facts, cache=cache, now=100.0)
    running = state_at_start(cache, facts, PIPELINE.node("double"), basis)

    facts.node_started(dataclasses.replace(running, fingerprint="fp-at-start"))
    consumer = state_at_start(cache, facts, PIPELINE.node("add"), basis)

    assert consumer.parts["inputs"]["doubled"] == "memory:fp-at-start"
    assert basis.nodes["double"].fingerprint == running.fingerprint  # the basis is unchanged


def test_evaluate_is_a_function_of_what_it_is_given(project: ProjectView) -> None:
    facts = RunFacts()
    fields = (project.pipeline, project.catalog, project.store, dict(project.params))

    first = evaluate(project, facts, now=100.0)
    again = evaluate(project, facts, now=100.0)  # a new cache: nothing carried over
    cache = EvaluationCache(project)
    warm = [evaluate(project, facts, cache=cache, now=100.0) for _ in range(2)]

    assert first == again == warm[0] == warm[1]
    assert first is not again
    assert facts == RunFacts()  # read, never written
    assert (project.pipeline, project.catalog, project.store, dict(project.params)) == fields
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.assets = frozenset()  # type: ignore[misc]


def test_the_heads_a_run_wrote_are_the_evaluation_s_without_reading_them_back(
    project: ProjectView, tmp_path: Path
) -> None:
    cache, facts = EvaluationCache(project), RunFacts()
    before = evaluate(project, facts, cache=cache, now=100.0)
    state = state_at_start(cache, facts, PIPELINE.node("add"), before)
    facts.node_started(state)
    total = project.catalog.get("total")
    total.save(6)
    made = Materialization(
        asset="total",
        node="add",
        run_id="run-1",
        started_at=100.0,
        finished_at=101.0,
        fingerprint=state.fingerprint,
        parts=state.parts,
        version=total.content_hash() or "v",
        signature=total.signature(),
        data_time=100.0,
    )

    facts.wrote({"total": Head("total", HeadStatus.OK, made, None, 101.0)})  # not in the store
    after = evaluate(project, facts, cache=cache, now=102.0)

    assert before.statuses["total"].status is Status.MISSING
    assert after.statuses["total"].status is Status.FRESH
    assert after.statuses["total"].run_id == "run-1"
    assert after.nodes["add"].parts == state.parts  # its inputs as the node read them
    assert project.store.heads(["total"]) == {}  # the evaluation wrote nothing back
    assert evaluate(project, now=102.0).statuses["total"].status is Status.MISSING


def test_the_planner_reads_the_evaluation_it_is_given(project: ProjectView) -> None:
    evaluation = evaluate(project, now=100.0)

    plan = plan_stale(PIPELINE, evaluation)

    assert [p.node.name for p in plan.to_run] == ["double", "add"]
    assert plan.to_run[1].reason == "missing: total: never materialized"


def test_the_dag_shows_status_words_and_reasons_as_plain_text(
    project: ProjectView, tmp_path: Path
) -> None:
    evaluation = evaluate(project, now=100.0)

    dag = dag_json(PIPELINE, project.catalog, evaluation.statuses, evaluation.nodes, tmp_path)
    nodes = {n["id"]: n for n in json.loads(json.dumps(dag))["nodes"]}

    assert nodes["dataset:total"]["status"] == "missing"
    assert type(nodes["dataset:total"]["status"]) is str
    assert nodes["dataset:total"]["reason"] == "never materialized"
    assert nodes["task:add"]["reason"] == "total: never materialized"
    assert nodes["dataset:numbers"]["status"] == "fresh"


def test_as_dict_prints_words_exactly_as_status_json_did(project: ProjectView) -> None:
    shown = evaluate(project, now=100.0).statuses["total"].as_dict()

    assert json.dumps({"status": shown["status"], "reason": shown["reason"]}) == (
        '{"status": "missing", "reason": "never materialized"}'
    )
    assert type(shown["status"]) is str and type(shown["reason"]) is str


def test_a_cache_serves_the_project_it_was_made_for_only(project: ProjectView) -> None:
    other = ProjectView(project.pipeline, project.catalog, project.store, {}, project.path)

    with pytest.raises(ValueError, match="another project"):
        evaluate(other, cache=EvaluationCache(project))
