"""Which status changes are recorded, and which of them are worth an alert."""

from __future__ import annotations

from aether.assets.status import AssetStatus
from aether.assets.tracking import record_transitions
from aether.state.memory import InMemoryStateStore
from aether.verdicts import Reason, ReasonKind, Status


def _failed(error: str) -> Reason:
    return Reason(ReasonKind.LAST_RUN_FAILED, {"error": error})


def test_an_asset_first_seen_missing_is_recorded_but_not_alerted() -> None:
    store = InMemoryStateStore()

    news = record_transitions(
        store, [AssetStatus("report", Status.MISSING, Reason(ReasonKind.NEVER_MATERIALIZED))], 1.0
    )

    assert news == []
    assert [t.status for t in store.transitions("report")] == ["missing"]


def test_an_asset_that_goes_missing_after_being_fresh_is_alerted() -> None:
    store = InMemoryStateStore()
    record_transitions(store, [AssetStatus("report", Status.FRESH)], 1.0)

    news = record_transitions(
        store, [AssetStatus("report", Status.MISSING, Reason(ReasonKind.DATA_GONE))], 2.0
    )

    assert [(t.asset, t.status) for t in news] == [("report", "missing")]


def test_a_first_failure_is_alerted() -> None:
    store = InMemoryStateStore()

    news = record_transitions(store, [AssetStatus("report", Status.FAILED, _failed("boom"))], 1.0)

    assert [t.status for t in news] == ["failed"]
