"""Versioned migrations of the state database: an old file is upgraded in one transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aether.errors import StateError
from aether.state import SCHEMA_VERSION, SQLiteStateStore, schema
from aether.state.base import PublishJournal

# The first release's schema, verbatim (shared with the reliability catalogue).
SCHEMA_V1 = (Path(__file__).parents[2] / "data" / "state_schema_v1.sql").read_text()
ROWS_V1 = """
INSERT INTO attempts VALUES (1, 'run-1', 'make_orders', 10.0, 11.0, 'succeeded', NULL);
INSERT INTO attempts VALUES (2, 'run-2', 'make_orders', 20.0, NULL, 'running', NULL);
INSERT INTO materializations VALUES (1, 1, 'orders', 'make_orders', 'run-1', 10.0, 11.0,
    'fp-1', '{"code_hash": "c"}', 'sha256:v1', '{"size": 3}', 5.0);
INSERT INTO heads VALUES ('orders', 1, 'ok', NULL, 11.0);
INSERT INTO check_results VALUES (1, 1, 'orders', 'not_null(id)', 'error', 1, 'ok', 11.0, 'h1');
INSERT INTO transitions VALUES (1, 'orders', 'fresh', NULL, 11.0);
INSERT INTO sources VALUES ('raw', 'sha256:r', NULL, 1.0, 2.0);
"""


def old_database(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_V1 + ROWS_V1)
    db.close()
    return path


def stored_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    db.close()
    return int(row[0])


def test_a_version_1_file_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = old_database(tmp_path / "state.db")

    with SQLiteStateStore(path) as store:
        head = store.heads()["orders"]
        attempts = store.attempts()
        checks = store.latest_check_results("orders")
        sources = store.source_observations()
        store.record_publish_journal(PublishJournal(2, "make_orders", {}, ()))
        journals = store.publish_journals()
        runs = store.runs()

    assert stored_version(path) == SCHEMA_VERSION == 5
    assert head.materialization is not None and head.materialization.version == "sha256:v1"
    assert head.materialization.columns is None  # recorded before columns were
    assert runs == []
    assert head.materialization.signature == {"size": 3}
    assert [(a.id, a.status) for a in attempts] == [(1, "succeeded"), (2, "running")]
    assert [c.check for c in checks] == ["not_null(id)"]
    assert sources["raw"].version == "sha256:r"
    assert [j.attempt_id for j in journals] == [2]


def test_a_new_file_starts_at_the_current_version(tmp_path: Path) -> None:
    SQLiteStateStore(tmp_path / "state.db").close()

    assert stored_version(tmp_path / "state.db") == SCHEMA_VERSION


def test_migrations_run_in_order_from_the_files_version(tmp_path: Path) -> None:
    path = old_database(tmp_path / "state.db")
    later = "CREATE TABLE later_feature (x INTEGER)"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, later))
        patch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
        SQLiteStateStore(path).close()

    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert {"publish_journal", "later_feature"} <= tables
    assert stored_version(path) == schema.SCHEMA_VERSION + 1


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = old_database(tmp_path / "state.db")
    broken = "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1)"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
        patch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
        with pytest.raises(StateError):
            SQLiteStateStore(path)

    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert "publish_journal" not in tables and "half_done" not in tables
    assert stored_version(path) == 1


def test_a_newer_file_is_refused_byte_for_byte_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:  # rollback-journal mode: opening must not switch it
        db.executescript(SCHEMA_V1.replace("'schema_version', 1", "'schema_version', 9"))
    db.close()
    before = path.read_bytes()

    with pytest.raises(StateError, match=r"newer Aether \(schema 9\)"):
        SQLiteStateStore(path)

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_the_generation_moves_with_what_a_verdict_reads_and_only_that(tmp_path: Path) -> None:
    path = old_database(tmp_path / "state.db")
    with SQLiteStateStore(path) as store:
        first = store.generation()
        store.record_transitions([])
        assert store.generation() == first  # history is not read by a verdict
        store.record_source_observation("raw", "sha256:r2", {"size": 4}, first_seen=5.0)
        second = store.generation()
    assert second != first
    # Any writer moves it, a hand edit in the sqlite3 shell included (triggers keep it).
    with sqlite3.connect(path) as db:
        db.execute("UPDATE heads SET error = 'edited by hand'")
    db.close()
    with SQLiteStateStore(path) as store:
        assert store.generation() not in (first, second)
