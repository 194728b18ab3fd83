"""Schema 3: transitions carry the kind of their reason; a schema-2 file is upgraded and its
history classified from the words it stored, so history is read by kind, never by text."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from aether.errors import StateError
from aether.insight.status_report import history
from aether.state import SQLiteStateStore, schema
from aether.state.base import Transition
from aether.verdicts import ReasonKind, Status

# (status, reason as a schema-2 release stored it, the kind it must be given)
OLD_HISTORY = [
    ("missing", "the source data is not there", ReasonKind.SOURCE_MISSING),
    ("missing", "the data is gone", ReasonKind.DATA_GONE),
    ("missing", "never materialized", ReasonKind.NEVER_MATERIALIZED),
    ("missing", "never materialized by Aether", ReasonKind.NOT_RECORDED),
    ("failed", "Node 'clean' failed: ZeroDivisionError", ReasonKind.LAST_RUN_FAILED),
    ("failed", "the last run failed", ReasonKind.LAST_RUN_FAILED),
    ("failed", "check not_null(id) failed: 2 nulls; see ids", ReasonKind.CHECK_FAILED),
    ("stale", "output modified outside Aether", ReasonKind.MODIFIED_OUTSIDE),
    ("stale", "code changed in clean", ReasonKind.CODE_CHANGED),
    ("stale", "options changed", ReasonKind.OPTIONS_CHANGED),
    ("stale", "parameter fx.rate is now read (1.1)", ReasonKind.PARAM_NOW_READ),
    ("stale", "parameter gone is no longer read", ReasonKind.PARAM_NO_LONGER_READ),
    ("stale", "parameter a.b changed from 10 to 20", ReasonKind.PARAM_CHANGED),
    ("stale", "input y was added", ReasonKind.INPUT_ADDED),
    ("stale", "input x was removed", ReasonKind.INPUT_REMOVED),
    ("stale", "input raw_orders has a new version", ReasonKind.INPUT_NEW_VERSION),
    ("stale", "inputs changed", ReasonKind.INPUTS_CHANGED),
    ("stale", "code changed in clean; input x was removed", ReasonKind.CHANGES),
    ("stale", "upstream: raw: the source data is not there", ReasonKind.UPSTREAM),
    ("stale", "overdue: data is 2d old (error_after 1d)", ReasonKind.OVERDUE),
    ("fresh", None, None),
]


def version_2_database(path: Path, rows: list[tuple[str, str, str | None, float]]) -> Path:
    """A file exactly as a schema-2 Aether left it, with ``rows`` of history in its words
    (asset, status, reason, at)."""
    with sqlite3.connect(path) as db:
        for script in schema.MIGRATIONS[:2]:
            for statement in schema.statements(script):
                db.execute(statement)
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        db.executemany(
            "INSERT INTO transitions (asset, status, reason, at) VALUES (?, ?, ?, ?)", rows
        )
    db.close()
    return path


def test_a_version_2_history_is_upgraded_with_the_kind_of_every_reason(tmp_path: Path) -> None:
    rows = [(f"a{i}", s, r, float(i)) for i, (s, r, _) in enumerate(OLD_HISTORY)]
    path = version_2_database(tmp_path / "state.db", rows)

    with SQLiteStateStore(path) as store:
        upgraded = store.transitions()

    assert [(t.status, t.reason, t.reason_kind) for t in upgraded] == OLD_HISTORY
    assert all(isinstance(t.status, Status) for t in upgraded)
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    db.close()
    assert version == (str(schema.SCHEMA_VERSION),) == ("5",)


def test_every_kind_the_upgrade_writes_is_a_reason_kind() -> None:
    upgrade = schema.MIGRATIONS[2]
    written = set(re.findall(r"THEN '(\w+)'", upgrade))

    assert len(written) == 19
    assert written <= {kind.value for kind in ReasonKind}


def test_downtime_of_an_upgraded_history_reads_overdue_from_the_kind(tmp_path: Path) -> None:
    rows = [
        ("a", "stale", "input raw has a new version", 0.0),
        ("a", "stale", "overdue: data is 2d old (error_after 1d)", 10.0),
        ("a", "fresh", None, 25.0),
    ]
    path = version_2_database(tmp_path / "state.db", rows)

    with SQLiteStateStore(path) as store:
        records = history(store.transitions(), window=100.0, now=100.0)

    assert records["a"].downtime == 15.0  # only the overdue stretch is down


def test_new_transitions_store_their_kind(tmp_path: Path) -> None:
    with SQLiteStateStore(tmp_path / "state.db") as store:
        store.record_transitions(
            [Transition("a", Status.STALE, "overdue: ...", 1.0, ReasonKind.OVERDUE)]
        )
        (found,) = store.transitions("a")

    assert found.reason_kind is ReasonKind.OVERDUE


def test_a_file_newer_than_this_schema_is_still_refused(tmp_path: Path) -> None:
    rows = [(f"a{i}", s, r, float(i)) for i, (s, r, _) in enumerate(OLD_HISTORY)]
    path = version_2_database(tmp_path / "state.db", rows)
    with sqlite3.connect(path) as db:
        newer = schema.SCHEMA_VERSION + 1
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(newer),))
    db.close()
    before = path.read_bytes()

    with pytest.raises(StateError, match=rf"newer Aether \(schema {newer}\)"):
        SQLiteStateStore(path)

    assert path.read_bytes() == before


def test_statements_split_where_sql_does_not_at_a_quoted_semicolon() -> None:
    script = "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a; b');\n"

    assert schema.statements(script) == [
        "CREATE TABLE t (x TEXT);",
        "INSERT INTO t VALUES ('a; b');",
    ]
