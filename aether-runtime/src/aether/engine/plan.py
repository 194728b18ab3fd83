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
    """A node of a plan, and why it runs (or is left alone).

    Attributes:
        node: The node.
        reason: Why, in words (`"never materialized"`, `"code changed in clean"`...).
        cutoff: It runs only because something upstream runs, so it is skipped if its
            inputs come out unchanged (early cutoff).
    """

    node: Node
    reason: str
    cutoff: bool = False


@dataclass
class Plan:
    """What a run will do: the nodes to run and those left alone, each with a reason.

    Returned by [`dry_run()`][aether.run.execution.dry_run] (and `run_pipeline(dry_run=True)`).

    Attributes:
        pipeline: The selected nodes.
        to_run: The nodes to run, in topological order.
        skipped: The nodes left alone (fresh), with the reason.
        blocked: The nodes not run because a source they read failed an error-level check.
    """

    pipeline: Pipeline
    to_run: list[PlannedNode]
    skipped: list[PlannedNode] = field(default_factory=list)
    blocked: list[PlannedNode] = field(default_factory=list)

    @property
    def nodes(self) -> list[Node]:
        """The nodes to run, in order."""
        return [planned.node for planned in self.to_run]


@dataclass
class NodeResult:
    """What became of one node in a run.

    Attributes:
        name: The node's name.
        status: What became of it.
        duration: Seconds it took.
        reason: Why it ran, or why it did not.
        error: Why it failed (a `NodeFailedError`, `DataSetError`...), or None.
        outputs: The datasets it produced.
        left_alone: Fresh and left alone by the plan (not cut off at run time): a summary
            counts these rather than listing thousands of untouched nodes.
    """

    name: str
    status: NodeStatus
    duration: float = 0.0
    reason: str | None = None
    error: AetherError | None = None
    outputs: tuple[str, ...] = ()
    left_alone: bool = False


@dataclass
class RunResult:
    """What a run did: returned by [`run_pipeline()`][aether.run.chain.run_pipeline].

    Example:
        ```python
        result = run_pipeline("path/to/project")
        if not result.succeeded:
            for failed in result.failed:
                print(failed.name, failed.error)
        ```

    Attributes:
        run_id: The run's id, as the state store and `aether status` show it.
        pipeline: The name of the pipeline that ran.
        results: One result per selected node, left alone or not.
        duration: Seconds the run took.
        check_failures: Error-level checks that failed on stored data (re-run because
            their specs are new or changed), and nodes blocked by a failing source.
        statuses: Every asset's [`AssetStatus`][aether.assets.status.AssetStatus] after the
            run, by name (empty for an untracked run).
    """

    run_id: str
    pipeline: str
    results: list[NodeResult]
    duration: float = 0.0
    check_failures: list[str] = field(default_factory=list)
    statuses: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[NodeResult]:
        """The nodes that failed."""
        return [r for r in self.results if r.status is NodeStatus.FAILED]

    @property
    def aborted(self) -> list[NodeResult]:
        """The nodes stopped through no fault of their own (a signal, a worker that died)."""
        return [r for r in self.results if r.status is NodeStatus.ABORTED]

    @property
    def succeeded(self) -> bool:
        """True when no node failed or was aborted and no error-level check failed."""
        return not self.failed and not self.aborted and not self.check_failures

    @property
    def exit_code(self) -> int:
        """The exit code `aether run` gives: 0 on success, else the failures' highest."""
        if self.succeeded:
            return 0
        return max([r.error.exit_code if r.error else 1 for r in self.failed] + [1])


class RunReporter(Protocol):
    """Receives a run's progress events; the CLI draws them, tests record them.

    Pass one as `reporter=` to [`run_pipeline()`][aether.run.chain.run_pipeline]; any object with
    these four methods will do.
    """

    def run_started(self, plan: Plan) -> None:
        """The run starts.

        Args:
            plan: What it will run and leave alone.
        """

    def node_started(self, node: Node) -> None:
        """A node starts.

        Args:
            node: The node.
        """

    def node_finished(self, result: NodeResult) -> None:
        """A node finished (succeeded, failed, aborted, skipped or cut off).

        Args:
            result: What became of it.
        """

    def run_finished(self, result: RunResult) -> None:
        """The run finished.

        Args:
            result: What it did.
        """


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
