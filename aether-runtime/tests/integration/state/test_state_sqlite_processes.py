"""The SQLite store against other processes: a process killed mid-commit wrote nothing and its
attempt is aborted by the next one; two processes committing at once lose no write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aether.state import Materialization, SQLiteStateStore


def mat(asset: str, version: str = "v1") -> Materialization:
    return Materialization(asset, "n", "run-1", 1.0, 2.0, "fp", {"code_hash": "c"}, version)


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
