"""What only the SQLite store does: the file and its schema version (other processes:
integration/state/test_state_sqlite_processes.py)."""

from __future__ import annotations

import sqlite3
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


def test_the_wal_is_folded_into_the_file_every_10000_pages_not_every_1000(
    tmp_path: Path,
) -> None:
    """Each checkpoint costs two fsyncs: SQLite's default (1,000 pages) checkpointed every
    ~80 nodes of a run. Commits stay as durable: they are in the WAL."""
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as store:
        for index in range(150):  # ~1,800 pages of WAL: past SQLite's default
            store.commit_node(store.begin_attempt("run-1", f"n{index}"), [mat(f"a{index}")], [])
        pages = store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        wal_frames = Path(f"{path}-wal").stat().st_size // 4096

        with sqlite3.connect(path) as other:  # another process sees every commit
            assert other.execute("SELECT COUNT(*) FROM heads").fetchone()[0] == 150

    assert pages == 10_000
    assert wal_frames > 1000  # not reset by a checkpoint at 1,000 pages


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


def test_a_look_without_parts_does_not_read_them(tmp_path: Path) -> None:
    """Status reads every head of the project at each look; the fingerprint parts (the
    longest column) are left in the file unless asked for."""
    with SQLiteStateStore(tmp_path / "state.db") as store:
        store.commit_node(store.begin_attempt("run-1", "n"), [mat("orders")], [])
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)

        head = store.heads(["orders"], include_parts=False)["orders"]

    [select] = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert "parts" not in select
    assert head.materialization is not None and head.materialization.parts == {}


def test_heads_decode_every_kind_of_row_alike_with_and_without_parts(tmp_path: Path) -> None:
    signed = Materialization(
        "signed", "n", "run-1", 1.0, 2.0, "fp", {"code_hash": "c"}, "v1",
        {"size": 3, "mtime_ns": 4, "inode": 5}, 7.5,
    )  # fmt: skip
    with SQLiteStateStore(tmp_path / "state.db") as store:
        store.commit_node(store.begin_attempt("run-1", "n"), [signed, mat("unsigned")], [])
        store.fail_node(store.begin_attempt("run-2", "n"), ["unsigned", "never"], "boom")

        full = store.heads()
        light = store.heads(["signed", "unsigned", "never"], include_parts=False)

    assert full["signed"].materialization == signed
    assert full["unsigned"].materialization == mat("unsigned")
    assert (full["unsigned"].status.value, full["unsigned"].error) == ("failed", "boom")
    assert (full["never"].status.value, full["never"].materialization) == ("failed", None)
    for name, head in full.items():
        stripped = head.materialization and Materialization(
            **{**head.materialization.__dict__, "parts": {}}
        )
        assert light[name] == type(head)(
            head.asset, head.status, stripped, head.error, head.updated_at
        )


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ("UPDATE heads SET status = 'garbage'", "asset 'orders' has the status 'garbage'"),
        ("UPDATE materializations SET parts = '{oops'", "a materialization that is not JSON"),
        ("UPDATE materializations SET signature = '[1,'", "'orders' has a signature that is not"),
    ],
)
def test_a_row_edited_by_hand_is_one_line_with_the_way_out_not_a_traceback(
    tmp_path: Path, edit: str, said: str
) -> None:
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as store:
        store.commit_node(store.begin_attempt("run-1", "n"), [mat("orders")], [])
    with sqlite3.connect(path) as conn:
        conn.execute(edit)

    with SQLiteStateStore(path) as reopened, pytest.raises(StateError, match=said) as raised:
        reopened.heads()

    assert raised.value.exit_code == 2 and "delete the asset's row" in (raised.value.hint or "")


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE materializations SET parts = '{oops'",
        "UPDATE materializations SET signature = '{oops'",
        "UPDATE materializations SET data_columns = '[[1]]'",
        "UPDATE materializations SET data_columns = '[1]'",
    ],
)
def test_a_past_run_edited_by_hand_is_one_line_too(tmp_path: Path, edit: str) -> None:
    # `aether show RUN_ID` reads a run's materializations one by one, not through heads.
    path = tmp_path / "state.db"
    with SQLiteStateStore(path) as store:
        store.commit_node(store.begin_attempt("run-1", "n"), [mat("orders")], [])
    with sqlite3.connect(path) as conn:
        conn.execute(edit)

    with SQLiteStateStore(path) as reopened, pytest.raises(StateError, match="'orders'"):
        reopened.run_materializations("run-1")


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
