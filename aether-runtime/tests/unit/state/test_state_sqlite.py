"""What only the SQLite store does: the file, its schema version, and other processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aether.errors import StateError
from aether.state import SCHEMA_VERSION, Materialization, SQLiteStateStore


def mat(asset: str, version: str = "v1") -> Materialization:
    return Materialization(asset, "n", "run-1", 1.0, 2.0, "fp", {"code_hash": "c"}, version)


def test_creates_folder_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / ".aether" / "state.db"

    with SQLiteStateStore(path):
        pass

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "attempts", "materializations", "heads", "check_results"} <= tables
    assert {"transitions", "sources"} <= tables


def test_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as store:
        store.commit_node(store.begin_attempt("run-1", "n"), [mat("orders")], [])

    with SQLiteStateStore(path) as reopened:
        head = reopened.heads()["orders"]

    assert head.materialization == mat("orders")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SQLiteStateStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
        )

    with pytest.raises(StateError, match=rf"newer Aether \(schema {SCHEMA_VERSION + 1}\)") as err:
        SQLiteStateStore(path)

    assert "upgrade aether-data" in err.value.message


def test_garbage_file_names_path_and_says_to_move_it(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database, just some text long enough " * 50)

    with pytest.raises(StateError) as err:
        SQLiteStateStore(path)

    assert str(path) in err.value.message
    assert err.value.hint is not None and "move it aside" in err.value.hint


def test_heads_is_one_query_however_many_assets(tmp_path: Path) -> None:
    with SQLiteStateStore(tmp_path / "state.db") as store:
        attempt = store.begin_attempt("run-1", "n")
        store.commit_node(attempt, [mat(f"asset_{i}") for i in range(2000)], [])
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)

        every = store.heads()
        some = store.heads([f"asset_{i}" for i in range(1500)])

    assert (len(every), len(some)) == (2000, 1500)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def _run_child(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_attempt_leaves_head_and_next_run_aborts_it(tmp_path: Path) -> None:
    """A process killed inside its commit transaction wrote nothing; its attempt is aborted."""
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as store:
        store.commit_node(store.begin_attempt("run-1", "n"), [mat("orders", "v1")], [])

    with _run_child(
        f"""
        import sys, time
        from aether.state import SQLiteStateStore
        store = SQLiteStateStore({str(path)!r})
        attempt = store.begin_attempt("run-2", "n")
        cur = store._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute("UPDATE heads SET status = 'failed', error = 'half written'")
        print(attempt, flush=True)
        time.sleep(60)
        """
    ) as child:
        assert child.stdout is not None
        attempt_id = int(child.stdout.readline())
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    with SQLiteStateStore(path) as store:
        aborted = store.abort_running_attempts()
        head = store.heads()["orders"]

    assert [(a.id, a.run_id, a.status) for a in aborted] == [(attempt_id, "run-2", "aborted")]
    assert (head.status, head.error) == ("ok", None)
    assert head.materialization is not None and head.materialization.version == "v1"


def test_two_processes_commit_concurrently_without_losing_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SQLiteStateStore(path).close()
    code = f"""
        import sys
        from aether.state import Materialization, SQLiteStateStore
        prefix = sys.argv[1]
        with SQLiteStateStore({str(path)!r}) as store:
            for i in range(40):
                attempt = store.begin_attempt(prefix, "n")
                m = Materialization(f"{{prefix}}_{{i}}", "n", prefix, 1.0, 2.0, "fp", {{}}, "v")
                store.commit_node(attempt, [m], [])
        """
    children = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), name])
        for name in ("left", "right")
    ]
    codes = [child.wait(timeout=60) for child in children]

    with SQLiteStateStore(path) as store:
        heads = store.heads()
        attempts = store.attempts()

    assert codes == [0, 0]
    assert len(heads) == 80
    assert {a.status for a in attempts} == {"succeeded"}
