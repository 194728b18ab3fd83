"""The behaviour every state store shares, run against the SQLite, PostgreSQL and in-memory
stores (PostgreSQL skips with a reason where it is not installed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aether.errors import StateError
from aether.state import (
    CheckResult,
    InMemoryStateStore,
    Materialization,
    PublishJournal,
    RunRecord,
    SQLiteStateStore,
    StateStore,
    Transition,
)


@pytest.fixture(params=["sqlite", "postgres", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    made: StateStore
    if request.param == "sqlite":
        made = SQLiteStateStore(tmp_path / ".aether" / "state.db")
    elif request.param == "postgres":
        from aether.state.postgres import PostgresStateStore

        server = request.getfixturevalue("postgres_server")
        made = PostgresStateStore(server.database(), "aether_test_store")
    else:
        made = InMemoryStateStore()
    with made:
        yield made


def mat(
    asset: str, version: str = "v1", run_id: str = "run-1", **changes: object
) -> Materialization:
    fields: dict[str, object] = {
        "asset": asset,
        "node": f"make_{asset}",
        "run_id": run_id,
        "started_at": 100.0,
        "finished_at": 101.0,
        "fingerprint": f"fp-{version}",
        "parts": {
            "code_hash": "sha256:c",
            "options_hash": "sha256:o",
            "params": {"cleaning.min_amount": 10},
            "inputs": {"raw": "sha256:r"},
        },
        "version": version,
        "signature": {"size": 10, "mtime_ns": 5, "inode": 7},
        "data_time": 50.0,
        "columns": (("order_id", "int64"), ("amount", "float64")),
    }
    fields.update(changes)
    return Materialization(**fields)  # type: ignore[arg-type]


def check(asset: str, spec_hash: str, passed: bool = True, at: float = 1.0) -> CheckResult:
    return CheckResult(asset, "not_null(amount)", "error", passed, "msg", at, spec_hash)


def commit(store: StateStore, *materializations: Materialization) -> int:
    attempt = store.begin_attempt(materializations[0].run_id, materializations[0].node)
    store.commit_node(attempt, list(materializations), [])
    return attempt


def test_commit_moves_heads_and_round_trips_every_field(store: StateStore) -> None:
    original = mat("orders", signature={"etag": "x"}, data_time=None)
    commit(store, original, mat("summary"))

    heads = store.heads()

    assert set(heads) == {"orders", "summary"}
    assert heads["orders"].status == "ok"
    assert heads["orders"].error is None
    assert heads["orders"].materialization == original


def test_newer_commit_replaces_the_head(store: StateStore) -> None:
    commit(store, mat("orders", "v1"))
    commit(store, mat("orders", "v2", run_id="run-2"))

    head = store.heads(["orders"])["orders"]

    assert head.materialization is not None
    assert (head.materialization.version, head.materialization.run_id) == ("v2", "run-2")


def test_heads_filters_by_asset_and_skips_unknown(store: StateStore) -> None:
    commit(store, mat("a"), mat("b"), mat("c"))

    assert set(store.heads(["a", "c", "never"])) == {"a", "c"}
    assert store.heads([]) == {}


def test_commit_marks_attempt_succeeded(store: StateStore) -> None:
    attempt = commit(store, mat("orders"))

    (recorded,) = store.attempts("run-1")

    assert (recorded.id, recorded.status, recorded.node) == (attempt, "succeeded", "make_orders")
    assert recorded.finished_at is not None and recorded.finished_at >= recorded.started_at


def test_fail_keeps_previous_good_materialization(store: StateStore) -> None:
    commit(store, mat("orders", "v1"))
    attempt = store.begin_attempt("run-2", "make_orders")

    store.fail_node(attempt, ["orders"], "ValueError: boom", [check("orders", "h1", False)])

    head = store.heads()["orders"]
    assert (head.status, head.error) == ("failed", "ValueError: boom")
    assert head.materialization is not None and head.materialization.version == "v1"
    assert store.attempts("run-2")[0].status == "failed"
    assert store.attempts("run-2")[0].error == "ValueError: boom"
    assert [r.passed for r in store.latest_check_results("orders")] == [False]


def test_fail_of_never_built_asset_has_no_materialization(store: StateStore) -> None:
    attempt = store.begin_attempt("run-1", "make_orders")
    store.fail_node(attempt, ["orders"], "boom")

    head = store.heads()["orders"]

    assert (head.status, head.materialization) == ("failed", None)


def test_success_after_failure_clears_the_error(store: StateStore) -> None:
    store.fail_node(store.begin_attempt("run-1", "make_orders"), ["orders"], "boom")
    commit(store, mat("orders", "v2", run_id="run-2"))

    head = store.heads()["orders"]

    assert (head.status, head.error) == ("ok", None)


def test_failed_commit_writes_nothing(store: StateStore) -> None:
    """The second output cannot be stored (no version): the first must not be either."""
    commit(store, mat("a", "v1"), mat("b", "v1"))
    before = store.heads()
    attempt = store.begin_attempt("run-2", "make_ab")

    with pytest.raises(StateError):
        store.commit_node(
            attempt,
            [mat("a", "v2"), mat("b", None)],
            [check("a", "h1")],  # type: ignore[arg-type]
        )

    assert store.heads() == before
    assert store.latest_check_results("a") == []
    assert store.attempts("run-2")[0].status == "running"


def test_unserializable_parts_are_refused_without_writing(store: StateStore) -> None:
    attempt = store.begin_attempt("run-1", "make_a")

    with pytest.raises(StateError, match="cannot be stored"):
        store.commit_node(attempt, [mat("ok", "v1"), mat("a", parts={"x": object()})], [])

    assert store.heads() == {}


def test_commit_of_an_aborted_attempt_is_refused(store: StateStore) -> None:
    attempt = store.begin_attempt("run-1", "make_a")
    store.abort_running_attempts()

    with pytest.raises(StateError, match="aborted, not running"):
        store.commit_node(attempt, [mat("a")], [])

    assert store.heads() == {}


def test_abort_running_attempts_returns_only_running_ones(store: StateStore) -> None:
    commit(store, mat("done"))
    left = store.begin_attempt("run-1", "make_left")

    aborted = store.abort_running_attempts()

    assert [(a.id, a.status) for a in aborted] == [(left, "aborted")]
    assert aborted[0].error and "aborted" in aborted[0].error
    assert store.abort_running_attempts() == []


def test_latest_check_results_keeps_newest_per_spec(store: StateStore) -> None:
    attempt = store.begin_attempt("run-1", "make_orders")
    store.commit_node(attempt, [mat("orders")], [check("orders", "h1", True, at=1.0)])
    store.record_check_results([check("orders", "h1", False, at=2.0), check("orders", "h2")])
    store.record_check_results([check("other", "h1", True)])

    latest = {r.spec_hash: r for r in store.latest_check_results("orders")}

    assert set(latest) == {"h1", "h2"}
    assert (latest["h1"].passed, latest["h1"].checked_at) == (False, 2.0)


def test_transitions_filter_by_asset_and_time(store: StateStore) -> None:
    store.record_transitions(
        [
            Transition("orders", "fresh", None, 10.0),
            Transition("orders", "stale", "code changed in clean", 30.0),
            Transition("report", "failed", "boom", 20.0),
        ]
    )

    assert [t.at for t in store.transitions()] == [10.0, 20.0, 30.0]
    assert [t.status for t in store.transitions("orders")] == ["fresh", "stale"]
    assert store.transitions("orders", since=20.0) == [
        Transition("orders", "stale", "code changed in clean", 30.0)
    ]


def test_source_observations_are_replaced(store: StateStore) -> None:
    store.record_source_observation("raw", "sha256:1", {"size": 1}, first_seen=5.0)
    store.record_source_observation("raw", "sha256:2", {"size": 2}, first_seen=9.0, observed_at=9.5)
    store.record_source_observation("other", "sha256:x", None, first_seen=1.0)

    seen = store.source_observations(["raw", "missing"])

    assert list(seen) == ["raw"]
    raw = seen["raw"]
    assert (raw.version, raw.signature, raw.first_seen, raw.observed_at) == (
        "sha256:2",
        {"size": 2},
        9.0,
        9.5,
    )
    assert set(store.source_observations()) == {"raw", "other"}


def test_attempts_are_listed_in_start_order(store: StateStore) -> None:
    first = store.begin_attempt("run-1", "a")
    second = store.begin_attempt("run-2", "b")

    assert [a.id for a in store.attempts()] == [first, second]
    assert [a.node for a in store.attempts("run-2")] == ["b"]


def test_last_statuses_gives_each_assets_latest_transition(store: StateStore) -> None:
    store.record_transitions(
        [
            Transition("orders", "missing", "never materialized", 1.0),
            Transition("report", "missing", "never materialized", 1.0),
            Transition("orders", "fresh", None, 2.0),
        ]
    )
    store.record_transitions([Transition("orders", "failed", "check failed", 3.0)])
    assert store.last_statuses() == {"orders": "failed", "report": "missing"}


def journal(attempt: int, *assets: str) -> PublishJournal:
    return PublishJournal(
        attempt,
        "make_pair",
        {a: {"temporary": f"/d/.{a}.tmp-1", "target": f"/d/{a}"} for a in assets},
        tuple(mat(a) for a in assets),
        (check(assets[0], "h1"),),
    )


def test_a_publish_journal_round_trips_until_the_node_is_committed(store: StateStore) -> None:
    attempt = store.begin_attempt("run-1", "make_pair")
    written = journal(attempt, "left", "right")

    store.record_publish_journal(written)

    assert store.publish_journals() == [written]
    store.commit_node(attempt, list(written.materializations), written.check_results)
    assert store.publish_journals() == []


def test_failing_the_node_clears_its_journal(store: StateStore) -> None:
    attempt = store.begin_attempt("run-1", "make_pair")
    store.record_publish_journal(journal(attempt, "left", "right"))

    store.fail_node(attempt, ["left", "right"], "interrupted")

    assert store.publish_journals() == []


def test_journals_are_listed_oldest_first_and_discarded_one_by_one(store: StateStore) -> None:
    first, second = (store.begin_attempt("run-1", n) for n in ("make_a", "make_b"))
    store.record_publish_journal(journal(second, "b"))
    store.record_publish_journal(journal(first, "a"))

    assert [j.attempt_id for j in store.publish_journals()] == [first, second]
    store.discard_publish_journal(first)
    assert [j.attempt_id for j in store.publish_journals()] == [second]


def test_a_journal_for_an_attempt_that_is_not_running_is_refused(store: StateStore) -> None:
    attempt = commit(store, mat("left"))

    with pytest.raises(StateError, match="not running"):
        store.record_publish_journal(journal(attempt, "left"))

    assert store.publish_journals() == []


def test_a_new_signature_of_the_same_content_is_remembered_on_its_head(store: StateStore) -> None:
    commit(store, mat("orders"))
    touched = {"size": 10, "mtime_ns": 99, "inode": 7}

    store.refresh_signature("orders", "run-1", "v1", touched)

    head = store.heads(["orders"])["orders"]
    assert head.materialization is not None and head.materialization.signature == touched
    assert head.materialization.version == "v1" and head.materialization.run_id == "run-1"


def test_a_signature_refresh_never_lands_on_a_head_another_run_made(store: StateStore) -> None:
    commit(store, mat("orders"))
    commit(store, mat("orders", version="v2", run_id="run-2"))
    touched = {"size": 10, "mtime_ns": 99, "inode": 7}

    store.refresh_signature("orders", "run-1", "v1", touched)  # seen before run-2 committed
    store.refresh_signature("orders", "run-2", "v1", touched)  # not the content of run-2's

    head = store.heads(["orders"])["orders"]
    assert head.materialization is not None
    assert head.materialization.signature == {"size": 10, "mtime_ns": 5, "inode": 7}


def run_record(run_id: str, started_at: float, **changes: object) -> RunRecord:
    fields: dict[str, object] = {
        "run_id": run_id,
        "started_at": started_at,
        "env": "base",
        "pipeline": "__default__",
        "params": {"cleaning": {"min_amount": 10}},
        "git_commit": "0123abcd" * 5,
        "git_dirty": True,
        "lockfile": "uv.lock",
        "lockfile_hash": "sha256:l",
        "aether_version": "1.2.3",
    }
    fields.update(changes)
    return RunRecord(**fields)  # type: ignore[arg-type]


def test_runs_round_trip_and_are_listed_newest_first(store: StateStore) -> None:
    first = run_record("run-1", 10.0)
    second = run_record("run-2", 20.0, git_commit=None, git_dirty=None, lockfile=None)
    store.record_run(first)
    store.record_run(second)
    store.finish_run("run-1", 15.0, "failed")
    store.finish_run("run-unknown", 16.0, "succeeded")  # ignored: no record

    assert store.run_record("run-1") == RunRecord(**{**first.__dict__, "finished_at": 15.0,
                                                     "status": "failed"})  # fmt: skip
    assert store.run_record("run-2") == second
    assert store.run_record("run-unknown") is None
    assert [r.run_id for r in store.runs()] == ["run-2", "run-1"]
    assert [r.run_id for r in store.runs(limit=1)] == ["run-2"]


def test_recording_a_run_again_replaces_it(store: StateStore) -> None:
    store.record_run(run_record("run-1", 10.0, git_dirty=False))
    store.record_run(run_record("run-1", 10.0, git_dirty=True))

    found = store.run_record("run-1")

    assert found is not None and found.git_dirty is True
    assert len(store.runs()) == 1


def test_a_runs_materializations_come_back_in_commit_order(store: StateStore) -> None:
    commit(store, mat("orders", run_id="run-1"))
    commit(store, mat("summary", run_id="run-1"), mat("totals", run_id="run-1"))
    commit(store, mat("orders", "v2", run_id="run-2"))

    found = store.run_materializations("run-1")

    assert [m.asset for m in found] == ["orders", "summary", "totals"]
    assert found[0] == mat("orders", run_id="run-1")
    assert store.run_materializations("run-3") == []


def test_the_latest_columns_are_those_of_the_current_head(store: StateStore) -> None:
    commit(store, mat("orders"))
    commit(store, mat("orders", "v2", columns=(("order_id", "string"),)))
    commit(store, mat("summary", columns=None))

    assert store.latest_columns("orders") == (("order_id", "string"),)
    assert store.latest_columns("summary") is None
    assert store.latest_columns("nothing") is None


def test_an_assets_materializations_come_back_newest_first(store: StateStore) -> None:
    commit(store, mat("orders", "v1", run_id="run-1"))
    commit(store, mat("summary", run_id="run-1"))
    commit(store, mat("orders", "v2", run_id="run-2"))
    commit(store, mat("orders", "v3", run_id="run-3"))

    assert [m.version for m in store.materializations_of("orders")] == ["v3", "v2", "v1"]
    assert [m.run_id for m in store.materializations_of("orders", limit=2)] == ["run-3", "run-2"]
    assert store.materializations_of("nothing") == []
