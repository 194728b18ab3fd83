"""The run lock of a PostgreSQL state store: a session advisory lock, so machines take turns.

The lock belongs to one database session held open for the run: when its process ends, even
killed with -9, the server ends the session and the lock is free at once, with no stale lock
to break (a machine that vanishes without closing its connection frees it once the server's
TCP keepalive gives up on it). Who holds it is written to the store's ``run_lock`` row so a
waiting run can say whom it waits for, with the same words as the file lock.

Example::

    with AdvisoryLock(url, schema, run_id, on_wait=print_waiting):
        run_the_pipeline()
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aether.errors import LockError
from aether.state.lock import LockHolder
from aether.state.pg_connection import describe_server, driver_errors, open_connection
from aether.state.postgres_schema import advisory_key


class AdvisoryLock:
    """The run lock of the store in ``schema`` of the database at ``url``; waits, times out
    and tells ``on_wait`` as :class:`aether.state.lock.ProjectLock` does."""

    def __init__(
        self,
        url: str,
        schema: str,
        run_id: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        on_wait: Callable[[LockHolder], None] | None = None,
        poll_interval: float = 0.2,
    ) -> None:
        self.url = url
        self.schema = schema
        self.run_id = run_id
        self.wait = wait
        self.timeout = timeout
        self.on_wait = on_wait
        self.poll_interval = poll_interval
        self.key = advisory_key("run", schema)
        self.held = False
        self._conn: Any = None

    def acquire(self) -> None:
        """Take the lock, waiting or raising LockError as configured."""
        self._conn = open_connection(self.url)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        try:
            while not self._try():
                holder = self._holder()
                if not self.wait or (deadline is not None and time.monotonic() >= deadline):
                    who = holder.describe() if holder else "another run"
                    waited = "" if not self.wait else f" after waiting {self.timeout:g}s"
                    raise LockError(
                        f"The project's shared state at {describe_server(self.url)} is locked "
                        f"by {who}{waited}",
                        hint="wait for it to finish: the lock frees itself when that run ends, "
                        "even if it is killed",
                    )
                if holder is not None and not told and self.on_wait is not None:
                    self.on_wait(holder)
                    told = True
                time.sleep(self.poll_interval)
            self._write_holder()
        except driver_errors() as exc:
            self._close()
            raise LockError(
                f"Lost the PostgreSQL state store at {describe_server(self.url)} while taking "
                f"the run lock ({type(exc).__name__})",
                hint="check the server and run again",
            ) from None
        except BaseException:
            self._close()
            raise
        self.held = True

    def release(self) -> None:
        """Give the lock back (ending the session frees it in any case)."""
        if not self.held:
            return
        self.held = False
        try:
            with contextlib.suppress(Exception):  # ending the session frees the lock anyway
                with self._conn.transaction():
                    self._conn.execute(
                        f'DELETE FROM "{self.schema}".run_lock WHERE run_id = %s', (self.run_id,)
                    )
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        finally:
            self._close()

    def __enter__(self) -> AdvisoryLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _try(self) -> bool:
        # Autocommit: a session lock outlives its statement, and no snapshot is held.
        got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).scalar()
        return bool(got)

    def _holder(self) -> LockHolder | None:
        """Who wrote the holder row, if the session that holds the lock is still the one
        that wrote it (a holder killed before writing leaves the previous run's row)."""
        row = self._conn.execute(
            f'SELECT r.pid, r.host, r.run_id, r.started_at FROM "{self.schema}".run_lock r '
            "JOIN pg_locks l ON l.pid = r.backend_pid AND l.locktype = 'advisory' "
            "AND l.granted AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.objsubid = 1",
            # pg_locks shows a bigint key as its high and low 32 bits, unsigned.
            ((self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF),
        ).first()
        if row is None:
            return None
        pid, host, run_id, started_at = row
        return LockHolder(int(pid), str(host), str(run_id), float(started_at))

    def _write_holder(self) -> None:
        with self._conn.transaction():
            self._conn.execute(
                f'INSERT INTO "{self.schema}".run_lock '
                "(only_row, pid, host, run_id, started_at, backend_pid) "
                "VALUES (1, %s, %s, %s, %s, pg_backend_pid()) ON CONFLICT (only_row) DO UPDATE "
                "SET pid = excluded.pid, host = excluded.host, run_id = excluded.run_id, "
                "started_at = excluded.started_at, backend_pid = excluded.backend_pid",
                (os.getpid(), socket.gethostname(), self.run_id, time.time()),
            )

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a dead connection: nothing to release
                self._conn.close()
            self._conn = None
