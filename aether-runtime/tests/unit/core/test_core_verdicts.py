"""Statuses and reasons are types: string enums that print as today's words, and reasons
(kind + details) rendered to the exact text the CLI and the docs show."""

from __future__ import annotations

import dataclasses
import json

import pytest

from aether.engine.plan import NodeStatus
from aether.state.base import HeadStatus
from aether.verdicts import Reason, ReasonKind, Status

GONE = Reason(ReasonKind.SOURCE_MISSING)

# Every kind, with details as the evaluator fills them, and the words it showed before
# reasons were typed.
RENDERED = [
    (Reason(ReasonKind.SOURCE_MISSING), "the source data is not there"),
    (Reason(ReasonKind.DATA_GONE), "the data is gone"),
    (Reason(ReasonKind.NEVER_MATERIALIZED), "never materialized"),
    (Reason(ReasonKind.NOT_RECORDED), "never materialized by Aether"),
    (Reason(ReasonKind.LAST_RUN_FAILED, {"error": "boom in clean"}), "boom in clean"),
    (Reason(ReasonKind.LAST_RUN_FAILED, {"error": None}), "the last run failed"),
    (Reason(ReasonKind.MODIFIED_OUTSIDE), "output modified outside Aether"),
    (Reason(ReasonKind.CODE_CHANGED, {"node": "clean"}), "code changed in clean"),
    (Reason(ReasonKind.CODE_CHANGED, {"node": None}), "code changed"),
    (Reason(ReasonKind.OPTIONS_CHANGED), "options changed"),
    (
        Reason(ReasonKind.PARAM_NOW_READ, {"key": "fx.rate", "value": "1.1"}),
        "parameter fx.rate is now read (1.1)",
    ),
    (Reason(ReasonKind.PARAM_NO_LONGER_READ, {"key": "gone"}), "parameter gone is no longer read"),
    (
        Reason(ReasonKind.PARAM_CHANGED, {"key": "a.b", "old": "10", "new": "20"}),
        "parameter a.b changed from 10 to 20",
    ),
    (
        Reason(ReasonKind.PARAM_CHANGED, {"key": "big"}),
        "parameter big changed (value too large to show)",
    ),
    (Reason(ReasonKind.INPUT_ADDED, {"input": "y"}), "input y was added"),
    (Reason(ReasonKind.INPUT_REMOVED, {"input": "x"}), "input x was removed"),
    (
        Reason(ReasonKind.INPUT_NEW_VERSION, {"input": "raw_orders"}),
        "input raw_orders has a new version",
    ),
    (Reason(ReasonKind.INPUTS_CHANGED), "inputs changed"),
    (
        Reason.joined(
            [Reason(ReasonKind.CODE_CHANGED, {"node": "n"}), Reason(ReasonKind.OPTIONS_CHANGED)]
        ),
        "code changed in n; options changed",
    ),
    (
        Reason(ReasonKind.UPSTREAM, {"cause": Reason.of_asset("raw", GONE)}),
        "upstream: raw: the source data is not there",
    ),
    (Reason.of_asset("raw", GONE), "raw: the source data is not there"),
    (
        Reason(ReasonKind.CHECK_FAILED, {"check": "not_null(id)", "message": "2 nulls"}),
        "check not_null(id) failed: 2 nulls",
    ),
    (
        Reason(ReasonKind.OVERDUE, {"age": 7200.0, "error_after": 3600.0}),
        "overdue: data is 2h old (error_after 1h)",
    ),
    (
        Reason(ReasonKind.UNREACHABLE, {"error": "Dataset 'orders': cannot connect to db:5432"}),
        "cannot be read: Dataset 'orders': cannot connect to db:5432",
    ),
    # Why a plan runs a node or not, and what became of it in a run.
    (Reason(ReasonKind.FRESH), "fresh"),
    (Reason(ReasonKind.FORCED, {"option": "--force"}), "forced (--force)"),
    (Reason(ReasonKind.FORCED), "forced"),
    (Reason(ReasonKind.RUN_REQUESTED), "run requested"),
    (
        Reason(
            ReasonKind.VERDICT, {"status": Status.MISSING, "reason": Reason.of_asset("t", GONE)}
        ),
        "missing: t: the source data is not there",
    ),
    (
        Reason(
            ReasonKind.VERDICT,
            {"status": Status.FAILED, "reason": Reason(ReasonKind.LAST_RUN_FAILED, {"error": "x"})},
        ),
        "failed last time: x",
    ),
    (Reason(ReasonKind.SINK), "stores no output (runs every time)"),
    (Reason(ReasonKind.UPSTREAM_RUNS, {"node": "clean"}), "upstream node clean runs"),
    (
        Reason(ReasonKind.NEEDED_IN_MEMORY, {"dataset": "scaled", "consumer": "total"}),
        "its in-memory output scaled is needed by total",
    ),
    (
        Reason(
            ReasonKind.NEEDED_BY,
            {"consumer": "report", "dataset": "m", "pipelines": "prep", "status": None},
        ),
        "needed by report: m is held in memory; made in pipeline prep",
    ),
    (
        Reason(
            ReasonKind.NEEDED_BY,
            {
                "consumer": "report",
                "dataset": "clean",
                "pipelines": "prep, nightly",
                "status": Status.STALE,
                "reason": Reason(ReasonKind.OPTIONS_CHANGED),
            },
        ),
        "needed by report: clean is stale (options changed); made in pipeline prep, nightly",
    ),
    (
        Reason(ReasonKind.SOURCE_FAILED, {"source": "raw", "reason": "check x failed: bad"}),
        "source raw failed: check x failed: bad",
    ),
    (
        Reason(ReasonKind.LAST_ATTEMPT_ABORTED, {"reason": "run requested"}),
        "its last attempt was aborted; run requested",
    ),
    (Reason(ReasonKind.EARLY_CUTOFF), "early cutoff: its inputs came out unchanged"),
    (Reason(ReasonKind.UPSTREAM_FAILED, {"input": "y"}), "upstream failed (y)"),
    (Reason(ReasonKind.NOT_REACHED), "not run: the run stopped before it"),
    (Reason(ReasonKind.INTERRUPTED, {"signal": "SIGTERM"}), "interrupted by SIGTERM"),
    (
        Reason(ReasonKind.WORKER_DIED),
        "aborted: a worker process of the run stopped abruptly (os._exit, a crash or out of "
        "memory), which stopped every node running at the time; it runs again next time",
    ),
]


@pytest.mark.parametrize(("reason", "text"), RENDERED, ids=[str(r.kind) for r, _ in RENDERED])
def test_every_reason_renders_the_words_shown_before(reason: Reason, text: str) -> None:
    assert str(reason) == reason.text == f"{reason}" == text


def test_the_rendering_table_covers_every_kind() -> None:
    assert {reason.kind for reason, _ in RENDERED} == set(ReasonKind)


def test_a_single_change_is_not_wrapped_and_several_keep_their_parts() -> None:
    one = Reason(ReasonKind.OPTIONS_CHANGED)
    two = Reason(ReasonKind.INPUT_ADDED, {"input": "y"})

    assert Reason.joined([one]) is one
    assert Reason.joined([one, two]).kind is ReasonKind.CHANGES
    assert Reason.joined([one, two]).parts == (one, two)
    assert one.parts == (one,)


def test_a_reason_is_a_value_nobody_can_change() -> None:
    details = {"input": "x"}
    reason = Reason(ReasonKind.INPUT_ADDED, details)
    details["input"] = "changed later"

    assert str(reason) == "input x was added"
    with pytest.raises(TypeError):
        reason.details["input"] = "y"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        reason.kind = ReasonKind.INPUT_REMOVED  # type: ignore[misc]
    assert reason == Reason(ReasonKind.INPUT_ADDED, {"input": "x"})


@pytest.mark.parametrize(
    ("word", "text"),
    [
        (Status.FRESH, "fresh"),
        (Status.STALE, "stale"),
        (Status.MISSING, "missing"),
        (Status.FAILED, "failed"),
        (NodeStatus.SUCCEEDED, "succeeded"),
        (NodeStatus.FAILED, "failed"),
        (NodeStatus.ABORTED, "aborted"),
        (NodeStatus.SKIPPED, "skipped"),
        (NodeStatus.FRESH, "fresh"),
        (HeadStatus.OK, "ok"),
        (HeadStatus.FAILED, "failed"),
    ],
)
def test_status_words_compare_print_and_serialise_as_plain_strings(word: str, text: str) -> None:
    assert word == text
    assert str(word) == f"{word}" == f"{word:>3}".strip() == format(word) == text
    assert json.dumps({"status": word}) == json.dumps({"status": text})
    assert {text: 1}[word] == 1  # a style table keyed by words finds them


def test_status_words_come_from_their_values() -> None:
    assert Status("stale") is Status.STALE
    assert ReasonKind("overdue") is ReasonKind.OVERDUE
