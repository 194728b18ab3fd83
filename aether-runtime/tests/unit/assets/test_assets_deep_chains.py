"""Long chains: the evaluator, planner and lineage walk them without recursion.

Python's recursion limit is about 1,000 frames: a chain ten times longer fails any walk that
recurses per node, so these tests use 20,000 nodes (the 100,000-node CLI case is in
tests/reliability/test_staleness.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from aether.assets.evaluation import ProjectView, evaluate
from aether.assets.planner import plan_stale
from aether.catalog import DataCatalog
from aether.datasets.json import JsonDataSet
from aether.insight.lineage import lineage
from aether.pipeline import Pipeline, node
from aether.state.base import Materialization
from aether.state.memory import InMemoryStateStore

LENGTH = 20_000


def step(value: object) -> object:
    return value


def _chain(length: int = LENGTH) -> Pipeline:
    names = ["source", *(f"m{i}" for i in range(length - 1)), "result"]
    return Pipeline(
        [node(step, names[i], names[i + 1], name=f"s{i}") for i in range(length)], name="chain"
    )


def test_status_looks_through_a_long_in_memory_chain_to_the_missing_source(
    tmp_path: Path,
) -> None:
    pipeline = _chain()
    catalog = DataCatalog(
        {n: JsonDataSet(filepath=str(tmp_path / f"{n}.json")) for n in ("source", "result")}
    )
    store = InMemoryStateStore()
    project = ProjectView(pipeline, catalog, store, {}, tmp_path)
    _record_result_as_current(project, store, tmp_path)

    statuses = evaluate(project).statuses

    assert statuses["result"].status == "stale"
    assert str(statuses["result"].reason) == "upstream: source: the source data is not there"
    (tmp_path / "source.json").write_text(json.dumps([1]))
    plan = plan_stale(pipeline, evaluate(project))
    assert len(plan.to_run) == LENGTH


def _record_result_as_current(project: ProjectView, store: InMemoryStateStore, root: Path) -> None:
    """A head for ``result`` made from exactly what its producer would use now."""
    last = f"s{LENGTH - 1}"
    state = evaluate(project).nodes[last]
    (root / "result.json").write_text(json.dumps([1]))
    dataset = project.catalog.get("result")
    made = Materialization(
        asset="result",
        node=last,
        run_id="run",
        started_at=1.0,
        finished_at=2.0,
        fingerprint=state.fingerprint,
        parts=state.parts,
        version=dataset.content_hash() or "v1",
        signature=dataset.signature(),
        data_time=2.0,
    )
    store.commit_node(store.begin_attempt("run", last), [made], [])


def test_lineage_of_a_long_chain_is_complete_and_serialises() -> None:
    tree = lineage(_chain(), "result")

    data = tree.as_dict()
    depth = 0
    while "children" in data:
        data = data["children"][0]
        depth += 1
    assert depth == LENGTH
    assert data == {"dataset": "source", "node": "s0"}
    assert len(tree.walk()) == LENGTH + 1


def test_lineage_cut_at_a_depth_marks_where_it_was_cut() -> None:
    tree = lineage(_chain(), "source", downstream=True, max_depth=2)

    child = tree.children[0].children[0]
    assert (child.name, child.truncated, child.children) == ("m1", True, [])
    assert not tree.children[0].truncated


def test_lineage_json_of_any_depth_is_written_by_a_loop() -> None:
    small = lineage(_chain(3), "result")
    assert json.loads(small.to_json()) == small.as_dict()
    assert small.depth() == 3

    text = lineage(_chain(), "result").to_json()

    assert text.count('"children"') == LENGTH
    assert text.endswith('{"dataset": "source", "node": "s0"}' + "]}" * LENGTH)
