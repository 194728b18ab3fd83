"""The evaluator and planner on pipelines built in Python over real JSON files (no subprocess).

Pipeline: ``numbers`` (source file) -> scale -> ``scaled`` (in memory) -> total -> ``total``
(file) -> label -> ``report`` (file). Runs go through the Orchestrator with an AssetTracker and
an InMemoryStateStore.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aether.assets.evaluation import (
    EvaluationCache,
    ProjectView,
    evaluate,
    record_observations,
)
from aether.assets.planner import plan_stale
from aether.assets.tracking import AssetTracker
from aether.catalog import DataCatalog
from aether.datasets.json import JsonDataSet
from aether.engine.orchestrator import Orchestrator
from aether.pipeline import Pipeline, node
from aether.state.memory import InMemoryStateStore


def scale(numbers: list[int], factor: int) -> list[int]:
    return [n * factor for n in numbers]


def total(scaled: list[int]) -> dict[str, int]:
    return {"total": sum(scaled)}


def label(result: dict[str, int]) -> str:
    return "big" if result["total"] > 100 else "small"


PIPELINE = Pipeline(
    [
        node(scale, {"numbers": "numbers", "factor": "params:factor"}, "scaled"),
        node(total, {"scaled": "scaled"}, "total"),
        node(label, {"result": "total"}, "report"),
    ],
    name="numbers",
)


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = InMemoryStateStore()
        self.params: dict = {"factor": 2}
        self.write("numbers.json", [1, 2, 3])

    def write(self, name: str, data: object) -> None:
        (self.root / name).write_text(json.dumps(data))

    def catalog(self) -> DataCatalog:
        return DataCatalog(
            {
                n: JsonDataSet(filepath=str(self.root / f"{n}.json"))
                for n in ("numbers", "total", "report")
            }
        )

    def view(self, catalog: DataCatalog | None = None) -> ProjectView:
        return ProjectView(PIPELINE, catalog or self.catalog(), self.store, self.params, self.root)

    def plan(self, force: bool = False) -> dict[str, tuple[str, bool]]:
        plan = plan_stale(PIPELINE, evaluate(self.view()), force=force)
        return {p.node.name: (p.reason, p.cutoff) for p in plan.to_run}

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        found = evaluate(self.view()).statuses
        return {name: (s.status, s.reason and s.reason.text) for name, s in found.items()}

    def run(self) -> dict[str, str]:
        catalog = self.catalog()
        cache = EvaluationCache(self.view(catalog))
        plan = plan_stale(PIPELINE, evaluate(cache.project, cache=cache))
        record_observations(cache)
        tracker = AssetTracker(cache.project, cache, "run")
        result = Orchestrator(catalog, self.params, tracker=tracker).run(plan, "run")
        return {r.name: r.status for r in result.results}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_a_never_run_pipeline_plans_every_node_with_a_reason(project) -> None:
    plan = project.plan()

    assert list(plan) == ["scale", "total", "label"]
    assert plan["total"][0] == "missing: total: never materialized"
    assert plan["scale"][0] == "its in-memory output scaled is needed by total"


def test_after_a_run_everything_is_fresh_and_nothing_is_planned(project) -> None:
    assert project.run() == dict.fromkeys(["scale", "total", "label"], "succeeded")

    assert project.plan() == {}
    assert set(project.statuses().values()) == {("fresh", None)}
    assert project.run() == dict.fromkeys(["scale", "total", "label"], "fresh")


def test_force_plans_every_node(project) -> None:
    project.run()

    assert set(project.plan(force=True)) == {"scale", "total", "label"}


def test_a_new_source_version_plans_the_chain_and_marks_downstream_for_cutoff(project) -> None:
    project.run()
    project.write("numbers.json", [1, 2, 4])

    plan = project.plan()
    found = project.statuses()

    assert found["total"] == ("stale", "input scaled has a new version")
    assert found["report"] == ("stale", "upstream: total: input scaled has a new version")
    assert plan["scale"] == ("its in-memory output scaled is needed by total", False)
    assert plan["total"][1] is False
    assert plan["label"][1] is True  # runs only if total comes out different


def test_early_cutoff_skips_a_node_whose_rebuilt_input_did_not_change(project) -> None:
    project.run()
    report = (project.root / "report.json").stat().st_mtime_ns
    project.write("numbers.json", [3, 2, 1])  # a new version, the same total

    outcomes = project.run()

    assert outcomes == {"scale": "succeeded", "total": "succeeded", "label": "fresh"}
    assert (project.root / "report.json").stat().st_mtime_ns == report
    assert set(project.statuses().values()) == {("fresh", None)}


def test_touch_of_the_source_changes_nothing(project) -> None:
    project.run()
    path = project.root / "numbers.json"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))

    assert project.plan() == {}


def test_a_parameter_change_is_explained(project) -> None:
    project.run()
    project.params = {"factor": 3, "unrelated": 1}

    assert project.statuses()["total"] == ("stale", "input scaled has a new version")
    assert project.plan()["scale"][0].startswith("its in-memory output scaled")


def test_an_unrelated_parameter_changes_nothing(project) -> None:
    project.run()
    project.params = {"factor": 2, "unrelated": 1}

    assert project.plan() == {}


def test_a_deleted_output_is_gone_and_its_consumer_waits_on_it_upstream(project) -> None:
    project.run()
    (project.root / "total.json").unlink()

    found = project.statuses()

    assert found["total"] == ("missing", "the data is gone")
    assert found["report"] == ("stale", "upstream: total: the data is gone")
    assert project.plan()["label"][1] is True  # may be cut off once total is back


def test_a_deleted_output_rebuilt_identically_cuts_off_its_consumer(project) -> None:
    project.run()
    (project.root / "total.json").unlink()

    assert project.run() == {"scale": "succeeded", "total": "succeeded", "label": "fresh"}


def test_an_overdue_output_is_not_planned(project) -> None:
    catalog = project.catalog()
    project.run()
    catalog.entries.update(_freshness_entries(project, "total", {"error_after": "1h"}))

    evaluation = evaluate(project.view(catalog), now=_later(hours=2))
    plan = plan_stale(PIPELINE, evaluation)

    assert evaluation.statuses["total"].status == "stale"
    assert evaluation.statuses["total"].reason.text.startswith("overdue: data is 2h old")
    assert evaluation.statuses["report"].status == "fresh"  # overdue is not a change
    assert plan.to_run == []


def _later(hours: float) -> float:
    import time

    return time.time() + hours * 3600


def _freshness_entries(project, name: str, freshness: dict) -> dict:
    from aether.catalog import parse_entry

    raw = {"type": "JsonDataSet", "filepath": str(project.root / f"{name}.json")}
    return {name: parse_entry(name, {**raw, "freshness": freshness}, "test")}


def test_status_reads_no_content_when_no_signature_changed(project, monkeypatch) -> None:
    project.run()
    catalog = project.catalog()
    hashed: list[str] = []
    for name in ("numbers", "total", "report"):
        dataset = catalog.get(name)
        original = dataset._hash_stored_file

        def spy(signature, original=original, name=name):
            hashed.append(name)
            return original(signature)

        monkeypatch.setattr(dataset, "_hash_stored_file", spy)
    stat = (project.root / "numbers.json").stat()
    os.utime(project.root / "numbers.json", ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**10))
    first = EvaluationCache(project.view(catalog))
    evaluate(first.project, cache=first)  # the source's signature changed: hashed once,
    record_observations(first)  # then recorded
    assert hashed == ["numbers"]
    hashed.clear()

    evaluate(ProjectView(PIPELINE, catalog, project.store, project.params, project.root))

    assert hashed == []


def test_what_a_run_learns_is_its_tracker_s_and_the_evaluation_after_it_reads_it(
    project,
) -> None:
    from aether.engine.events import AssetsEvaluated, RunEvent

    events: list[RunEvent] = []

    class Collect:
        def on_event(self, event: RunEvent) -> None:
            events.append(event)

    catalog = project.catalog()
    cache = EvaluationCache(project.view(catalog))
    plan = plan_stale(PIPELINE, evaluate(cache.project, cache=cache))
    tracker = AssetTracker(cache.project, cache, "run-1")

    Orchestrator(catalog, project.params, tracker=tracker, listeners=(Collect(),)).run(
        plan, "run-1"
    )

    facts = tracker.facts
    started = facts.started
    assert set(started) == {"scale", "total", "label"}  # each node's inputs as it started
    assert started["total"].parts["inputs"]["scaled"] == f"memory:{started['scale'].fingerprint}"
    assert set(facts.heads) == {"total", "report"}  # the heads it committed, as written
    total = facts.heads["total"]
    assert total is not None and total.materialization is not None
    assert total.materialization.parts == started["total"].parts
    after = next(e for e in events if isinstance(e, AssetsEvaluated))
    assert after.statuses["total"].status == "fresh"
    assert after.statuses["total"].run_id == "run-1"
    assert after.statuses["report"].run_id == "run-1"
