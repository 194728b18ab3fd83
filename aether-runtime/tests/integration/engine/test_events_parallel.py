"""With worker processes, the run's events still arrive in the parent, in order, and the
state store records the run as the sequential runner does."""

from __future__ import annotations

import os
import threading

from aether import NodeFailed, NodeSkipped, NodeStarted, RunEvent, RunFinished, RunStarted
from aether.run import run_pipeline

BRANCHES = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: doubled}
        outputs: total
      - name: broken
        transformation: mini.nodes.boom
        inputs: {rows: numbers}
        outputs: broken_out
      - name: after_broken
        transformation: mini.nodes.passthrough
        inputs: {rows: broken_out}
        outputs: after_out
default: main
"""


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[RunEvent, int, int]] = []

    def on_event(self, event: RunEvent) -> None:
        self.events.append((event, os.getpid(), threading.get_ident()))


def _about(event: RunEvent) -> str | None:
    return event.node.name if isinstance(event, NodeStarted) else getattr(event, "node", None)


def test_events_of_worker_processes_arrive_in_the_parent_in_order(make_project) -> None:
    root = make_project("parallel_events", pipeline=BRANCHES)
    recorder = Recorder()

    result = run_pipeline(root, runner="parallel", max_workers=2, listeners=[recorder])

    events = [event for event, _, _ in recorder.events]
    assert {(pid, thread) for _, pid, thread in recorder.events} == {
        (os.getpid(), threading.get_ident())
    }
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert events[-1].result is result
    for name in ("double", "total"):
        assert [type(e).__name__ for e in events if _about(e) == name] == [
            "NodeStarted",
            "OutputsStaged",
            "OutputsPublished",
            "NodeSucceeded",
        ]
    kinds = [(type(e).__name__, _about(e)) for e in events]
    assert kinds.index(("NodeSucceeded", "double")) < kinds.index(("NodeStarted", "total"))
    assert [type(e).__name__ for e in events if _about(e) == "broken"] == [
        "NodeStarted",
        "NodeFailed",
    ]
    failed = next(e for e in events if isinstance(e, NodeFailed))
    assert failed.result.error is not None and "boom on purpose" in failed.result.error.message
    skipped = next(e for e in events if isinstance(e, NodeSkipped))
    assert (
        skipped.node == "after_broken" and skipped.result.reason == "upstream failed (broken_out)"
    )
    statuses = {r.name: r.status for r in result.results}
    assert statuses == {
        "double": "succeeded",
        "total": "succeeded",
        "broken": "failed",
        "after_broken": "skipped",
    }
    assert result.statuses["total"].status == "fresh"
