"""What `aether status` shows of an asset and a node: frozen records of one evaluation.

The status words and reasons are types (`aether.verdicts`), rendered to words only in
`AssetStatus.as_dict()` and by whoever prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from aether.checks import CheckSpec
from aether.pipeline import Pipeline
from aether.state.base import CheckResult
from aether.verdicts import Reason, ReasonKind, Status


@dataclass(frozen=True)
class AssetStatus:
    """The status of one asset, as `aether status` shows it.

    `root_cause` names the asset where the trouble starts (`raw: the source data is
    not there`): this asset's own reason, or `upstream_cause` when the trouble is upstream.

    Attributes:
        name: The dataset's name.
        status: Fresh, stale, missing or failed.
        reason: Why it is not fresh (None when fresh); `str(reason)` gives the words.
        node: The node that produces it; None for a source.
        version: The version Aether recorded (a content hash or a signature digest).
        last_materialized: When it was last written (seconds since the epoch), if known.
        run_id: The run that last wrote it.
        data_time: How recent its data is: for a source, when its current version was
            first seen; for a produced asset, the oldest data time among its inputs.
        upstream_cause: The reason of the asset upstream where the trouble starts.
        warnings: Warnings in words (a warn-level check that failed, data getting old).
        checks: The latest results of its data-quality checks.
        checks_pending: Checks whose spec is new or changed, not yet run on this version.
        overdue: Its data is older than its `freshness: error_after`.
        as_last_observed: Set when the verdict rests on Aether's last observation of the
            data rather than a look at it now (data too costly to read for `aether status`,
            here or upstream): why, in words. A run reads it and may judge otherwise.
    """

    name: str
    status: Status
    reason: Reason | None = None
    node: str | None = None
    version: str | None = None
    last_materialized: float | None = None
    run_id: str | None = None
    data_time: float | None = None
    upstream_cause: Reason | None = None
    warnings: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    checks_pending: tuple[CheckSpec, ...] = ()
    overdue: bool = False
    as_last_observed: str | None = None

    @property
    def is_source(self) -> bool:
        """Whether no node produces it (it comes from outside the project)."""
        return self.node is None

    @property
    def verdict(self) -> str:
        """The status in words, qualified when it rests on the last observation only."""
        if self.as_last_observed is None or self.status is not Status.FRESH:
            return _WORDS[self.status]
        return f"{self.status.value} (as last observed: cannot tell cheaply)"

    @property
    def reason_kind(self) -> ReasonKind | None:
        """The kind of its reason, for code that decides on it; None when fresh."""
        return None if self.reason is None else self.reason.kind

    @property
    def root_cause(self) -> Reason | None:
        """Where the trouble starts, shown ``asset: reason``; None when fresh."""
        if self.upstream_cause is not None:
            return self.upstream_cause
        return None if self.reason is None else Reason.of_asset(self.name, self.reason)

    def judged(self, status: Status, reason: Reason) -> AssetStatus:
        """This record with its own verdict (so it is its own root cause).

        Args:
            status: The new status.
            reason: Why.
        """
        return replace(self, status=status, reason=reason, upstream_cause=None)

    def as_dict(self) -> dict[str, Any]:
        """The record as `aether status --json` prints it (times in ISO 8601, UTC)."""
        return {
            "name": self.name,
            "status": self.status.value,
            "reason": None if self.reason is None else self.reason.text,
            # Added keys (older readers ignore them): whether the verdict was observed now.
            "verdict": self.verdict,
            "observed": "now" if self.as_last_observed is None else "as_last_observed",
            "observed_note": self.as_last_observed,
            "node": self.node,
            "source": self.is_source,
            "version": self.version,
            "last_materialized": _iso(self.last_materialized),
            "run_id": self.run_id,
            "data_time": _iso(self.data_time),
            "warnings": list(self.warnings),
            "checks": [
                {"check": c.check, "severity": c.severity, "passed": c.passed, "message": c.message}
                for c in self.checks
            ],
        }


@dataclass(frozen=True)
class NodeState:
    """What a node's outputs would be made from now, and whether they need rebuilding
    (``reason``: the first unwell output's, shown ``asset: reason``)."""

    name: str
    parts: dict[str, Any]
    fingerprint: str
    data_time: float | None
    status: Status = Status.FRESH
    reason: Reason | None = None
    # Stale only because something upstream is: rebuilding it may change nothing (cutoff).
    upstream_only: bool = False


@dataclass
class Observation:
    """A source's current version, and the observation to record if it is new."""

    version: str | None
    data_time: float | None
    # Set when the version is the last one recorded, not checked now (a look that may not
    # read all of the data): what to tell the user about it.
    unverified: str | None = None
    # Something about the observation the user should know (a data time recorded in the
    # future and set back).
    warning: str | None = None


# An enum's .value is a descriptor lookup: ten times a dict's, for 10,000 rows of status.
_WORDS = {status: status.value for status in Status}


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Evaluation:
    """The result of one evaluation pass, read-only: every asset's status and every node's
    state, judged at one moment.

    Attributes:
        pipeline: The pipeline evaluated (the union of the project's pipelines).
        stored: The catalog-declared datasets (the others live in memory).
        statuses: Every asset's status by name, sources and produced ones, in run order.
        nodes: Every node's state by name.
        now: The moment of the verdicts (seconds since the epoch).
    """

    pipeline: Pipeline
    stored: frozenset[str]
    statuses: Mapping[str, AssetStatus]
    nodes: Mapping[str, NodeState]
    now: float

    def __post_init__(self) -> None:
        # Read-only copies: the evaluator keeps working on its own dicts during a run.
        object.__setattr__(self, "statuses", MappingProxyType(dict(self.statuses)))
        object.__setattr__(self, "nodes", MappingProxyType(dict(self.nodes)))
