"""A `RunReporter` (the four-method progress protocol) as a listener of the event stream."""

from __future__ import annotations

from aether.engine.events.types import (
    NodeFinished,
    NodeStarted,
    RunEvent,
    RunFinished,
    RunStarted,
)
from aether.engine.plan import RunReporter


class ReporterListener:
    """Forwards the events a `RunReporter` knows to its methods."""

    def __init__(self, reporter: RunReporter) -> None:
        self.reporter = reporter

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, NodeFinished):
            self.reporter.node_finished(event.result)
        elif isinstance(event, NodeStarted):
            self.reporter.node_started(event.node)
        elif isinstance(event, RunStarted):
            self.reporter.run_started(event.plan)
        elif isinstance(event, RunFinished):
            self.reporter.run_finished(event.result)
