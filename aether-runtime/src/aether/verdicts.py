"""The words of a verdict: an asset's status and the reason for it, as types.

`Status` is what `aether status` prints (`fresh`, `stale`, `missing`, `failed`); a
`Reason` is a kind and its details, rendered to today's words only at the edge
(`str(reason)`), so code decides on kinds and never on how a message starts:

```python
reason = Reason(ReasonKind.INPUT_NEW_VERSION, {"input": "raw_orders"})
str(reason)   # "input raw_orders has a new version"
reason.kind   # ReasonKind.INPUT_NEW_VERSION
```

The values of `ReasonKind` are stored in the state database (``transitions``): never
rename one, add new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from aether.support.durations import format_age


class Word(str, Enum):
    """A string enum that prints as its value on every Python (3.12 changed ``format()`` of
    mixed-in enums), so output and JSON read exactly as plain strings did."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(Word):
    """An asset's status: a string enum, so `status == "stale"` holds for a stale one.

    `fresh`: up to date with its inputs, code and parameters; `stale`: something it is made
    from changed, or its data is overdue (see its reason); `missing`: never made, or its data
    is gone; `failed`: the last attempt to make it failed, or an error-level check failed.
    """

    FRESH = "fresh"
    STALE = "stale"
    MISSING = "missing"
    FAILED = "failed"


class ReasonKind(Word):
    """Why an asset is not fresh, or why a run runs a node or not: the kind of a
    [`Reason`][aether.verdicts.Reason].

    The value is what the state database stores: values are never renamed, only added.
    """

    SOURCE_MISSING = "source_missing"
    DATA_GONE = "data_gone"
    NEVER_MATERIALIZED = "never_materialized"
    NOT_RECORDED = "not_recorded"  # the data is there, but Aether never recorded making it
    LAST_RUN_FAILED = "last_run_failed"
    MODIFIED_OUTSIDE = "modified_outside"
    CODE_CHANGED = "code_changed"
    OPTIONS_CHANGED = "options_changed"
    PARAM_NOW_READ = "param_now_read"
    PARAM_NO_LONGER_READ = "param_no_longer_read"
    PARAM_CHANGED = "param_changed"
    INPUT_ADDED = "input_added"
    INPUT_REMOVED = "input_removed"
    INPUT_NEW_VERSION = "input_new_version"
    INPUTS_CHANGED = "inputs_changed"
    CHANGES = "changes"  # several of the changes above at once
    UPSTREAM = "upstream"
    ASSET = "asset"  # a reason of a named asset (a root cause, a node's verdict)
    CHECK_FAILED = "check_failed"
    OVERDUE = "overdue"
    UNREACHABLE = "unreachable"  # its store answered with an error (a database down, a 500)
    # Why a plan runs a node, or leaves it alone (PlannedNode.reason).
    FRESH = "fresh"
    FORCED = "forced"  # --force (details: `option`), or an untracked forced run
    RUN_REQUESTED = "run_requested"  # an untracked run runs every selected node
    VERDICT = "verdict"  # an output is not fresh: its status and reason
    SINK = "sink"  # stores nothing and feeds nobody: runs every time
    UPSTREAM_RUNS = "upstream_runs"
    NEEDED_IN_MEMORY = "needed_in_memory"  # a node that runs reads its in-memory output
    NEEDED_BY = "needed_by"  # a selected node reads its output, made in another pipeline
    SOURCE_FAILED = "source_failed"  # held back: a source it reads failed a check or is missing
    LAST_ATTEMPT_ABORTED = "last_attempt_aborted"
    # What became of a node at run time (NodeResult.reason).
    EARLY_CUTOFF = "early_cutoff"
    UPSTREAM_FAILED = "upstream_failed"
    NOT_REACHED = "not_reached"
    INTERRUPTED = "interrupted"  # a signal stopped the run
    WORKER_DIED = "worker_died"


@dataclass(frozen=True)
class Reason:
    """Why an asset (or node) is not fresh: a kind and its details, rendered by `str()`.

    Attributes:
        kind: What happened; code decides on this, never on the words.
        details: What the words need (`input`, `key`, `old`, `new`...), read-only.

    Example:
        ```python
        reason = Reason(ReasonKind.INPUT_NEW_VERSION, {"input": "raw_orders"})
        str(reason)  # "input raw_orders has a new version"
        ```
    """

    kind: ReasonKind
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A read-only copy: a reason is a value, shared between statuses and nodes.
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def __reduce__(self) -> tuple[type[Reason], tuple[ReasonKind, dict[str, Any]]]:
        # A read-only mapping cannot be pickled: a remembered evaluation (aether.assets.memo)
        # stores the details as a dict, made read-only again when read back.
        return (Reason, (self.kind, dict(self.details)))

    @property
    def text(self) -> str:
        """The reason in words, as ``aether status`` and ``aether run`` show it."""
        return _RENDER[self.kind](self.details)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def of_asset(cls, asset: str, reason: Reason) -> Reason:
        """`reason` of `asset` (shown `asset: reason`).

        Args:
            asset: The asset the reason belongs to.
            reason: Its reason.
        """
        return cls(ReasonKind.ASSET, {"asset": asset, "reason": reason})

    @classmethod
    def joined(cls, reasons: Iterable[Reason]) -> Reason:
        """One reason for several changes (shown joined by `; `); a single one as itself.

        Args:
            reasons: At least one reason.
        """
        items = tuple(reasons)
        return items[0] if len(items) == 1 else cls(ReasonKind.CHANGES, {"reasons": items})

    @property
    def parts(self) -> tuple[Reason, ...]:
        """The changes a `ReasonKind.CHANGES` reason joins; else this reason alone."""
        return tuple(self.details["reasons"]) if self.kind is ReasonKind.CHANGES else (self,)


class ReasonText(str):
    """A reason in words that keeps its kind: what a plan's nodes and a run's results hold.

    It is the text `str(reason)` gives, so output, JSON and comparisons read the words as
    before; code decides on `kind` (and `details`), never on the words.

    Example:
        ```python
        why = because(ReasonKind.UPSTREAM_RUNS, node="clean")
        why == "upstream node clean runs"   # True
        why.kind                            # ReasonKind.UPSTREAM_RUNS
        ```
    """

    reason: Reason

    def __new__(cls, reason: Reason) -> ReasonText:
        made = super().__new__(cls, reason.text)
        made.reason = reason
        return made

    # str's own returns its text; a ReasonText is rebuilt from its Reason.
    def __getnewargs__(self) -> tuple[Reason]:  # type: ignore[override]
        return (self.reason,)

    @property
    def kind(self) -> ReasonKind:
        """What happened (see `ReasonKind`)."""
        return self.reason.kind

    @property
    def details(self) -> Mapping[str, Any]:
        """What the words are made from, read-only."""
        return self.reason.details


def because(kind: ReasonKind, **details: Any) -> ReasonText:
    """A `ReasonText` of `kind` with these details.

    Args:
        kind: What happened.
        **details: What its words need.
    """
    return ReasonText(Reason(kind, details))


def _param_changed(details: Mapping[str, Any]) -> str:
    if "old" not in details:
        return f"parameter {details['key']} changed (value too large to show)"
    return f"parameter {details['key']} changed from {details['old']} to {details['new']}"


def _code_changed(details: Mapping[str, Any]) -> str:
    return f"code changed in {details['node']}" if details.get("node") else "code changed"


def _overdue(details: Mapping[str, Any]) -> str:
    age, limit = format_age(details["age"]), format_age(details["error_after"])
    return f"overdue: data is {age} old (error_after {limit})"


def _needed_by(details: Mapping[str, Any]) -> str:
    status = details.get("status")
    why = "is held in memory" if status is None else f"is {status} ({details['reason']})"
    return (
        f"needed by {details['consumer']}: {details['dataset']} {why}; "
        f"made in pipeline {details['pipelines']}"
    )


def _verdict_word(status: Any) -> str:
    """A plan's reason to run a node is its status; "failed" alone, shown beside a node that
    succeeded in this run, reads as a new failure: it is the last run's."""
    if status == Status.FAILED:
        return "failed last time"
    return status.value if isinstance(status, Status) else str(status)


_RENDER: dict[ReasonKind, Callable[[Mapping[str, Any]], str]] = {
    ReasonKind.SOURCE_MISSING: lambda d: "the source data is not there",
    ReasonKind.DATA_GONE: lambda d: "the data is gone",
    ReasonKind.NEVER_MATERIALIZED: lambda d: "never materialized",
    ReasonKind.NOT_RECORDED: lambda d: "never materialized by Aether",
    ReasonKind.LAST_RUN_FAILED: lambda d: d.get("error") or "the last run failed",
    ReasonKind.MODIFIED_OUTSIDE: lambda d: "output modified outside Aether",
    ReasonKind.CODE_CHANGED: _code_changed,
    ReasonKind.OPTIONS_CHANGED: lambda d: "options changed",
    ReasonKind.PARAM_NOW_READ: lambda d: f"parameter {d['key']} is now read ({d['value']})",
    ReasonKind.PARAM_NO_LONGER_READ: lambda d: f"parameter {d['key']} is no longer read",
    ReasonKind.PARAM_CHANGED: _param_changed,
    ReasonKind.INPUT_ADDED: lambda d: f"input {d['input']} was added",
    ReasonKind.INPUT_REMOVED: lambda d: f"input {d['input']} was removed",
    ReasonKind.INPUT_NEW_VERSION: lambda d: f"input {d['input']} has a new version",
    ReasonKind.INPUTS_CHANGED: lambda d: "inputs changed",
    ReasonKind.CHANGES: lambda d: "; ".join(str(r) for r in d["reasons"]),
    ReasonKind.UPSTREAM: lambda d: f"upstream: {d['cause']}",
    ReasonKind.ASSET: lambda d: f"{d['asset']}: {d['reason']}",
    ReasonKind.CHECK_FAILED: lambda d: f"check {d['check']} failed: {d['message']}",
    ReasonKind.OVERDUE: _overdue,
    ReasonKind.UNREACHABLE: lambda d: f"cannot be read: {d['error']}",
    ReasonKind.FRESH: lambda d: "fresh",
    ReasonKind.FORCED: lambda d: "forced (--force)" if d.get("option") else "forced",
    ReasonKind.RUN_REQUESTED: lambda d: "run requested",
    ReasonKind.VERDICT: lambda d: f"{_verdict_word(d['status'])}: {d['reason']}",
    ReasonKind.SINK: lambda d: "stores no output (runs every time)",
    ReasonKind.UPSTREAM_RUNS: lambda d: f"upstream node {d['node']} runs",
    ReasonKind.NEEDED_IN_MEMORY: (
        lambda d: f"its in-memory output {d['dataset']} is needed by {d['consumer']}"
    ),
    ReasonKind.NEEDED_BY: _needed_by,
    ReasonKind.SOURCE_FAILED: lambda d: (
        f"source {d['source']} is missing: {d['reason']}"
        if d.get("status") == "missing"
        else f"source {d['source']} failed: {d['reason']}"
    ),
    ReasonKind.LAST_ATTEMPT_ABORTED: lambda d: f"its last attempt was aborted; {d['reason']}",
    ReasonKind.EARLY_CUTOFF: lambda d: "early cutoff: its inputs came out unchanged",
    ReasonKind.UPSTREAM_FAILED: lambda d: f"upstream failed ({d['input']})",
    ReasonKind.NOT_REACHED: lambda d: "not run: the run stopped before it",
    ReasonKind.INTERRUPTED: lambda d: f"interrupted by {d['signal']}",
    ReasonKind.WORKER_DIED: lambda d: (
        "aborted: a worker process of the run stopped abruptly (os._exit, a crash or out of "
        "memory), which stopped every node running at the time; it runs again next time"
    ),
}
