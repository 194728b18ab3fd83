"""A run is a stream of frozen events, emitted in order; the state recorder, the progress
and the run's result are listeners of it, and a broken listener breaks nothing."""

from __future__ import annotations

import dataclasses
import logging
import pickle
import signal
from pathlib import Path

import pytest

from aether import (
    AssetsEvaluated,
    CheckEvaluated,
    NodeFailed,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    OutputsPublished,
    OutputsStaged,
    RunEvent,
    RunFinished,
    RunStarted,
)
from aether.catalog import DataCatalog
from aether.datasets.memory import MemoryDataSet
from aether.engine.events import NodeAborted, RunResultBuilder
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import plan_all
from aether.errors import CheckFailedError, NodeFailedError, RunInterrupted
from aether.pipeline import Pipeline, node
from aether.run import RunRequest, dry_run, run_pipeline
from aether.state.base import CheckResult
from aether.support.redaction import register
from aether.verdicts import ReasonKind, Status


class Recorder:
    def __init__(self) -> None:
        self.events: list[RunEvent] = []

    def on_event(self, event: RunEvent) -> None:
        self.events.append(event)


def _boom_first(text: str) -> str:
    """The fixture project with ``double`` failing (``total`` reads what it makes)."""
    double = (
        "transformation: mini.nodes.double\n        inputs: {rows: numbers, factor: params:factor}"
    )
    assert double in text
    return text.replace(double, "transformation: mini.nodes.boom\n        inputs: {rows: numbers}")


def _about(event: RunEvent) -> str | None:
    """The name of the node an event is about, if any."""
    return event.node.name if isinstance(event, NodeStarted) else getattr(event, "node", None)


def _of(events: list[RunEvent], name: str) -> list[str]:
    """The names of the events about node ``name``, in order."""
    return [type(event).__name__ for event in events if _about(event) == name]


def test_a_successful_run_emits_its_events_in_order(make_project) -> None:
    recorder = Recorder()

    result = run_pipeline(make_project("ok"), listeners=[recorder])

    events = recorder.events
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert events[-1].result is result and result.succeeded
    for name in ("double", "total"):
        assert _of(events, name) == [
            "NodeStarted",
            "OutputsStaged",
            "OutputsPublished",
            "NodeSucceeded",
        ]
    names = [type(e).__name__ for e in events]
    assert names.index("NodeSucceeded") < names.index("NodeStarted", 2)  # topological
    assert isinstance(events[-2], AssetsEvaluated)
    assert events[-2].statuses["total"].status is Status.FRESH
    assert {e.run_id for e in events} == {result.run_id}
    assert [e.at for e in events] == sorted(e.at for e in events)
    started = next(e for e in events if isinstance(e, NodeStarted))
    assert started.reason.kind is ReasonKind.VERDICT
    assert str(started.reason) == "missing: doubled: never materialized"


def test_events_are_frozen_values(make_project) -> None:
    recorder = Recorder()

    result = run_pipeline(make_project("frozen"), listeners=[recorder])

    published = next(e for e in recorder.events if isinstance(e, OutputsPublished))
    with pytest.raises(dataclasses.FrozenInstanceError):
        published.node = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        published.versions["doubled"] = "forged"  # type: ignore[index]
    with pytest.raises(TypeError):
        published.signatures["doubled"]["size"] = 0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.results[0].status = "failed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.results.append(result.results[0])  # type: ignore[attr-defined]
    plan = recorder.events[0].plan  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.to_run = []


def test_the_result_is_the_fold_of_the_events(make_project) -> None:
    recorder = Recorder()

    result = run_pipeline(make_project("fold"), listeners=[recorder])

    builder = RunResultBuilder(result.run_id)
    for event in recorder.events[:-1]:
        builder.on_event(event)
    again = builder.result(result.duration)
    assert again == result


def test_a_failing_node_emits_failed_and_its_downstream_skipped(make_project) -> None:
    root = make_project("failing", pipeline=_boom_first)
    recorder = Recorder()

    result = run_pipeline(root, listeners=[recorder])

    assert _of(recorder.events, "double") == ["NodeStarted", "NodeFailed"]
    assert _of(recorder.events, "total") == ["NodeSkipped"]
    failed = next(e for e in recorder.events if isinstance(e, NodeFailed))
    assert failed.result.error is not None and "boom on purpose" in failed.result.error.message
    skipped = next(e for e in recorder.events if isinstance(e, NodeSkipped))
    assert skipped.result.reason is not None
    assert skipped.result.reason.kind is ReasonKind.UPSTREAM_FAILED
    assert skipped.result.reason == "upstream failed (doubled)"
    assert isinstance(recorder.events[-1], RunFinished) and not result.succeeded


def test_a_failing_check_emits_its_result_and_publishes_nothing(make_project) -> None:
    checked = "  checks:\n    - {check: range, column: n, max: 1}\n"
    root = make_project(
        "check",
        catalog=lambda text: text.replace(
            "filepath: data/02_intermediate/doubled.csv\n",
            "filepath: data/02_intermediate/doubled.csv\n" + checked,
        ),
    )
    recorder = Recorder()

    result = run_pipeline(root, listeners=[recorder])

    assert _of(recorder.events, "double") == ["NodeStarted", "CheckEvaluated", "NodeFailed"]
    check = next(e for e in recorder.events if isinstance(e, CheckEvaluated))
    assert not check.result.passed and check.result.asset == "doubled"
    assert not check.on_stored_data
    assert not (root / "data/02_intermediate/doubled.csv").exists()
    assert [r.name for r in result.failed] == ["double"]
    assert _of(recorder.events, "total") == ["NodeSkipped"]


def test_a_fresh_node_gets_no_event_and_the_plan_says_why(make_project) -> None:
    root = make_project("noop")
    run_pipeline(root)
    recorder = Recorder()

    result = run_pipeline(root, listeners=[recorder])

    assert [type(e) for e in recorder.events] == [RunStarted, AssetsEvaluated, RunFinished]
    plan = recorder.events[0].plan  # type: ignore[attr-defined]
    assert [(p.node.name, p.reason.kind) for p in plan.skipped] == [
        ("double", ReasonKind.FRESH),
        ("total", ReasonKind.FRESH),
    ]
    assert [r.status for r in result.results] == ["fresh", "fresh"]


class Broken:
    def __init__(self) -> None:
        self.calls = 0

    def on_event(self, event: RunEvent) -> None:
        self.calls += 1
        raise RuntimeError("listener down; token s3cr3t-listener-token")


def test_a_raising_listener_breaks_neither_the_run_nor_its_record(
    make_project, caplog: pytest.LogCaptureFixture
) -> None:
    register("s3cr3t-listener-token")
    root = make_project("broken_listener")
    broken, recorder = Broken(), Recorder()

    with caplog.at_level(logging.DEBUG, logger="aether.run"):
        result = run_pipeline(root, listeners=[broken, recorder])

    assert result.succeeded
    assert broken.calls == len(recorder.events) > 5  # called for every event, still
    assert isinstance(recorder.events[-1], RunFinished)  # the next listener saw everything
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "RuntimeError: listener down" in warnings[0]
    assert "s3cr3t-listener-token" not in caplog.text
    again = dry_run(RunRequest(root))
    assert again.to_run == []  # the state store recorded the run


def test_a_raising_reporter_is_contained_too(make_project) -> None:
    class BrokenReporter:
        def run_started(self, plan: object) -> None:
            raise RuntimeError("reporter down")

        def node_started(self, node: object) -> None:
            raise RuntimeError("reporter down")

        def node_finished(self, result: object) -> None:
            raise RuntimeError("reporter down")

        def run_finished(self, result: object) -> None:
            raise RuntimeError("reporter down")

    result = run_pipeline(make_project("broken_reporter"), reporter=BrokenReporter())

    assert result.succeeded


def test_each_node_gets_exactly_one_last_event(make_project) -> None:
    root = make_project("one_last", pipeline=_boom_first)
    recorder = Recorder()

    result = run_pipeline(root, listeners=[recorder])

    finished = [e.node for e in recorder.events if isinstance(e, NodeFinished)]
    assert sorted(finished) == sorted(r.name for r in result.results) == ["double", "total"]
    assert not any(isinstance(e, NodeSucceeded) for e in recorder.events)
    assert not any(isinstance(e, OutputsStaged) for e in recorder.events)


def test_the_plan_reasons_are_typed_and_read_as_before(make_project, tmp_path: Path) -> None:
    root = make_project("reasons")

    forced = dry_run(RunRequest(root), force=True)
    untracked = dry_run(RunRequest(root), track=False)

    assert [(p.reason.kind, str(p.reason)) for p in forced.to_run] == [
        (ReasonKind.FORCED, "forced (--force)"),
        (ReasonKind.FORCED, "forced (--force)"),
    ]
    assert untracked.to_run[0].reason.kind is ReasonKind.RUN_REQUESTED
    assert untracked.to_run[0].reason == "run requested"


def _stopped_by_sigterm(x: int) -> int:
    raise RunInterrupted(signal.SIGTERM)  # what the CLI's signal handler raises


def test_a_signal_ends_the_stream_with_the_running_node_aborted() -> None:
    recorder = Recorder()
    pipeline = Pipeline(
        [node(lambda x: x + 1, "x", "y", name="first"),
         node(_stopped_by_sigterm, "y", "z", name="slow"),
         node(lambda z: z, "z", "w", name="after")], name="p",
    )  # fmt: skip
    orchestrator = Orchestrator(DataCatalog({"x": MemoryDataSet(1)}), {}, listeners=[recorder])

    with pytest.raises(RunInterrupted):
        orchestrator.run(plan_all(pipeline), "r1")

    assert [(type(e).__name__, _about(e)) for e in recorder.events] == [
        ("RunStarted", None),
        ("NodeStarted", "first"),
        ("NodeSucceeded", "first"),
        ("NodeStarted", "slow"),
        ("NodeAborted", "slow"),
    ]
    aborted = recorder.events[-1]
    assert isinstance(aborted, NodeAborted) and aborted.result.reason is not None
    assert aborted.result.reason.kind is ReasonKind.INTERRUPTED
    assert aborted.result.reason == "interrupted by SIGTERM"


def test_what_a_failure_carries_is_typed_and_survives_a_worker_pipe() -> None:
    """A worker sends its error back pickled: the check results and the traceback text
    come back as the error's own attributes, nothing glued on."""
    results = (CheckResult("doubled", "range(n)", "error", False, "2 rows above 1", 1.0, "h"),)
    error = CheckFailedError("check failed", "fix", check_results=results)
    checked = pickle.loads(pickle.dumps(error))
    failed = pickle.loads(pickle.dumps(NodeFailedError("node failed", "fix", details="Traceback")))

    assert checked.check_results == results and checked.hint == "fix"
    assert failed.details == "Traceback" and failed.message == "node failed"
    assert NodeFailedError("no traceback").details is None
