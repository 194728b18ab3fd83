"""Every reason a plan gives is typed: code decides on `reason.kind` (and its details), the
words are only how it prints. One test per kind the planner gives, on an evaluation built
by hand (the planner reads nothing else).

Pipeline: ``raw`` (source) -> clean -> ``cleaned`` (stored) -> split -> ``parts`` (in memory)
-> merge -> ``merged`` (stored); ``cleaned`` -> notify (stores nothing, feeds nobody).
"""

from __future__ import annotations

from aether.assets.planner import plan_stale
from aether.assets.status import AssetStatus, Evaluation, NodeState
from aether.engine.plan import Plan
from aether.pipeline import Pipeline, node
from aether.verdicts import Reason, ReasonKind, ReasonText, Status


def _fn(*args: object) -> object:
    return args


PIPELINE = Pipeline(
    [
        node(_fn, "raw", "cleaned", name="clean"),
        node(_fn, "cleaned", "parts", name="split"),
        node(_fn, "parts", "merged", name="merge"),
        node(_fn, "cleaned", None, name="notify"),
    ],
    name="reasons",
)
STORED = frozenset({"raw", "cleaned", "merged"})
GONE = Reason(ReasonKind.DATA_GONE)


def _evaluation(
    unwell: dict[str, tuple[Status, Reason]] | None = None,
    *,
    upstream_only: frozenset[str] = frozenset(),
    failed_source: bool = False,
    missing_source: bool = False,
) -> Evaluation:
    """Everything fresh but the named outputs (output -> its status and reason)."""
    unwell = unwell or {}
    statuses = {"raw": AssetStatus("raw", Status.FRESH)}
    if failed_source:
        failed = Reason(ReasonKind.CHECK_FAILED, {"check": "not_null(id)", "message": "2 nulls"})
        statuses["raw"] = AssetStatus("raw", Status.FAILED, failed)
    if missing_source:
        statuses["raw"] = AssetStatus("raw", Status.MISSING, Reason(ReasonKind.SOURCE_MISSING))
    nodes = {}
    for item in PIPELINE.toposorted():
        verdict: tuple[Status, Reason | None] = (Status.FRESH, None)
        for output in item.outputs:
            if output in STORED:
                status, reason = unwell.get(output, (Status.FRESH, None))
                statuses[output] = AssetStatus(output, status, reason, node=item.name)
                if reason is not None:
                    verdict = (status, Reason.of_asset(output, reason))
        upstream = item.name in upstream_only
        nodes[item.name] = NodeState(item.name, {}, "fp", None, *verdict, upstream)
    return Evaluation(PIPELINE, STORED, statuses, nodes, 100.0)


def _reasons(plan: Plan) -> dict[str, ReasonText]:
    return {p.node.name: p.reason for p in (*plan.to_run, *plan.skipped, *plan.blocked)}


def _cutoff(plan: Plan) -> dict[str, bool]:
    return {p.node.name: p.cutoff for p in plan.to_run}


def test_forced_nodes_say_so_by_kind() -> None:
    reasons = _reasons(plan_stale(PIPELINE, _evaluation(), force=True))

    assert {r.kind for r in reasons.values()} == {ReasonKind.FORCED}
    assert reasons["merge"].details == {"option": "--force"}


def test_a_node_with_an_unwell_output_carries_the_verdict() -> None:
    plan = plan_stale(PIPELINE, _evaluation({"cleaned": (Status.MISSING, GONE)}))
    clean = _reasons(plan)["clean"]

    assert clean.kind is ReasonKind.VERDICT
    assert clean.details["status"] is Status.MISSING
    assert clean.details["reason"] == Reason.of_asset("cleaned", GONE)


def test_a_fresh_node_below_one_that_runs_is_planned_for_cutoff() -> None:
    plan = plan_stale(PIPELINE, _evaluation({"cleaned": (Status.MISSING, GONE)}))
    merge = _reasons(plan)["merge"]

    assert merge.kind is ReasonKind.UPSTREAM_RUNS
    assert merge.details == {"node": "split"}
    assert _cutoff(plan)["merge"] is True
    # split runs below clean too, but merge may run and reads its in-memory output: no cutoff
    assert _reasons(plan)["split"].kind is ReasonKind.NEEDED_IN_MEMORY
    assert _cutoff(plan)["split"] is False


def test_the_producer_of_an_in_memory_input_runs_with_its_consumer() -> None:
    plan = plan_stale(PIPELINE, _evaluation({"merged": (Status.MISSING, GONE)}))
    split = _reasons(plan)["split"]

    assert split.kind is ReasonKind.NEEDED_IN_MEMORY
    assert split.details == {"dataset": "parts", "consumer": "merge"}
    assert _cutoff(plan) == {"split": False, "merge": False, "notify": False}
    assert _reasons(plan)["clean"].kind is ReasonKind.FRESH  # its output is stored


def test_a_producer_that_could_be_cut_off_may_not_when_its_memory_output_is_read() -> None:
    stale = Reason(ReasonKind.UPSTREAM, {"cause": GONE})
    evaluation = _evaluation(
        {"cleaned": (Status.MISSING, GONE), "merged": (Status.STALE, stale)},
        upstream_only=frozenset({"merge"}),
    )

    plan = plan_stale(PIPELINE, evaluation)

    assert _reasons(plan)["split"].kind is ReasonKind.NEEDED_IN_MEMORY
    assert _cutoff(plan)["split"] is False  # merge may run: what it reads must be made
    assert _cutoff(plan)["merge"] is True


def test_a_node_that_stores_nothing_and_feeds_nobody_always_runs() -> None:
    plan = plan_stale(PIPELINE, _evaluation())

    assert [p.node.name for p in plan.to_run] == ["notify"]
    assert _reasons(plan)["notify"].kind is ReasonKind.SINK


def test_a_fresh_node_is_left_alone_as_fresh() -> None:
    plan = plan_stale(PIPELINE, _evaluation())

    assert {p.node.name: p.reason.kind for p in plan.skipped} == {
        "clean": ReasonKind.FRESH,
        "split": ReasonKind.FRESH,
        "merge": ReasonKind.FRESH,
    }


def test_a_node_reading_a_failed_source_is_held_back_with_its_name() -> None:
    evaluation = _evaluation({"cleaned": (Status.MISSING, GONE)}, failed_source=True)

    plan = plan_stale(PIPELINE, evaluation)
    held = {p.node.name: p.reason for p in plan.blocked}

    assert set(held) == {"clean", "split", "merge", "notify"}
    assert {r.kind for r in held.values()} == {ReasonKind.SOURCE_FAILED}
    assert held["merge"].details["source"] == "raw"


def test_a_node_reading_a_missing_source_is_held_back_saying_it_is_missing() -> None:
    evaluation = _evaluation({"cleaned": (Status.MISSING, GONE)}, missing_source=True)

    plan = plan_stale(PIPELINE, evaluation)
    held = {p.node.name: p.reason for p in plan.blocked}

    assert set(held) == {"clean", "split", "merge", "notify"}
    assert {r.kind for r in held.values()} == {ReasonKind.SOURCE_FAILED}
    assert str(held["merge"]).startswith("source raw is missing: ")
