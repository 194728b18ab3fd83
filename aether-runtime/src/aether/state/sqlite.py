"""The state store in one SQLite file, ``.aether/state.db``.

WAL journal so ``aether status`` reads while a run writes; every write is one
``BEGIN IMMEDIATE`` transaction so two processes (each with its own connection) never
interleave half a node; a 30 s busy timeout absorbs short waits for the write lock. The
``meta`` table records the schema version: older files are migrated on open
(:mod:`aether.state.schema`) and an older Aether refuses a newer file instead of corrupting it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aether.configuration.durability import against_power_loss
from aether.errors import StateError
from aether.state.base import (
    ABORTED_MESSAGE,
    Attempt,
    CheckResult,
    Head,
    Materialization,
    PublishJournal,
    RunRecord,
    SourceObservation,
    StateStore,
    Transition,
)
from aether.state.journal import journal_from_json, journal_to_json
from aether.state.json_values import from_json, to_json
from aether.state.rows import (
    MATERIALIZATION_COLUMNS,
    RUN_COLUMNS,
    columns_to_json,
    heads_from_rows,
    materialization_from_row,
    run_from_row,
    run_values,
)
from aether.state.schema import migrate, refuse_newer, stored_version
from aether.state.sqlite_errors import not_running, state_error, unusable_error

_HEADS_QUERY = f"""
SELECT h.asset, h.status, h.error, h.updated_at, {MATERIALIZATION_COLUMNS}
FROM heads h LEFT JOIN materializations m ON m.id = h.materialization_id
"""

# Without the fingerprint parts (the longest column) and the columns, for a look that only
# compares versions.
_HEADS_QUERY_NO_PARTS = _HEADS_QUERY.replace("m.parts", "NULL").replace("m.data_columns", "NULL")

WAL_CHECKPOINT_PAGES = 10_000

_ATTEMPT_COLUMNS = "id, run_id, node, started_at, finished_at, status, error"


class SQLiteStateStore(StateStore):
    """The state store in the SQLite file at ``path`` (its folder is created).

    Thread-safe within a process (one connection behind a lock); safe across processes.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise StateError(
                f"Cannot open the state store {self.path}: {exc}",
                hint="check that the folder is writable",
            ) from exc
        try:
            self._prepare()
        except BaseException:
            self._conn.close()
            raise

    def _prepare(self) -> None:
        try:
            self._conn.execute("PRAGMA busy_timeout = 30000")
            # Refuse a newer file before changing anything, even its journal mode.
            refuse_newer(stored_version(self._conn.cursor()), self.path)
            self._conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL: in WAL mode a commit survives any process crash; FULL also a power cut.
            synchronous = "FULL" if against_power_loss() else "NORMAL"
            self._conn.execute(f"PRAGMA synchronous = {synchronous}")
            # A run commits each node (~12 pages), and every checkpoint of the WAL into the
            # file costs two fsyncs whatever `synchronous` says: at SQLite's default (every
            # 1,000 pages) that was every ~80 nodes, 8 % of a 2,000-node run's state writes.
            # Commits are as durable either way (they are in the WAL); the WAL grows to
            # ~40 MB at most, and the last connection to close still folds it in.
            self._conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            with self._write() as cur:
                migrate(cur, self.path)
        except sqlite3.DatabaseError as exc:
            # Never "move it aside" unless SQLite says the file is bad: a full disk or a
            # read-only folder leaves a sound file whose history would be lost.
            raise unusable_error(self.path, exc) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                self._conn.rollback()
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            except sqlite3.Error as exc:
                raise state_error(self.path, exc) from exc
            finally:
                cur.close()

    def begin_attempt(self, run_id: str, node: str) -> int:
        with self._guard(), self._write() as cur:
            cur.execute(
                "INSERT INTO attempts (run_id, node, started_at, status) "
                "VALUES (?, ?, ?, 'running')",
                (run_id, node, time.time()),
            )
            return int(cur.lastrowid or 0)

    def commit_node(
        self,
        attempt_id: int,
        materializations: Sequence[Materialization],
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        now = time.time()
        with self._guard(), self._write() as cur:
            _finish_attempt(cur, attempt_id, "succeeded", None, now)
            for m in materializations:
                cur.execute(
                    "INSERT INTO materializations (attempt_id, asset, node, run_id, started_at, "
                    "finished_at, fingerprint, parts, version, signature, data_time, "
                    "data_columns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (attempt_id, m.asset, m.node, m.run_id, m.started_at, m.finished_at,
                     m.fingerprint, to_json(m.parts, m.asset), m.version,
                     to_json(m.signature, m.asset), m.data_time, columns_to_json(m.columns)),
                )  # fmt: skip
                # An upsert, not INSERT OR REPLACE: an update in place rewrites one row,
                # where a replace deletes it and inserts it again (more pages per commit).
                cur.execute(
                    "INSERT INTO heads (asset, materialization_id, status, error, updated_at) "
                    "VALUES (?, ?, 'ok', NULL, ?) ON CONFLICT (asset) DO UPDATE SET "
                    "materialization_id = excluded.materialization_id, status = 'ok', "
                    "error = NULL, updated_at = excluded.updated_at",
                    (m.asset, cur.lastrowid, now),
                )
            _insert_checks(cur, attempt_id, check_results)
            cur.execute("DELETE FROM publish_journal WHERE attempt_id = ?", (attempt_id,))

    def fail_node(
        self,
        attempt_id: int,
        assets: Iterable[str],
        error: str,
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        now = time.time()
        with self._guard(), self._write() as cur:
            _finish_attempt(cur, attempt_id, "failed", error, now)
            for asset in assets:
                # Upsert that keeps materialization_id: the last good version stays known.
                cur.execute(
                    "INSERT INTO heads (asset, materialization_id, status, error, updated_at) "
                    "VALUES (?, NULL, 'failed', ?, ?) ON CONFLICT (asset) DO UPDATE SET "
                    "status = 'failed', error = excluded.error, updated_at = excluded.updated_at",
                    (asset, error, now),
                )
            _insert_checks(cur, attempt_id, check_results)
            cur.execute("DELETE FROM publish_journal WHERE attempt_id = ?", (attempt_id,))

    def record_publish_journal(self, journal: PublishJournal) -> None:
        body = journal_to_json(journal)
        with self._guard(), self._write() as cur:
            self._require_running(cur, journal.attempt_id)
            cur.execute(
                "INSERT OR REPLACE INTO publish_journal (attempt_id, node, body) VALUES (?, ?, ?)",
                (journal.attempt_id, journal.node, body),
            )

    def publish_journals(self) -> list[PublishJournal]:
        with self._read() as cur:
            rows = cur.execute(
                "SELECT attempt_id, node, body FROM publish_journal ORDER BY attempt_id"
            ).fetchall()
        return [journal_from_json(*row) for row in rows]

    def discard_publish_journal(self, attempt_id: int) -> None:
        with self._guard(), self._write() as cur:
            cur.execute("DELETE FROM publish_journal WHERE attempt_id = ?", (attempt_id,))

    def heads(
        self, assets: Iterable[str] | None = None, *, include_parts: bool = True
    ) -> dict[str, Head]:
        query = _HEADS_QUERY if include_parts else _HEADS_QUERY_NO_PARTS
        with self._read() as cur:
            if assets is None:
                rows = cur.execute(query).fetchall()
            else:
                names = json.dumps(list(assets))
                rows = cur.execute(
                    query + " WHERE h.asset IN (SELECT value FROM json_each(?))", (names,)
                ).fetchall()
        return heads_from_rows(rows, include_parts)

    def generation(self) -> str | None:
        with self._read() as cur:
            return _generation(cur)

    def record_transitions(self, transitions: Sequence[Transition]) -> None:
        with self._guard(), self._write() as cur:
            cur.executemany(
                "INSERT INTO transitions (asset, status, reason, at, reason_kind) "
                "VALUES (?, ?, ?, ?, ?)",
                [(t.asset, t.status, t.reason, t.at, t.reason_kind) for t in transitions],
            )

    def transitions(self, asset: str | None = None, since: float | None = None) -> list[Transition]:
        query = "SELECT asset, status, reason, at, reason_kind FROM transitions WHERE 1 = 1"
        args: list[Any] = []
        if asset is not None:
            query += " AND asset = ?"
            args.append(asset)
        if since is not None:
            query += " AND at >= ?"
            args.append(since)
        with self._read() as cur:
            rows = cur.execute(query + " ORDER BY at, id", args).fetchall()
        return [Transition.read_back(*row) for row in rows]

    def last_statuses(self) -> dict[str, str]:
        query = (
            "SELECT asset, status FROM transitions WHERE id IN "
            "(SELECT MAX(id) FROM transitions GROUP BY asset)"
        )
        with self._read() as cur:
            return dict(cur.execute(query).fetchall())

    def abort_running_attempts(self) -> list[Attempt]:
        now = time.time()
        with self._guard(), self._write() as cur:
            ids = [r[0] for r in cur.execute("SELECT id FROM attempts WHERE status = 'running'")]
            for attempt_id in ids:
                _finish_attempt(cur, attempt_id, "aborted", ABORTED_MESSAGE, now)
            rows = cur.execute(
                f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE id IN "
                "(SELECT value FROM json_each(?)) ORDER BY id",
                (json.dumps(ids),),
            ).fetchall()
        return [Attempt(*row) for row in rows]

    def abort_attempt(self, attempt_id: int, reason: str) -> None:
        with self._guard(), self._write() as cur:
            cur.execute(
                "UPDATE attempts SET status = 'aborted', error = ?, finished_at = ? "
                "WHERE id = ? AND status = 'running'",
                (reason, time.time(), attempt_id),
            )

    def attempts(self, run_id: str | None = None) -> list[Attempt]:
        query = f"SELECT {_ATTEMPT_COLUMNS} FROM attempts"
        with self._read() as cur:
            if run_id is None:
                rows = cur.execute(query + " ORDER BY id").fetchall()
            else:
                rows = cur.execute(query + " WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()
        return [Attempt(*row) for row in rows]

    def record_run(self, record: RunRecord) -> None:
        with self._guard(), self._write() as cur:
            cur.execute(
                f"INSERT OR REPLACE INTO runs ({RUN_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                run_values(record),
            )

    def finish_run(self, run_id: str, finished_at: float, status: str) -> None:
        with self._guard(), self._write() as cur:
            cur.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
                (finished_at, status, run_id),
            )

    def run_record(self, run_id: str) -> RunRecord | None:
        with self._read() as cur:
            row = cur.execute(
                f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return None if row is None else run_from_row(row)

    def runs(self, limit: int = 50) -> list[RunRecord]:
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [run_from_row(row) for row in rows]

    def run_materializations(self, run_id: str) -> list[Materialization]:
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {MATERIALIZATION_COLUMNS} FROM materializations m "
                "WHERE m.run_id = ? ORDER BY m.id",
                (run_id,),
            ).fetchall()
        return [materialization_from_row(row) for row in rows]

    def materializations_of(self, asset: str, limit: int = 100) -> list[Materialization]:
        with self._read() as cur:
            rows = cur.execute(
                f"SELECT {MATERIALIZATION_COLUMNS} FROM materializations m "
                "WHERE m.asset = ? ORDER BY m.id DESC LIMIT ?",
                (asset, limit),
            ).fetchall()
        return [materialization_from_row(row) for row in rows]

    def record_check_results(self, check_results: Sequence[CheckResult]) -> None:
        with self._guard(), self._write() as cur:
            _insert_checks(cur, None, check_results)

    def latest_check_results(self, asset: str) -> list[CheckResult]:
        with self._read() as cur:
            rows = cur.execute(
                "SELECT asset, check_name, severity, passed, message, checked_at, spec_hash "
                "FROM check_results WHERE id IN (SELECT max(id) FROM check_results "
                "WHERE asset = ? GROUP BY spec_hash) ORDER BY id",
                (asset,),
            ).fetchall()
        return [CheckResult(a, c, s, bool(p), msg, at, h) for (a, c, s, p, msg, at, h) in rows]

    def record_source_observation(
        self,
        asset: str,
        version: str,
        signature: dict[str, Any] | None,
        first_seen: float,
        observed_at: float | None = None,
    ) -> None:
        seen = time.time() if observed_at is None else observed_at
        with self._guard(), self._write() as cur:
            _insert_source(cur, asset, version, signature, first_seen, seen)

    def refresh_signature(
        self, asset: str, run_id: str, version: str, signature: dict[str, Any]
    ) -> None:
        with self._guard(), self._write() as cur:
            _update_signature(cur, asset, run_id, version, signature)

    def record_looked_at(
        self,
        sources: Sequence[tuple[str, str, dict[str, Any] | None, float]],
        signatures: Sequence[tuple[str, str, str, dict[str, Any]]],
        observed_at: float,
        expected_generation: str | None,
    ) -> str | None:
        # One transaction: the generation read at its start tells whether anyone else wrote
        # since the evaluation read the state; the one read at its end is then ours alone.
        with self._guard(), self._write() as cur:
            before = _generation(cur)
            for name, version, signature, first_seen in sources:
                _insert_source(cur, name, version, signature, first_seen, observed_at)
            for asset, run_id, version, found in signatures:
                _update_signature(cur, asset, run_id, version, found)
            after = _generation(cur)
        return after if before is not None and before == expected_generation else None

    def source_observations(
        self, assets: Iterable[str] | None = None
    ) -> dict[str, SourceObservation]:
        query = "SELECT asset, version, signature, first_seen, observed_at FROM sources"
        with self._read() as cur:
            if assets is None:
                rows = cur.execute(query).fetchall()
            else:
                rows = cur.execute(
                    query + " WHERE asset IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(assets)),),
                ).fetchall()
        return {
            a: SourceObservation(a, v, from_json(sig), first, seen)
            for (a, v, sig, first, seen) in rows
        }

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite errors into StateError naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise state_error(self.path, exc) from exc

    @staticmethod
    def _require_running(cur: sqlite3.Cursor, attempt_id: int) -> None:
        row = cur.execute("SELECT status FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        if row is None or row[0] != "running":
            raise not_running(attempt_id, None if row is None else row[0])


def _generation(cur: sqlite3.Cursor) -> str | None:
    query = "SELECT key, value FROM meta WHERE key IN ('store_id', 'generation')"
    rows = dict(cur.execute(query).fetchall())
    if len(rows) != 2:
        return None
    return f"{rows['store_id']}:{rows['generation']}"


def _insert_source(
    cur: sqlite3.Cursor,
    asset: str,
    version: str,
    signature: dict[str, Any] | None,
    first_seen: float,
    observed_at: float,
) -> None:
    cur.execute(
        "INSERT OR REPLACE INTO sources (asset, version, signature, first_seen, observed_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (asset, version, to_json(signature, asset), first_seen, observed_at),
    )


def _update_signature(
    cur: sqlite3.Cursor, asset: str, run_id: str, version: str, signature: dict[str, Any]
) -> None:
    cur.execute(
        "UPDATE materializations SET signature = ? WHERE run_id = ? AND version = ? "
        "AND id = (SELECT materialization_id FROM heads WHERE asset = ?)",
        (to_json(signature, asset), run_id, version, asset),
    )


def _insert_checks(
    cur: sqlite3.Cursor, attempt_id: int | None, results: Sequence[CheckResult]
) -> None:
    if not results:
        return
    cur.executemany(
        "INSERT INTO check_results (attempt_id, asset, check_name, severity, passed, message, "
        "checked_at, spec_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (attempt_id, r.asset, r.check, r.severity, int(r.passed), r.message, r.checked_at,
             r.spec_hash)
            for r in results
        ],
    )  # fmt: skip


def _finish_attempt(
    cur: sqlite3.Cursor, attempt_id: int, status: str, error: str | None, now: float
) -> None:
    """End a running attempt (first in its transaction: an attempt that is no longer
    running, because another run took this one for dead, refuses the whole write)."""
    cur.execute(
        "UPDATE attempts SET status = ?, error = ?, finished_at = ? "
        "WHERE id = ? AND status = 'running'",
        (status, error, now, attempt_id),
    )
    if cur.rowcount != 1:
        row = cur.execute("SELECT status FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        raise not_running(attempt_id, None if row is None else row[0])
