"""What can still turn an asset whose fingerprint matches unwell: failed checks and age.

Pure functions over a frozen :class:`~aether.assets.status.AssetStatus`: each returns the
record judged anew (an error-level check failure makes it ``failed``; data older than
``error_after`` makes it ``stale``, overdue) or with warnings added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from aether.assets.status import AssetStatus
from aether.checks import CheckSpec
from aether.state.base import CheckResult
from aether.support.durations import format_age, parse_duration
from aether.verdicts import Reason, ReasonKind, Status


def apply_checks(
    status: AssetStatus,
    specs: Sequence[CheckSpec],
    latest: Iterable[CheckResult],
    *,
    valid_since: float | None,
) -> AssetStatus:
    """Current check results decide; a result older than the data it should judge
    (``valid_since``: when this version appeared) does not count: the check is pending."""
    by_spec = {r.spec_hash: r for r in latest}
    results, pending = [], []
    for spec in specs:
        result = by_spec.get(spec.spec_hash)
        if result is not None and valid_since is not None and result.checked_at < valid_since:
            result = None
        if result is None:
            pending.append(spec)
        else:
            results.append(result)
    status = replace(status, checks=tuple(results), checks_pending=tuple(pending))
    for result in (r for r in results if not r.passed):
        if result.severity == "error" and status.status is Status.FRESH:
            details = {"check": result.check, "message": result.message}
            status = status.judged(Status.FAILED, Reason(ReasonKind.CHECK_FAILED, details))
        else:
            warning = f"check {result.check}: {result.message}"
            status = replace(status, warnings=(*status.warnings, warning))
    return status


def apply_freshness(
    status: AssetStatus, freshness: Mapping[str, Any], where: str, *, now: float
) -> AssetStatus:
    """Overdue past ``error_after`` (stale), a warning past ``warn_after``; ages are
    measured on data time, at ``now``."""
    if status.data_time is None:
        return status
    age = now - status.data_time
    error_after = parse_duration(freshness.get("error_after"), status.name, where)
    warn_after = parse_duration(freshness.get("warn_after"), status.name, where)
    if error_after is not None and age > error_after:
        reason = Reason(ReasonKind.OVERDUE, {"age": age, "error_after": error_after})
        return replace(status.judged(Status.STALE, reason), overdue=True)
    if warn_after is not None and age > warn_after:
        warning = f"data is {format_age(age)} old (warn_after {format_age(warn_after)})"
        return replace(status, warnings=(*status.warnings, warning))
    return status
