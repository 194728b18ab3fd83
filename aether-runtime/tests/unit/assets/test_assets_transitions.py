"""Which status changes are recorded, and which of them are worth an alert."""

from __future__ import annotations

from aether.assets.status import AssetStatus
from aether.assets.tracking import record_transitions
from aether.state.memory import InMemoryStateStore


def test_an_asset_first_seen_missing_is_recorded_but_not_alerted() -> None:
    store = InMemoryStateStore()

    news = record_transitions(store, [AssetStatus("report", "missing", "never materialized")], 1.0)

    assert news == []
    assert [t.status for t in store.transitions("report")] == ["missing"]


def test_an_asset_that_goes_missing_after_being_fresh_is_alerted() -> None:
    store = InMemoryStateStore()
    record_transitions(store, [AssetStatus("report", "fresh")], 1.0)

    news = record_transitions(store, [AssetStatus("report", "missing", "the data is gone")], 2.0)

    assert [(t.asset, t.status) for t in news] == [("report", "missing")]


def test_a_first_failure_is_alerted() -> None:
    store = InMemoryStateStore()

    news = record_transitions(store, [AssetStatus("report", "failed", "boom")], 1.0)

    assert [t.status for t in news] == ["failed"]
