"""A run stopped by a signal, and nodes that try to stop the process, seen by the orchestrator."""

from __future__ import annotations

import signal
import sys

import pytest

from aether.catalog import DataCatalog
from aether.datasets.memory import MemoryDataSet
from aether.engine.events import NodeAborted, NodeFailed, NodeSucceeded
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import NullTracker, plan_all
from aether.errors import RunInterrupted
from aether.pipeline import Pipeline, node


class RecordingTracker(NullTracker):
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def on_event(self, event: object) -> None:
        if isinstance(event, NodeSucceeded):
            self.events.append(("succeeded", event.node, ""))
        elif isinstance(event, NodeFailed):
            assert event.result.error is not None
            self.events.append(("failed", event.node, event.result.error.message))
        elif isinstance(event, NodeAborted):
            self.events.append(("aborted", event.node, str(event.result.reason)))


def inc(x: int) -> int:
    return x + 1


def stopped_by_sigterm(x: int) -> int:
    raise RunInterrupted(signal.SIGTERM)  # what the CLI's signal handler raises


def calls_exit(x: int) -> int:
    sys.exit(3)


def raises_keyboard_interrupt(x: int) -> int:
    raise KeyboardInterrupt


def _orchestrator() -> tuple[Orchestrator, RecordingTracker]:
    tracker = RecordingTracker()
    catalog = DataCatalog({"x": MemoryDataSet(1)})
    return Orchestrator(catalog, {}, tracker=tracker), tracker


def test_a_signal_aborts_the_running_node_and_goes_through() -> None:
    orchestrator, tracker = _orchestrator()
    pipeline = Pipeline(
        [node(inc, "x", "y", name="first"), node(stopped_by_sigterm, "y", "z", name="slow"),
         node(inc, "z", "w", name="after")], name="p",
    )  # fmt: skip

    with pytest.raises(RunInterrupted) as stop:
        orchestrator.run(plan_all(pipeline), "r1")

    assert stop.value.exit_code == 143 and stop.value.signal_name == "SIGTERM"
    assert stop.value.aborted == ["slow"]
    assert tracker.events == [
        ("succeeded", "first", ""),
        ("aborted", "slow", "interrupted by SIGTERM"),
    ]


@pytest.mark.parametrize(
    ("func", "how"),
    [(calls_exit, "called sys.exit(3)"), (raises_keyboard_interrupt, "raised KeyboardInterrupt")],
)
def test_a_node_that_exits_fails_alone_and_the_run_goes_on(func, how) -> None:
    orchestrator, tracker = _orchestrator()
    pipeline = Pipeline(
        [node(func, "x", "y", name="quitter"), node(inc, "x", "other", name="independent")],
        name="p",
    )

    result = orchestrator.run(plan_all(pipeline), "r1")

    statuses = sorted((r.name, r.status) for r in result.results)
    assert statuses == [("independent", "succeeded"), ("quitter", "failed")]
    assert result.exit_code == 1
    assert ("failed", "quitter", f"Node 'quitter' {how} instead of returning its outputs") in (
        tracker.events
    )
