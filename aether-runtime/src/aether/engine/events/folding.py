"""The run's result, folded from its events: a listener, so `RunResult` says only what the
events said."""

from __future__ import annotations

from typing import Any

from aether.engine.events.types import (
    AssetsEvaluated,
    CheckEvaluated,
    NodeFinished,
    RunEvent,
    RunStarted,
)
from aether.engine.plan import NodeResult, NodeStatus, Plan, RunResult
from aether.verdicts import ReasonKind, ReasonText


class RunResultBuilder:
    """Folds a run's events into its `RunResult` (call `result()` once the nodes are done)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.plan: Plan | None = None
        self.results: dict[str, NodeResult] = {}
        self.check_failures: list[str] = []
        self.statuses: dict[str, Any] = {}
        self._blocked_said = False

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, CheckEvaluated):
            self._checked(event)
            return
        if isinstance(event, RunStarted):
            self.plan = event.plan
            return
        # Failures found before the nodes (source checks) come first, then what was held
        # back because of them, then what the checks after the nodes found.
        self._say_blocked()
        if isinstance(event, NodeFinished):
            self.results[event.result.name] = event.result
        elif isinstance(event, AssetsEvaluated):
            self.statuses = dict(event.statuses)

    def _checked(self, event: CheckEvaluated) -> None:
        check = event.result
        if event.on_stored_data and not check.passed and check.severity == "error":
            self.check_failures.append(
                f"check {check.check} on '{check.asset}' failed (re-run on stored data): "
                f"{check.message}"
            )

    def _say_blocked(self) -> None:
        if self._blocked_said or self.plan is None:
            return
        self._blocked_said = True
        missing = [p.node.name for p in self.plan.blocked if _on_a_missing_source(p.reason)]
        failed = [p.node.name for p in self.plan.blocked if p.node.name not in missing]
        if failed:
            self.check_failures.append(
                f"not run because a source they read failed: {', '.join(failed)}"
            )
        if missing:
            self.check_failures.append(
                f"not run because a source they read is missing: {', '.join(missing)} "
                "(add its data, or fix its filepath in the catalog; `aether status` shows it)"
            )

    def result(self, duration: float) -> RunResult:
        """What the run did: the plan's fresh and held-back nodes, then each planned node
        in order."""
        plan = self.plan
        assert plan is not None, "no RunStarted event"
        self._say_blocked()
        results = [
            NodeResult(p.node.name, NodeStatus.FRESH, reason=p.reason, left_alone=True)
            for p in plan.skipped
        ]
        results += [
            NodeResult(p.node.name, NodeStatus.SKIPPED, reason=p.reason) for p in plan.blocked
        ]
        results += [self.results[n.name] for n in plan.nodes if n.name in self.results]
        return RunResult(
            self.run_id,
            plan.pipeline.name,
            results,
            duration,
            check_failures=self.check_failures,
            statuses=self.statuses,
        )


def _on_a_missing_source(reason: ReasonText) -> bool:
    """Whether a held-back node waits for a source's data, rather than for a failed check."""
    details = reason.reason.details
    return reason.kind is ReasonKind.SOURCE_FAILED and details.get("status") == "missing"
