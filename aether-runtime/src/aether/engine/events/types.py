"""The events of a run: frozen values the orchestrator emits, in the parent process.

Every event carries the run's id and the time it happened (``time.time()``). Nothing in an
event can change: sequences are tuples, mappings read-only. What an event refers to (a
plan, a node, a result) is a value too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from aether.datasets.base import Staged
from aether.engine.plan import NodeResult, Plan, RunResult
from aether.pipeline import Node
from aether.state.base import CheckResult, Transition
from aether.verdicts import ReasonText


def _read_only(value: Any, *names: str) -> None:
    """Make the named mappings of ``value`` read-only views. Not copies: an event is made
    once per step of a run (thousands per run), from mappings the run no longer changes."""
    for name in names:
        mapping = getattr(value, name)
        if not isinstance(mapping, MappingProxyType):
            object.__setattr__(value, name, MappingProxyType(mapping))


@dataclass(frozen=True)
class RunEvent:
    """What every event carries.

    Attributes:
        run_id: The run's id, as the state store and `aether status` show it.
        at: When it happened (seconds since the epoch, `time.time()`).
    """

    run_id: str
    at: float


@dataclass(frozen=True)
class RunStarted(RunEvent):
    """The run starts: always the first event.

    The plan names the nodes the run leaves alone (`plan.skipped`, fresh) and holds back
    (`plan.blocked`): they get no event of their own (a no-op run of 10,000 fresh nodes
    emits two events), and the `RunResult` lists them from the plan.

    Attributes:
        plan: What the run will run, leave alone and hold back, each node with its reason.
    """

    plan: Plan


@dataclass(frozen=True)
class NodeStarted(RunEvent):
    """A planned node starts (its inputs are about to be read).

    Attributes:
        node: The node.
        reason: Why it runs.
    """

    node: Node
    reason: ReasonText


@dataclass(frozen=True)
class CheckEvaluated(RunEvent):
    """A data-quality check ran.

    Attributes:
        node: The node whose output it checked before publishing; None for a check re-run
            on stored data (its spec is new or changed, or a source has new data).
        result: The check's result (asset, check, severity, passed, message).
    """

    node: str | None
    result: CheckResult

    @property
    def on_stored_data(self) -> bool:
        """Re-run on data already stored, not on a node's new output."""
        return self.node is None


@dataclass(frozen=True)
class _NodeOutputs(RunEvent):
    """What `OutputsStaged` and `OutputsPublished` share.

    Attributes:
        node: The node.
        outputs: Its stored outputs (those written aside and those saved in place).
        versions: Each output's version (its content hash, else `fingerprint:<hash>`).
        signatures: Each output's physical signature (size, mtime, inode; an ETag), or None.
        read_versions: The version of each stored input as the node read it, where its
            dataset could tell.
        fingerprint: The node's fingerprint the outputs were made under, if tracked.
        columns: Each output's columns (name, dtype) as the node returned it, where the
            data had a schema (a DataFrame, an Arrow table).
    """

    node: str
    outputs: tuple[str, ...]
    versions: Mapping[str, str]
    signatures: Mapping[str, Any]
    read_versions: Mapping[str, str]
    fingerprint: str | None
    columns: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, kw_only=True)

    def __post_init__(self) -> None:
        _read_only(self, "versions", "read_versions", "columns")
        # A signature is a small dict: read-only too.
        signatures = {
            name: None if signature is None else MappingProxyType(signature)
            for name, signature in self.signatures.items()
        }
        object.__setattr__(self, "signatures", MappingProxyType(signatures))


@dataclass(frozen=True)
class OutputsStaged(_NodeOutputs):
    """A node's outputs are written, the stageable ones aside, complete and about to be
    renamed into place (versions and signatures are the staged copies').

    Emitted when at least one output was staged (files, objects, tables that stage); a
    dataset that cannot stage saves in place, before this event.

    Attributes:
        staged: Each staged output's copy (where it is, its signature and content hash).
    """

    staged: Mapping[str, Staged]

    def __post_init__(self) -> None:
        super().__post_init__()
        _read_only(self, "staged")


@dataclass(frozen=True)
class OutputsPublished(_NodeOutputs):
    """A node's stored outputs are in place, every one of them (versions and signatures
    are those of the data in place). Not emitted for a node that stores nothing."""


@dataclass(frozen=True)
class NodeFinished(RunEvent):
    """What became of a node; one of the five kinds below is emitted, once per node.

    Attributes:
        result: What became of it (status, reason, duration, error, outputs).
    """

    result: NodeResult

    @property
    def node(self) -> str:
        """The node's name."""
        return self.result.name


@dataclass(frozen=True)
class NodeSucceeded(NodeFinished):
    """The node ran and its outputs are published (after `OutputsPublished`)."""


@dataclass(frozen=True)
class NodeLeftAlone(NodeFinished):
    """Planned, but cut off when it was about to start: its inputs came out unchanged
    (early cutoff). Nodes the plan leaves alone get no event (see `RunStarted`)."""


@dataclass(frozen=True)
class NodeFailed(NodeFinished):
    """The node failed: its error is `result.error`; nothing it staged was published."""


@dataclass(frozen=True)
class NodeSkipped(NodeFinished):
    """Not run: an input it reads was not made (`upstream_failed`), or the run stopped
    before reaching it (`not_reached`); see `result.reason.kind`."""


@dataclass(frozen=True)
class NodeAborted(NodeFinished):
    """Stopped through no fault of its own: a signal (`interrupted`) or a worker process
    that died (`worker_died`); see `result.reason.kind`. It runs again next time."""


@dataclass(frozen=True)
class AssetsEvaluated(RunEvent):
    """A tracked run's every asset status after its nodes, and the changes recorded.

    Attributes:
        statuses: Every asset's `AssetStatus`, by name.
        transitions: The status changes recorded in the history that are worth an alert.
    """

    statuses: Mapping[str, Any]
    transitions: tuple[Transition, ...] = ()

    def __post_init__(self) -> None:
        _read_only(self, "statuses")


@dataclass(frozen=True)
class RunFinished(RunEvent):
    """The run finished: always the last event (a run stopped by a signal has none).

    Attributes:
        result: What the run did, built from the events before this one.
    """

    result: RunResult
