"""The PostgreSQL state store and its run lock against a real server: the generation moves
with every write a verdict reads (a hand edit in psql included), a newer schema is refused
untouched, stores of two projects in one database stay apart, two machines opening a new
store at once make it once, an unreachable server is named without the password, and the
advisory lock makes a second run wait, names the holder, and frees itself when the holder is
killed. (The behaviour every store shares is in unit/state/test_state_store_behaviour.py.)"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from aether.errors import LockError, StateError
from aether.state import CheckResult, Materialization
from aether.state.advisory_lock import AdvisoryLock
from aether.state.lock import LockHolder
from aether.state.postgres import PostgresStateStore
from aether.state.postgres_schema import PG_SCHEMA_VERSION
from aether.state.schema import SCHEMA_VERSION

SCHEMA = "aether_mini_local_default_0000"


@pytest.fixture
def url(postgres_server: object) -> str:
    return postgres_server.database()  # type: ignore[attr-defined, no-any-return]


def _psql(url: str, sql: str) -> list[tuple[object, ...]]:
    """Run ``sql`` as a hand in psql would, outside Aether."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def _materialization(asset: str, version: str) -> Materialization:
    return Materialization(
        asset, f"make_{asset}", "run-1", 1.0, 2.0, "fp", {"inputs": {}}, version, {"size": 1}
    )


def test_both_stores_count_schema_versions_alike() -> None:
    # A change to SQLite's schema must come with its PostgreSQL migration (same number).
    assert PG_SCHEMA_VERSION == SCHEMA_VERSION


def test_the_generation_moves_with_what_a_verdict_reads_a_hand_edit_included(url: str) -> None:
    with PostgresStateStore(url, SCHEMA) as store:
        first = store.generation()
        store.record_transitions([])
        attempt = store.begin_attempt("run-1", "make_a")  # attempts: not read by a verdict
        assert store.generation() == first
        store.commit_node(attempt, [_materialization("a", "v1")])
        second = store.generation()
        store.record_check_results([CheckResult("a", "c", "error", True, "ok", 3.0, "h")])
        third = store.generation()
        store.record_source_observation("raw", "sha256:r", {"size": 4}, first_seen=5.0)
        fourth = store.generation()
    assert len({first, second, third, fourth}) == 4
    _psql(url, f"UPDATE {SCHEMA}.heads SET error = 'edited by hand'")
    with PostgresStateStore(url, SCHEMA) as store:
        assert store.generation() not in (first, second, third, fourth)


def test_a_store_of_a_newer_schema_is_refused_and_left_as_it_was(url: str) -> None:
    with PostgresStateStore(url, SCHEMA) as store:
        attempt = store.begin_attempt("run-1", "make_a")
        store.commit_node(attempt, [_materialization("a", "v1")])
    _psql(url, f"UPDATE {SCHEMA}.meta SET value = '9' WHERE key = 'schema_version'")
    before = _psql(url, f"SELECT * FROM {SCHEMA}.heads")

    with pytest.raises(StateError, match=r"newer Aether \(schema 9\)") as raised:
        PostgresStateStore(url, SCHEMA)

    assert raised.value.exit_code == 2
    assert "pip install -U aether-data" in (raised.value.hint or "")
    assert _psql(url, f"SELECT * FROM {SCHEMA}.heads") == before
    assert _psql(url, f"SELECT value FROM {SCHEMA}.meta WHERE key = 'schema_version'") == [("9",)]


def test_stores_of_two_projects_in_one_database_stay_apart(url: str) -> None:
    with PostgresStateStore(url, "aether_one") as one, PostgresStateStore(url, "aether_two") as two:
        attempt = one.begin_attempt("run-1", "make_a")
        one.commit_node(attempt, [_materialization("a", "v1")])
        assert set(one.heads()) == {"a"}
        assert two.heads() == {}
        assert two.attempts() == []


def test_two_machines_opening_a_new_store_at_once_make_it_once(url: str) -> None:
    made: list[str | None] = []
    failures: list[BaseException] = []

    def open_store() -> None:
        try:
            with PostgresStateStore(url, "aether_raced") as store:
                made.append(store.generation())
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(made) == 4 and len(set(made)) == 1  # one store, one store id


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_named_without_the_password() -> None:
    port = _closed_port()
    bad = f"postgresql://aether:s3cr3t-pw@127.0.0.1:{port}/state"

    with pytest.raises(StateError) as raised:
        PostgresStateStore(bad, SCHEMA)

    assert raised.value.exit_code == 2
    assert f"127.0.0.1:{port}/state" in raised.value.message
    assert "s3cr3t-pw" not in str(raised.value)


HOLDER = """
    import sys
    from aether.state.advisory_lock import AdvisoryLock
    from aether.state.postgres import PostgresStateStore
    PostgresStateStore(sys.argv[1], sys.argv[2]).close()  # the schema exists
    lock = AdvisoryLock(sys.argv[1], sys.argv[2], "run-child")
    lock.acquire()
    print("acquired", flush=True)
    sys.stdin.readline()   # hold until the parent says so
    lock.release()
"""


@pytest.fixture
def holder(url: str) -> Iterator[subprocess.Popen[str]]:
    """A process on "another machine" holding the run lock until told."""
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), url, SCHEMA],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stdout.readline() == "acquired\n"
        yield child
        if child.poll() is None:
            child.kill()


def test_a_held_lock_refuses_without_waiting_and_names_its_holder(
    url: str, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(LockError, match=rf"run run-child \(pid {holder.pid} on host"):
        AdvisoryLock(url, SCHEMA, "run-me", wait=False).acquire()


def test_a_waiting_run_says_whom_it_waits_for_and_gets_the_lock_when_it_ends(
    url: str, holder: subprocess.Popen[str]
) -> None:
    told: list[LockHolder] = []
    lock = AdvisoryLock(url, SCHEMA, "run-me", on_wait=told.append, poll_interval=0.05)
    waiter = threading.Thread(target=lock.acquire)
    waiter.start()
    deadline = time.monotonic() + 10
    while not told and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [t.run_id for t in told] == ["run-child"] and not lock.held

    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    waiter.join(timeout=10)

    assert lock.held
    lock.release()


def test_a_holder_killed_with_minus_9_frees_the_lock_at_once(
    url: str, holder: subprocess.Popen[str]
) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    lock = AdvisoryLock(url, SCHEMA, "run-me", timeout=10, poll_interval=0.05)
    lock.acquire()  # no stale lock to break: the server ended the killed session

    assert lock.held
    lock.release()


def test_a_lock_timeout_says_how_long_it_waited(url: str, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(LockError, match=r"after waiting 0\.3s"):
        AdvisoryLock(url, SCHEMA, "run-me", timeout=0.3, poll_interval=0.05).acquire()
