"""What ``aether status`` shows of an asset and a node: the status words and the records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aether.checks import CheckSpec
from aether.state.base import CheckResult

FRESH, STALE, MISSING, FAILED = "fresh", "stale", "missing", "failed"


@dataclass
class AssetStatus:
    """The status of one asset, as ``aether status`` shows it."""

    name: str
    status: str
    reason: str | None = None
    node: str | None = None  # producer; None for a source
    version: str | None = None
    last_materialized: float | None = None
    run_id: str | None = None
    data_time: float | None = None
    root_cause: str | None = None
    warnings: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    checks_pending: list[CheckSpec] = field(default_factory=list)
    overdue: bool = False

    @property
    def is_source(self) -> bool:
        return self.node is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "node": self.node,
            "source": self.is_source,
            "version": self.version,
            "last_materialized": _iso(self.last_materialized),
            "run_id": self.run_id,
            "data_time": _iso(self.data_time),
            "warnings": self.warnings,
            "checks": [
                {"check": c.check, "severity": c.severity, "passed": c.passed, "message": c.message}
                for c in self.checks
            ],
        }


@dataclass
class NodeState:
    """What a node's outputs would be made from now, and whether they need rebuilding."""

    name: str
    parts: dict[str, Any]
    fingerprint: str
    data_time: float | None
    status: str = FRESH
    reason: str | None = None
    # Stale only because something upstream is: rebuilding it may change nothing (cutoff).
    upstream_only: bool = False


@dataclass
class Observation:
    """A source's current version, and the observation to record if it is new."""

    version: str | None
    data_time: float | None
    record: tuple[str, dict[str, Any] | None, float] | None = None


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")
