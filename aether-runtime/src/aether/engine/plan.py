"""What a run will do and what it did: plans, node and run results (values, never changed
once made), and the protocols the orchestrator reports to (a reporter for progress, a
tracker for the state store's side)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from aether.errors import AetherError
from aether.pipeline import Node, Pipeline
from aether.verdicts import ReasonKind, ReasonText, Word, because


class NodeStatus(Word):
    """What became of a node in a run."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABORTED = "aborted"  # stopped, not its fault
    SKIPPED = "skipped"  # not run: something upstream failed, or the run stopped first
    FRESH = "fresh"  # nothing to do (left alone by the plan, or cut off at run time)


class FrozenList(tuple[Any, ...]):
    """A tuple that also equals a list of the same items: plans and results held lists,
    and code comparing them with a list keeps working while nothing can change them."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return list(self) == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


def _frozen(value: Any, name: str, items: Any) -> None:
    """Store ``items`` on the frozen ``value`` as a FrozenList (callers may pass lists)."""
    object.__setattr__(value, name, FrozenList(items))


@dataclass(frozen=True)
class PlannedNode:
    """A node of a plan, and why it runs (or is left alone).

    Attributes:
        node: The node.
        reason: Why, in words (`"missing: total: never materialized"`, `"forced (--force)"`)
            that keep their kind: a [`ReasonText`][aether.verdicts.ReasonText], decided on
            by `reason.kind`.
        cutoff: It runs only because something upstream runs, so it is skipped if its
            inputs come out unchanged (early cutoff).
    """

    node: Node
    reason: ReasonText
    cutoff: bool = False


@dataclass(frozen=True)
class Plan:
    """What a run will do: the nodes to run and those left alone, each with a reason.

    Returned by [`dry_run()`][aether.run.chain.dry_run].
    A value: its sequences are tuples (equal to lists of the same items).

    Attributes:
        pipeline: The selected nodes.
        to_run: The nodes to run, in topological order.
        skipped: The nodes left alone (fresh), with the reason.
        blocked: The nodes not run because a source they read failed an error-level check,
            could not be read, or is missing.
    """

    pipeline: Pipeline
    to_run: Sequence[PlannedNode]
    skipped: Sequence[PlannedNode] = ()
    blocked: Sequence[PlannedNode] = ()

    def __post_init__(self) -> None:
        for name in ("to_run", "skipped", "blocked"):
            _frozen(self, name, getattr(self, name))

    @property
    def nodes(self) -> list[Node]:
        """The nodes to run, in order."""
        return [planned.node for planned in self.to_run]


@dataclass(frozen=True)
class NodeResult:
    """What became of one node in a run.

    Attributes:
        name: The node's name.
        status: What became of it.
        duration: Seconds it took.
        reason: Why it ran, or why it did not, in words that keep their kind (a
            [`ReasonText`][aether.verdicts.ReasonText]).
        error: Why it failed (a `NodeFailedError`, `DataSetError`...), or None.
        outputs: The datasets it produced.
        left_alone: Fresh and left alone by the plan (not cut off at run time): a summary
            counts these rather than listing thousands of untouched nodes.
    """

    name: str
    status: NodeStatus
    duration: float = 0.0
    reason: ReasonText | None = None
    error: AetherError | None = None
    outputs: tuple[str, ...] = ()
    left_alone: bool = False


@dataclass(frozen=True)
class RunResult:
    """What a run did: returned by [`run_pipeline()`][aether.run.chain.run_pipeline], and
    built from the run's events (see [Run events](../events.md)).

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
    results: Sequence[NodeResult]
    duration: float = 0.0
    check_failures: Sequence[str] = ()
    statuses: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _frozen(self, "results", self.results)
        _frozen(self, "check_failures", self.check_failures)
        object.__setattr__(self, "statuses", MappingProxyType(dict(self.statuses)))

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
    these four methods will do. It is adapted to a listener of the run's events (what it
    raises is logged, and the run goes on); a
    [`RunListener`][aether.engine.events.dispatch.RunListener] (`listeners=`) sees every
    event, not only these four.
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


@dataclass(frozen=True)
class NodeStart:
    """What the tracker decided before a node runs (``Tracker.start``): cut it off, with
    the reason, or run it with this fingerprint and these checks."""

    cutoff: ReasonText | None = None
    fingerprint: str | None = None
    checks: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # Each stored output's file as last recorded: (signature, content hash). A file dataset
    # that would write those very bytes again leaves the file in place (see keep_unchanged).
    in_place: Mapping[str, tuple[Mapping[str, Any], str]] = field(default_factory=dict)


RUN_IT = NodeStart()


class Tracker(Protocol):
    """The state store's side of a run (see aether.assets.tracking).

    It records by listening to the run's events (``on_event``, called before any other
    listener; what it raises fails the node, as a state store that cannot record must).
    Three calls are not events because they decide or produce something: ``start`` (run
    this node, or cut it off), ``before_nodes`` and ``after_nodes`` (checks re-run on
    stored data and the statuses after the run, which they emit as events).
    """

    def start(self, planned: PlannedNode) -> NodeStart:
        """Before a node runs: its fingerprint and checks, or a reason to cut it off."""

    def on_event(self, event: Any) -> None:
        """Record what an event says (journal the renames, commit, fail, abort)."""

    def before_nodes(self, plan: Plan, emit: Callable[[Any], None]) -> None:
        """After ``RunStarted``: emit what was done for this plan before it (checks of
        source data)."""

    def after_nodes(self, plan: Plan, emit: Callable[[Any], None]) -> None:
        """Every node finished: emit the checks re-run on stored data and the statuses."""


class NullTracker:
    """Remembers nothing: every planned node runs."""

    def start(self, planned: PlannedNode) -> NodeStart:
        return RUN_IT

    def on_event(self, event: Any) -> None:
        pass

    def before_nodes(self, plan: Plan, emit: Callable[[Any], None]) -> None:
        pass

    def after_nodes(self, plan: Plan, emit: Callable[[Any], None]) -> None:
        pass


RUN_REQUESTED = because(ReasonKind.RUN_REQUESTED)


def plan_all(pipeline: Pipeline, reason: ReasonText = RUN_REQUESTED) -> Plan:
    """The simplest plan: every selected node runs."""
    return Plan(pipeline, [PlannedNode(n, reason) for n in pipeline.toposorted()])
