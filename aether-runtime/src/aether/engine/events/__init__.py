"""A run's event stream: the events (`types`), handing them to listeners (`dispatch`), the
`RunResult` folded from them (`folding`) and a `RunReporter` as a listener (`reporting`).

Documented for users in ``docs/events.md``; exported from ``aether``.
"""

from __future__ import annotations

from aether.engine.events.dispatch import EventDispatcher, RunListener
from aether.engine.events.folding import RunResultBuilder
from aether.engine.events.reporting import ReporterListener
from aether.engine.events.types import (
    AssetsEvaluated,
    CheckEvaluated,
    NodeAborted,
    NodeFailed,
    NodeFinished,
    NodeLeftAlone,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    OutputsPublished,
    OutputsStaged,
    RunEvent,
    RunFinished,
    RunStarted,
)

__all__ = [
    "AssetsEvaluated",
    "CheckEvaluated",
    "EventDispatcher",
    "NodeAborted",
    "NodeFailed",
    "NodeFinished",
    "NodeLeftAlone",
    "NodeSkipped",
    "NodeStarted",
    "NodeSucceeded",
    "OutputsPublished",
    "OutputsStaged",
    "ReporterListener",
    "RunEvent",
    "RunFinished",
    "RunListener",
    "RunResultBuilder",
    "RunStarted",
]
