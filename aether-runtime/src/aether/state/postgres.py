"""The state store in a PostgreSQL database, shared by every machine that runs the project.

Each project, environment and namespace has its own schema (aether.state.location names it),
made or upgraded on open under a transaction advisory lock, so two machines opening a new
store at once make it once. Every write is one transaction that first locks the store's
generation row: writers take turns, as SQLite's ``BEGIN IMMEDIATE`` makes them, and an
attempt aborted by another machine can never be committed half. Reads are single statements.

Needs the ``postgres`` extra (psycopg, through aether.state.pg_connection); the URL's
password is never shown: messages name the host, port and database only.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

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
from aether.state.pg_connection import (
    PgConnection,
    describe_server,
    driver_errors,
    open_connection,
    reason,
)
from aether.state.postgres_schema import (
    CREATE,
    CREATED_AT_VERSION,
    MIGRATIONS,
    PG_SCHEMA_VERSION,
    advisory_key,
    statements,
)
from aether.state.rows import (
    MATERIALIZATION_COLUMNS,
    RUN_COLUMNS,
    columns_to_json,
    heads_from_rows,
    materialization_from_row,
    run_from_row,
    run_values,
)
from aether.state.schema import refuse_newer
from aether.state.sqlite_errors import not_running

_ATTEMPT_COLUMNS = "id, run_id, node, started_at, finished_at, status, error"


class PostgresStateStore(StateStore):
    """The state store in ``schema`` of the PostgreSQL database at ``url``.

    Thread-safe within a process (one connection behind a lock); safe across processes
    and machines.
    """

    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.schema = schema
        self.server = describe_server(url)
        self._quoted = f'"{schema}"'
        self._lock = threading.Lock()
        self._conn: PgConnection | None = open_connection(url)
        try:
            with self._guard():
                self._prepare()
        except BaseException:
            self.close()
            raise

    def _prepare(self) -> None:
        conn = self._live
        with conn.transaction():
            # Two machines opening a new store at once: the second waits, then finds it made.
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s)", (advisory_key("migrate", self.schema),)
            )
            made = conn.execute("SELECT to_regclass(%s)", (f"{self._quoted}.meta",)).scalar()
            if made is None:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._quoted}")
                for statement in statements(CREATE, self._quoted):
                    conn.execute(statement)
                version = CREATED_AT_VERSION
                conn.execute(
                    f"INSERT INTO {self._quoted}.meta (key, value) VALUES ('schema_version', %s)",
                    (str(version),),
                )
            else:
                version = int(
                    conn.execute(
                        f"SELECT value FROM {self._quoted}.meta WHERE key = 'schema_version'"
                    ).scalar()
                    or 0
                )
            refuse_newer(version, f"The PostgreSQL state store {self.shown}")
            for target in sorted(v for v in MIGRATIONS if v > version):
                for statement in statements(MIGRATIONS[target], self._quoted):
                    conn.execute(statement)
            if version < PG_SCHEMA_VERSION:
                conn.execute(
                    f"UPDATE {self._quoted}.meta SET value = %s WHERE key = 'schema_version'",
                    (str(PG_SCHEMA_VERSION),),
                )
            conn.execute(f"SET search_path TO {self._quoted}")
        # `SET` inside the transaction lasts for the session once it is committed.

    @property
    def shown(self) -> str:
        return f"{self.server} (schema {self.schema})"

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One transaction that first locks the generation row: writers take turns."""
        with self._lock, self._guard(), self._live.transaction() as conn:
            conn.execute("SELECT value FROM meta WHERE key = 'generation' FOR UPDATE")
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Any]:
        with self._lock, self._guard(), self._live.transaction() as conn:
            yield conn

    @property
    def _live(self) -> PgConnection:
        if self._conn is None:
            raise StateError(
                f"The PostgreSQL state store {self.shown} is closed",
                hint="this is a bug in the caller: open the store again",
            )
        return self._conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn the driver's errors into StateError naming the server (never the URL)."""
        try:
            yield
        except driver_errors() as exc:
            raise StateError(
                f"The PostgreSQL state store {self.shown} failed: {reason(exc)}",
                hint="check the server and the connection, then run again (nothing of the "
                "failed write was recorded)",
            ) from None

    def begin_attempt(self, run_id: str, node: str) -> int:
        with self._write() as conn:
            return int(
                conn.execute(
                    "INSERT INTO attempts (run_id, node, started_at, status) "
                    "VALUES (%s, %s, %s, 'running') RETURNING id",
                    (run_id, node, time.time()),
                ).scalar()
            )

    def commit_node(
        self,
        attempt_id: int,
        materializations: Sequence[Materialization],
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        now = time.time()
        with self._write() as conn:
            _finish_attempt(conn, attempt_id, "succeeded", None, now)
            for m in materializations:
                made = conn.execute(
                    "INSERT INTO materializations (attempt_id, asset, node, run_id, started_at, "
                    "finished_at, fingerprint, parts, version, signature, data_time, "
                    "data_columns) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (attempt_id, m.asset, m.node, m.run_id, m.started_at, m.finished_at,
                     m.fingerprint, to_json(m.parts, m.asset), m.version,
                     to_json(m.signature, m.asset), m.data_time, columns_to_json(m.columns)),
                ).scalar()  # fmt: skip
                conn.execute(
                    "INSERT INTO heads (asset, materialization_id, status, error, updated_at) "
                    "VALUES (%s, %s, 'ok', NULL, %s) ON CONFLICT (asset) DO UPDATE SET "
                    "materialization_id = excluded.materialization_id, status = 'ok', "
                    "error = NULL, updated_at = excluded.updated_at",
                    (m.asset, made, now),
                )
            _insert_checks(conn, attempt_id, check_results)
            conn.execute("DELETE FROM publish_journal WHERE attempt_id = %s", (attempt_id,))

    def fail_node(
        self,
        attempt_id: int,
        assets: Iterable[str],
        error: str,
        check_results: Sequence[CheckResult] = (),
    ) -> None:
        now = time.time()
        with self._write() as conn:
            _finish_attempt(conn, attempt_id, "failed", error, now)
            for asset in assets:
                conn.execute(
                    "INSERT INTO heads (asset, materialization_id, status, error, updated_at) "
                    "VALUES (%s, NULL, 'failed', %s, %s) ON CONFLICT (asset) DO UPDATE SET "
                    "status = 'failed', error = excluded.error, updated_at = excluded.updated_at",
                    (asset, error, now),
                )
            _insert_checks(conn, attempt_id, check_results)
            conn.execute("DELETE FROM publish_journal WHERE attempt_id = %s", (attempt_id,))

    def record_publish_journal(self, journal: PublishJournal) -> None:
        body = journal_to_json(journal)
        with self._write() as conn:
            row = conn.execute(
                "SELECT status FROM attempts WHERE id = %s", (journal.attempt_id,)
            ).first()
            if row is None or row[0] != "running":
                raise not_running(journal.attempt_id, None if row is None else row[0])
            conn.execute(
                "INSERT INTO publish_journal (attempt_id, node, body) VALUES (%s, %s, %s) "
                "ON CONFLICT (attempt_id) DO UPDATE SET node = excluded.node, body = excluded.body",
                (journal.attempt_id, journal.node, body),
            )

    def publish_journals(self) -> list[PublishJournal]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT attempt_id, node, body FROM publish_journal ORDER BY attempt_id"
            ).all()
        return [journal_from_json(int(a), n, b) for a, n, b in rows]

    def discard_publish_journal(self, attempt_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM publish_journal WHERE attempt_id = %s", (attempt_id,))

    def heads(
        self, assets: Iterable[str] | None = None, *, include_parts: bool = True
    ) -> dict[str, Head]:
        columns = MATERIALIZATION_COLUMNS
        if not include_parts:  # the longest columns, only when needed
            columns = columns.replace("m.parts", "NULL").replace("m.data_columns", "NULL")
        query = (
            f"SELECT h.asset, h.status, h.error, h.updated_at, {columns} "
            "FROM heads h LEFT JOIN materializations m ON m.id = h.materialization_id"
        )
        with self._read() as conn:
            if assets is None:
                rows = conn.execute(query).all()
            else:
                rows = conn.execute(query + " WHERE h.asset = ANY(%s)", (list(assets),)).all()
        return heads_from_rows([tuple(row) for row in rows], include_parts)

    def generation(self) -> str | None:
        with self._read() as conn:
            return _generation(conn)

    def record_transitions(self, transitions: Sequence[Transition]) -> None:
        if not transitions:
            return
        with self._write() as conn:
            conn.execute(
                "INSERT INTO transitions (asset, status, reason, at, reason_kind) "
                "VALUES (%s, %s, %s, %s, %s)",
                # str() of a Word is its value; psycopg would not adapt the enum itself.
                [(t.asset, str(t.status), t.reason, t.at,
                  None if t.reason_kind is None else str(t.reason_kind))
                 for t in transitions],
            )  # fmt: skip

    def transitions(self, asset: str | None = None, since: float | None = None) -> list[Transition]:
        query = "SELECT asset, status, reason, at, reason_kind FROM transitions WHERE TRUE"
        args: list[Any] = []
        if asset is not None:
            query += " AND asset = %s"
            args.append(asset)
        if since is not None:
            query += " AND at >= %s"
            args.append(since)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY at, id", tuple(args)).all()
        return [Transition.read_back(*row) for row in rows]

    def last_statuses(self) -> dict[str, str]:
        query = (
            "SELECT asset, status FROM transitions WHERE id IN "
            "(SELECT MAX(id) FROM transitions GROUP BY asset)"
        )
        with self._read() as conn:
            return {asset: status for asset, status in conn.execute(query).all()}

    def abort_running_attempts(self) -> list[Attempt]:
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE attempts SET status = 'aborted', error = %s, finished_at = %s "
                f"WHERE status = 'running' RETURNING {_ATTEMPT_COLUMNS}",
                (ABORTED_MESSAGE, time.time()),
            ).all()
        return sorted((_attempt(row) for row in rows), key=lambda attempt: attempt.id)

    def abort_attempt(self, attempt_id: int, reason: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE attempts SET status = 'aborted', error = %s, finished_at = %s "
                "WHERE id = %s AND status = 'running'",
                (reason, time.time(), attempt_id),
            )

    def attempts(self, run_id: str | None = None) -> list[Attempt]:
        query = f"SELECT {_ATTEMPT_COLUMNS} FROM attempts"
        with self._read() as conn:
            if run_id is None:
                rows = conn.execute(query + " ORDER BY id").all()
            else:
                rows = conn.execute(query + " WHERE run_id = %s ORDER BY id", (run_id,)).all()
        return [_attempt(row) for row in rows]

    def record_run(self, record: RunRecord) -> None:
        updates = ", ".join(f"{name} = excluded.{name}" for name in RUN_COLUMNS.split(", ")[1:])
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO runs ({RUN_COLUMNS}) VALUES ({', '.join(['%s'] * 12)}) "
                f"ON CONFLICT (run_id) DO UPDATE SET {updates}",
                run_values(record),
            )

    def finish_run(self, run_id: str, finished_at: float, status: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET finished_at = %s, status = %s WHERE run_id = %s",
                (finished_at, status, run_id),
            )

    def run_record(self, run_id: str) -> RunRecord | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = %s", (run_id,)
            ).first()
        return None if row is None else run_from_row(tuple(row))

    def runs(self, limit: int = 50) -> list[RunRecord]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT %s",
                (limit,),
            ).all()
        return [run_from_row(tuple(row)) for row in rows]

    def run_materializations(self, run_id: str) -> list[Materialization]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {MATERIALIZATION_COLUMNS} FROM materializations m "
                "WHERE m.run_id = %s ORDER BY m.id",
                (run_id,),
            ).all()
        return [materialization_from_row(tuple(row)) for row in rows]

    def materializations_of(self, asset: str, limit: int = 100) -> list[Materialization]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {MATERIALIZATION_COLUMNS} FROM materializations m "
                "WHERE m.asset = %s ORDER BY m.id DESC LIMIT %s",
                (asset, limit),
            ).all()
        return [materialization_from_row(tuple(row)) for row in rows]

    def record_check_results(self, check_results: Sequence[CheckResult]) -> None:
        with self._write() as conn:
            _insert_checks(conn, None, check_results)

    def latest_check_results(self, asset: str) -> list[CheckResult]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT asset, check_name, severity, passed, message, checked_at, spec_hash "
                "FROM check_results WHERE id IN (SELECT max(id) FROM check_results "
                "WHERE asset = %s GROUP BY spec_hash) ORDER BY id",
                (asset,),
            ).all()
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
        with self._write() as conn:
            _upsert_source(conn, asset, version, signature, first_seen, seen)

    def refresh_signature(
        self, asset: str, run_id: str, version: str, signature: dict[str, Any]
    ) -> None:
        with self._write() as conn:
            _update_signature(conn, asset, run_id, version, signature)

    def record_looked_at(
        self,
        sources: Sequence[tuple[str, str, dict[str, Any] | None, float]],
        signatures: Sequence[tuple[str, str, str, dict[str, Any]]],
        observed_at: float,
        expected_generation: str | None,
    ) -> str | None:
        # One transaction holding the generation row: what it reads first is what the
        # evaluation saw if nobody wrote since, and what it reads last is ours alone.
        with self._write() as conn:
            before = _generation(conn)
            for name, version, signature, first_seen in sources:
                _upsert_source(conn, name, version, signature, first_seen, observed_at)
            for asset, run_id, version, found in signatures:
                _update_signature(conn, asset, run_id, version, found)
            after = _generation(conn)
        return after if before is not None and before == expected_generation else None

    def source_observations(
        self, assets: Iterable[str] | None = None
    ) -> dict[str, SourceObservation]:
        query = "SELECT asset, version, signature, first_seen, observed_at FROM sources"
        with self._read() as conn:
            if assets is None:
                rows = conn.execute(query).all()
            else:
                rows = conn.execute(query + " WHERE asset = ANY(%s)", (list(assets),)).all()
        return {
            a: SourceObservation(a, v, from_json(sig), first, seen)
            for (a, v, sig, first, seen) in rows
        }

    def close(self) -> None:
        with self._lock:
            conn = getattr(self, "_conn", None)
            if conn is not None:
                with contextlib.suppress(Exception):  # a dead connection: nothing to release
                    conn.close()
                self._conn = None


def _generation(conn: Any) -> str | None:
    rows = dict(
        conn.execute("SELECT key, value FROM meta WHERE key IN ('store_id', 'generation')").all()
    )
    if len(rows) != 2:
        return None
    return f"{rows['store_id']}:{rows['generation']}"


def _attempt(row: Any) -> Attempt:
    attempt_id, run_id, node, started, finished, status, error = row
    return Attempt(int(attempt_id), run_id, node, started, finished, status, error)


def _upsert_source(
    conn: Any,
    asset: str,
    version: str,
    signature: dict[str, Any] | None,
    first_seen: float,
    observed_at: float,
) -> None:
    conn.execute(
        "INSERT INTO sources (asset, version, signature, first_seen, observed_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (asset) DO UPDATE SET "
        "version = excluded.version, signature = excluded.signature, "
        "first_seen = excluded.first_seen, observed_at = excluded.observed_at",
        (asset, version, to_json(signature, asset), first_seen, observed_at),
    )


def _update_signature(
    conn: Any, asset: str, run_id: str, version: str, signature: dict[str, Any]
) -> None:
    conn.execute(
        "UPDATE materializations SET signature = %s WHERE run_id = %s AND version = %s "
        "AND id = (SELECT materialization_id FROM heads WHERE asset = %s)",
        (to_json(signature, asset), run_id, version, asset),
    )


def _insert_checks(conn: Any, attempt_id: int | None, results: Sequence[CheckResult]) -> None:
    if not results:
        return
    conn.execute(
        "INSERT INTO check_results (attempt_id, asset, check_name, severity, passed, message, "
        "checked_at, spec_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (attempt_id, r.asset, r.check, r.severity, int(r.passed), r.message, r.checked_at,
             r.spec_hash)
            for r in results
        ],
    )  # fmt: skip


def _finish_attempt(conn: Any, attempt_id: int, status: str, error: str | None, now: float) -> None:
    """End a running attempt (first in its transaction: one no longer running refuses the
    whole write)."""
    done = conn.execute(
        "UPDATE attempts SET status = %s, error = %s, finished_at = %s "
        "WHERE id = %s AND status = 'running'",
        (status, error, now, attempt_id),
    )
    if done.rowcount != 1:
        row = conn.execute("SELECT status FROM attempts WHERE id = %s", (attempt_id,)).first()
        raise not_running(attempt_id, None if row is None else row[0])
