"""What a run will do and what it did: plans, node and run results, and the protocols the
orchestrator reports to (a reporter for progress, a tracker for the state store's side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from aether.engine.execution import NodeOutcome, NodeTask
from aether.errors import AetherError
from aether.pipeline import Node, Pipeline
from aether.verdicts import Word


class NodeStatus(Word):
    """What became of a node in a run."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABORTED = "aborted"  # stopped, not its fault
    SKIPPED = "skipped"  # not run: something upstream failed, or the run stopped first
    FRESH = "fresh"  # nothing to do (left alone by the plan, or cut off at run time)


@dataclass(frozen=True)
class PlannedNode:
    """A node the run will execute, and why. ``cutoff``: it runs only because something
    upstream runs, so it is skipped if its inputs come out unchanged (early cutoff)."""

    node: Node
    reason: str
    cutoff: bool = False


@dataclass
class Plan:
    """The nodes to run (in topological order) and those left alone, each with a reason."""

    pipeline: Pipeline
    to_run: list[PlannedNode]
    skipped: list[PlannedNode] = field(default_factory=list)
    # Not run because a source they read failed an error-level check.
    blocked: list[PlannedNode] = field(default_factory=list)

    @property
    def nodes(self) -> list[Node]:
        return [planned.node for planned in self.to_run]


@dataclass
class NodeResult:
    name: str
    status: NodeStatus
    duration: float = 0.0
    reason: str | None = None
    error: AetherError | None = None
    outputs: tuple[str, ...] = ()
    # Fresh and left alone by the plan (not cut off at run time): a summary counts these
    # rather than listing thousands of untouched nodes.
    left_alone: bool = False


@dataclass
class RunResult:
    run_id: str
    pipeline: str
    results: list[NodeResult]
    duration: float = 0.0
    # Checks re-run on stored data (new or changed specs) that failed at error level.
    check_failures: list[str] = field(default_factory=list)
    # Asset statuses after the run (aether.assets.status.AssetStatus by name), when tracked.
    statuses: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[NodeResult]:
        return [r for r in self.results if r.status is NodeStatus.FAILED]

    @property
    def aborted(self) -> list[NodeResult]:
        return [r for r in self.results if r.status is NodeStatus.ABORTED]

    @property
    def succeeded(self) -> bool:
        return not self.failed and not self.aborted and not self.check_failures

    @property
    def exit_code(self) -> int:
        if self.succeeded:
            return 0
        return max([r.error.exit_code if r.error else 1 for r in self.failed] + [1])


class RunReporter(Protocol):
    """Receives progress events; the CLI draws them, tests record them."""

    def run_started(self, plan: Plan) -> None: ...

    def node_started(self, node: Node) -> None: ...

    def node_finished(self, result: NodeResult) -> None: ...

    def run_finished(self, result: RunResult) -> None: ...


class Tracker(Protocol):
    """Records what a run does (the state store's side); see aether.assets.tracking."""

    def start(self, planned: PlannedNode, task: NodeTask) -> str | None:
        """Fill ``task`` before it runs; return a reason instead to skip the node (cutoff)."""

    def publishing(self, node: Node, outcome: NodeOutcome) -> None:
        """Journal the renames about to happen, so a crash among them can be repaired."""

    def succeeded(self, node: Node, outcome: NodeOutcome) -> None: ...

    def failed(self, node: Node, error: AetherError) -> None: ...

    def aborted(self, node: Node, reason: str) -> None:
        """The node was stopped through no fault of its own (signal, a worker died)."""


class NullTracker:
    """Remembers nothing: every planned node runs."""

    def start(self, planned: PlannedNode, task: NodeTask) -> str | None:
        return None

    def publishing(self, node: Node, outcome: NodeOutcome) -> None:
        pass

    def succeeded(self, node: Node, outcome: NodeOutcome) -> None:
        pass

    def failed(self, node: Node, error: AetherError) -> None:
        pass

    def aborted(self, node: Node, reason: str) -> None:
        pass


class SilentReporter:
    def run_started(self, plan: Plan) -> None:
        pass

    def node_started(self, node: Node) -> None:
        pass

    def node_finished(self, result: NodeResult) -> None:
        pass

    def run_finished(self, result: RunResult) -> None:
        pass


def plan_all(pipeline: Pipeline, reason: str = "run requested") -> Plan:
    """The simplest plan: every selected node runs."""
    return Plan(pipeline, [PlannedNode(n, reason) for n in pipeline.toposorted()])
