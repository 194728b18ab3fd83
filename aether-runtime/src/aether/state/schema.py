"""The state database's schema, and the migrations that bring an older file up to date.

Each migration takes the schema from one version to the next (``MIGRATIONS[i]`` reaches
version ``i + 1``). Opening a store applies the missing ones in one transaction, so a file is
either fully upgraded or untouched; a file from a newer Aether is refused, never changed.
Add a migration for any change to the schema: never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aether.errors import StateError

# Version 1: the schema of the first release (kept verbatim: it is what old files hold).
_VERSION_1 = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL, node TEXT NOT NULL,
    started_at REAL NOT NULL, finished_at REAL,
    status TEXT NOT NULL, error TEXT
);
CREATE INDEX IF NOT EXISTS attempts_status ON attempts (status);
CREATE INDEX IF NOT EXISTS attempts_run ON attempts (run_id);
CREATE TABLE IF NOT EXISTS materializations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    asset TEXT NOT NULL, node TEXT NOT NULL, run_id TEXT NOT NULL,
    started_at REAL NOT NULL, finished_at REAL NOT NULL,
    fingerprint TEXT NOT NULL, parts TEXT NOT NULL, version TEXT NOT NULL,
    signature TEXT, data_time REAL
);
CREATE INDEX IF NOT EXISTS materializations_asset ON materializations (asset);
CREATE TABLE IF NOT EXISTS heads (
    asset TEXT PRIMARY KEY,
    materialization_id INTEGER REFERENCES materializations (id),
    status TEXT NOT NULL, error TEXT, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS check_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER REFERENCES attempts (id),
    asset TEXT NOT NULL, check_name TEXT NOT NULL, severity TEXT NOT NULL,
    passed INTEGER NOT NULL, message TEXT NOT NULL,
    checked_at REAL NOT NULL, spec_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS check_results_asset ON check_results (asset, spec_hash, id);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_asset ON transitions (asset, at);
CREATE INDEX IF NOT EXISTS transitions_at ON transitions (at);
CREATE TABLE IF NOT EXISTS sources (
    asset TEXT PRIMARY KEY, version TEXT NOT NULL, signature TEXT,
    first_seen REAL NOT NULL, observed_at REAL NOT NULL
);
"""

# Version 2: what a node is about to publish, so a run killed between two renames is
# finished (or its assets failed) by the next run.
_VERSION_2 = """
CREATE TABLE publish_journal (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts (id),
    node TEXT NOT NULL, body TEXT NOT NULL
);
"""

# Version 3: the kind of each transition's reason (aether.verdicts.ReasonKind), so history is
# read by kind, never by its words. Older rows are classified from the words they stored
# (the wording of the releases that wrote them; status decides first, as it did then).
_VERSION_3 = """
ALTER TABLE transitions ADD COLUMN reason_kind TEXT;
UPDATE transitions SET reason_kind = CASE
    WHEN reason IS NULL THEN NULL
    WHEN status = 'failed' AND reason LIKE 'check % failed: %' THEN 'check_failed'
    WHEN status = 'failed' THEN 'last_run_failed'
    WHEN reason = 'the source data is not there' THEN 'source_missing'
    WHEN reason = 'the data is gone' THEN 'data_gone'
    WHEN reason = 'never materialized' THEN 'never_materialized'
    WHEN reason = 'never materialized by Aether' THEN 'not_recorded'
    WHEN reason LIKE 'upstream: %' THEN 'upstream'
    WHEN reason LIKE 'overdue: %' THEN 'overdue'
    WHEN reason = 'output modified outside Aether' THEN 'modified_outside'
    WHEN reason LIKE '%; %' THEN 'changes'
    WHEN reason LIKE 'code changed%' THEN 'code_changed'
    WHEN reason = 'options changed' THEN 'options_changed'
    WHEN reason LIKE 'parameter % is now read%' THEN 'param_now_read'
    WHEN reason LIKE 'parameter % is no longer read' THEN 'param_no_longer_read'
    WHEN reason LIKE 'parameter % changed%' THEN 'param_changed'
    WHEN reason LIKE 'input % was added' THEN 'input_added'
    WHEN reason LIKE 'input % was removed' THEN 'input_removed'
    WHEN reason LIKE 'input % has a new version' THEN 'input_new_version'
    WHEN reason = 'inputs changed' THEN 'inputs_changed'
    ELSE NULL
END;
CREATE INDEX transitions_kind ON transitions (reason_kind);
"""

# Version 4: a generation counter that every change to what a verdict reads moves (heads,
# materializations, check results, source observations; not history or attempts), kept by
# triggers so that any writer moves it, a hand edit in the sqlite3 shell included. An
# evaluation remembered between processes (aether.assets.memo) holds only while it is unmoved.
# The store's own random id goes with it: a store deleted and made again counts from 0 again.
_VERSION_4 = """
INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', 0);
INSERT OR REPLACE INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
CREATE TRIGGER generation_heads_insert AFTER INSERT ON heads BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_heads_update AFTER UPDATE ON heads BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_heads_delete AFTER DELETE ON heads BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_materializations_insert AFTER INSERT ON materializations BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_materializations_update AFTER UPDATE ON materializations BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_materializations_delete AFTER DELETE ON materializations BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_check_results_insert AFTER INSERT ON check_results BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_check_results_update AFTER UPDATE ON check_results BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_check_results_delete AFTER DELETE ON check_results BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_sources_insert AFTER INSERT ON sources BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_sources_update AFTER UPDATE ON sources BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
CREATE TRIGGER generation_sources_delete AFTER DELETE ON sources BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'generation';
END;
"""

# Version 5: what reproducing a run needs. Each tracked run that ran a node (its
# environment, parameters, git commit and lockfile), and the columns of each saved output as
# the node returned them (the schema of formats that store no types, like CSV). Neither is
# read by a verdict, so neither moves the generation.
_VERSION_5 = """
ALTER TABLE materializations ADD COLUMN data_columns TEXT;
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, status TEXT,
    env TEXT NOT NULL, pipeline TEXT NOT NULL, params TEXT NOT NULL,
    git_commit TEXT, git_dirty INTEGER, lockfile TEXT, lockfile_hash TEXT, aether_version TEXT
);
CREATE INDEX runs_started ON runs (started_at);
CREATE INDEX materializations_run ON materializations (run_id);
"""

MIGRATIONS: tuple[str, ...] = (_VERSION_1, _VERSION_2, _VERSION_3, _VERSION_4, _VERSION_5)
SCHEMA_VERSION = len(MIGRATIONS)


def stored_version(cur: sqlite3.Cursor) -> int:
    """The schema version the file records; 0 for a new (empty) file."""
    found = cur.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if found is None:
        return 0
    row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return 0 if row is None else int(row[0])


def refuse_newer(version: int, path: Path | str) -> None:
    """Raise StateError if ``version`` is newer than this Aether understands."""
    if version > SCHEMA_VERSION:
        raise StateError(
            f"{path} was written by a newer Aether (schema {version}); upgrade aether-data",
            hint=f"this aether-data understands schema {SCHEMA_VERSION}: "
            "pip install -U aether-data",
        )


def migrate(cur: sqlite3.Cursor, path: Path) -> int:
    """Apply the migrations the file lacks (inside the caller's transaction); return the
    version it was at."""
    cur.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    version = stored_version(cur)
    refuse_newer(version, path)
    for script in MIGRATIONS[version:]:
        for statement in statements(script):
            cur.execute(statement)
    if version != SCHEMA_VERSION:
        cur.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
    return version


def statements(script: str) -> list[str]:
    """The SQL statements of ``script``, one by one (``executescript`` would commit the
    caller's transaction); a ``;`` inside a quoted string does not end a statement."""
    found, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                found.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        found.append(pending.strip().rstrip(";"))
    return found
