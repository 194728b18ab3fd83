"""Durations (freshness, --window, --interval) and history/downtime arithmetic."""

from __future__ import annotations

import pytest

from aether.errors import ConfigError
from aether.insight.status_report import history
from aether.state.base import Transition
from aether.support.durations import format_age, parse_duration
from aether.verdicts import ReasonKind, Status

NOW = 1_000_000.0
HOUR = 3600.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172800), ("1w", 604800), (" 1.5h ", 5400)],
)
def test_durations_have_a_number_and_a_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_plain_number_is_seconds_and_none_is_no_limit() -> None:
    assert parse_duration(90) == 90.0
    assert parse_duration(None) is None


@pytest.mark.parametrize(
    "text", ["soon", "1y", "h", "1 hour", "-1h", True, float("nan"), float("inf"), -5]
)
def test_a_duration_that_is_not_understood_names_the_asset_and_the_fix(text: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_duration(text, "daily_revenue", "conf/base/catalog.yml")

    assert "daily_revenue" in caught.value.message
    assert "conf/base/catalog.yml" in caught.value.message
    assert "30m, 1h" in caught.value.hint


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5s"), (59, "59s"), (60, "1m"), (7200, "2h"), (172800, "2d")]
)
def test_ages_are_shown_in_their_largest_unit(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


def _t(
    asset: str, status: str, at: float, reason: str | None = None, kind: ReasonKind | None = None
) -> Transition:
    return Transition(asset, Status(status), reason, at, kind)


def test_a_closed_incident_counts_from_going_down_to_recovering() -> None:
    records = history(
        [
            _t("a", "fresh", NOW - 10 * HOUR),
            _t("a", "failed", NOW - 5 * HOUR, "boom"),
            _t("a", "fresh", NOW - 2 * HOUR),
        ],
        window=24 * HOUR,
        now=NOW,
    )

    record = records["a"]
    assert [(i.status, i.reason, i.started, i.ended) for i in record.incidents] == [
        ("failed", "boom", NOW - 5 * HOUR, NOW - 2 * HOUR)
    ]
    assert record.downtime == 3 * HOUR
    assert record.mean_time_to_recover == 3 * HOUR


def test_an_open_incident_runs_until_now_and_has_no_recovery_time() -> None:
    record = history([_t("a", "missing", NOW - HOUR)], window=24 * HOUR, now=NOW)["a"]

    assert record.incidents[0].ended is None
    assert record.downtime == HOUR
    assert record.mean_time_to_recover is None


def test_downtime_is_clipped_to_the_window() -> None:
    records = history(
        [
            _t("a", "failed", NOW - 30 * HOUR),
            _t("a", "fresh", NOW - 25 * HOUR),  # ended before the window: not counted
            _t("a", "failed", NOW - 4 * HOUR),
        ],
        window=24 * HOUR,
        now=NOW,
    )

    assert records["a"].downtime == 4 * HOUR
    assert len(records["a"].incidents) == 1


def test_an_incident_that_started_before_the_window_counts_only_inside_it() -> None:
    records = history(
        [_t("a", "failed", NOW - 30 * HOUR), _t("a", "fresh", NOW - 20 * HOUR)],
        window=24 * HOUR,
        now=NOW,
    )

    assert records["a"].downtime == 4 * HOUR


def test_overdue_counts_as_down_but_plain_staleness_does_not() -> None:
    records = history(
        [
            _t("a", "stale", NOW - 4 * HOUR, "input raw has a new version"),
            _t("a", "fresh", NOW - 3 * HOUR),
            _t("a", "stale", NOW - 2 * HOUR, "overdue: data is 2d old", ReasonKind.OVERDUE),
        ],
        window=24 * HOUR,
        now=NOW,
    )

    assert records["a"].downtime == 2 * HOUR
    assert [i.status for i in records["a"].incidents] == ["stale"]


def test_assets_are_kept_apart_and_transitions_may_come_unsorted() -> None:
    records = history(
        [
            _t("b", "fresh", NOW - HOUR),
            _t("a", "fresh", NOW - HOUR),
            _t("b", "failed", NOW - 3 * HOUR),
        ],
        window=24 * HOUR,
        now=NOW,
    )

    assert records["a"].downtime == 0
    assert records["b"].downtime == 2 * HOUR
    assert records["b"].as_dict()["incidents"][0]["seconds"] == 2 * HOUR
