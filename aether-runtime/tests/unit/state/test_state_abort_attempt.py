"""Aborting one attempt (a run stopped by a signal, or a worker that died), in both stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aether.state import InMemoryStateStore, SQLiteStateStore, StateStore


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    made: StateStore = (
        SQLiteStateStore(tmp_path / ".aether" / "state.db")
        if request.param == "sqlite"
        else InMemoryStateStore()
    )
    with made:
        yield made


def test_abort_attempt_marks_only_that_attempt_with_the_reason(store: StateStore) -> None:
    stopped = store.begin_attempt("run-1", "slow")
    other = store.begin_attempt("run-1", "other")

    store.abort_attempt(stopped, "interrupted by SIGTERM")

    by_id = {a.id: a for a in store.attempts()}
    assert (by_id[stopped].status, by_id[stopped].error) == ("aborted", "interrupted by SIGTERM")
    assert by_id[stopped].finished_at is not None
    assert by_id[other].status == "running"
    assert store.heads() == {}


def test_abort_attempt_leaves_a_finished_attempt_alone(store: StateStore) -> None:
    attempt = store.begin_attempt("run-1", "make_a")
    store.fail_node(attempt, ["a"], "boom")

    store.abort_attempt(attempt, "interrupted by SIGINT")

    (only,) = store.attempts()
    assert (only.status, only.error) == ("failed", "boom")
