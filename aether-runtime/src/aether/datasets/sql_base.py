"""What `SQLTableDataSet` and `SQLQueryDataSet` share: reading rows into a DataFrame, and how
the staleness engine notices that a table or a query's result changed.

Staleness, cheapest first:

- `signature()`: the result of `version_query:` when the entry gives one (such as
  `select max(updated_at) from orders`); else, on PostgreSQL, a checksum computed in the
  database (row count and the sum of one 64-bit hash per row, taken from the md5 of the
  row's text: nothing is downloaded or sorted) and the columns' names and types; else None
  (cannot tell cheaply).
- `content_hash()`: a hash of every row, read and sorted here, only when there are at most
  :data:`CONTENT_HASH_ROW_LIMIT` rows (they are counted first); else None.
"""

from __future__ import annotations

import contextlib
import hashlib
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from aether.datasets.base import AbstractDataSet
from aether.datasets.sql_connection import SQLConnection
from aether.datasets.sql_params import BoundQuery, bind_parameters

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, CursorResult
    from typing_extensions import Unpack

    # What a statement gives back: rows of any number of columns of any type.
    Rows: TypeAlias = CursorResult[Unpack[tuple[Any, ...]]]

CONTENT_HASH_ROW_LIMIT = 100_000
"""Above this many rows a content hash is not computed (it would download the data)."""

# The sum of one 64-bit hash per row: no sort and constant memory on the server (a sorted
# string_agg of row hashes would sort the table and stop at PostgreSQL's 1 GB text limit).
_POSTGRES_CHECKSUM = (
    "SELECT count(*), coalesce(sum(('x' || substr(md5(CAST(aether_q AS text)), 1, 16))"
    "::bit(64)::bigint), 0) FROM ({query}) AS aether_q"
)
_COUNT = "SELECT count(*) FROM ({query}) AS aether_q"
_NO_ROWS = "SELECT * FROM ({query}) AS aether_q LIMIT 0"
_OBSERVE_HINT = "check that the database is reachable and the table or query is valid"


class SQLDataSetBase(AbstractDataSet):
    """Base of the SQL datasets: a connection, rows read with pandas, cheap signatures.

    Subclasses say which rows are the data (`_query()`) and whether they are there.

    Args:
        credentials: `{con: <SQLAlchemy URL>}`.
        load_args: Passed to `pandas.read_sql` (`parse_dates`, `dtype`, `chunksize`...).
        version_query: SQL returning one value that changes whenever the data does; may use
            `${params:...}` (bound, never pasted).
        run_parameters: The run's parameters, given by the catalog, for `${params:...}`.
        metadata: Free-form information for readers; ignored by the dataset.
    """

    def __init__(
        self,
        *,
        credentials: Mapping[str, Any] | None,
        load_args: Mapping[str, Any] | None,
        version_query: str | None,
        run_parameters: Mapping[str, Any] | None,
        metadata: Mapping[str, Any] | None,
    ) -> None:
        kind = type(self).__name__
        self._connection = SQLConnection(credentials, kind)
        self._load_args = dict(load_args or {})
        self._run_parameters = run_parameters
        self._version_query = (
            bind_parameters(version_query, run_parameters, f"{kind} `version_query:`")
            if version_query
            else None
        )
        self.metadata = dict(metadata or {})

    @abstractmethod
    def _query(self) -> BoundQuery:
        """The SELECT whose rows are the dataset's data."""

    def _readable(self, connection: Connection) -> bool:
        """Whether the rows can be read now (a table that does not exist yet cannot)."""
        return True

    @property
    def content_hash_is_costly(self) -> bool:
        """True: hashing the content reads every row over the network."""
        return True

    def _load(self) -> Any:
        import pandas as pd
        from sqlalchemy import text

        query = self._query()
        with self._connection.connect(self.name) as connection:
            if not query.values:  # the text as written: see _execute
                return pd.read_sql(query.sql, connection, **self._load_args)
            return pd.read_sql(
                text(query.sql), connection, params=dict(query.values), **self._load_args
            )

    def signature(self) -> dict[str, Any] | None:
        """`{"version_query": <its result>}`, else a PostgreSQL checksum, else None.

        Returns:
            A JSON-able dict, or None when it cannot be told cheaply (or there is no data).
        """
        with self._observing() as connection:
            if not self._readable(connection):
                return None
            if self._version_query is not None:
                value = _scalar(connection, self._version_query)
                return {"version_query": None if value is None else str(value)}
            if self._connection.backend == "postgresql":
                return _postgres_checksum(connection, self._query())
        return None

    def content_hash(self) -> str | None:
        """A hash of every row (sorted) and the column names, up to the row limit.

        Returns:
            `"sha256:<hex>"`, or None when there are more than `CONTENT_HASH_ROW_LIMIT`
                rows or no data.
        """
        with self._observing() as connection:
            if not self._readable(connection):
                return None
            query = self._query()
            if _scalar(connection, query.wrapped(_COUNT)) > CONTENT_HASH_ROW_LIMIT:
                return None
            return _rows_hash(connection, query)

    @contextlib.contextmanager
    def _observing(self) -> Iterator[Connection]:
        """A connection for a look at the data; a failure names the dataset."""
        with (
            self._reported("observe", _OBSERVE_HINT),
            self._connection.connect(self.name) as connection,
        ):
            yield connection

    def _describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"database": self._connection.location()}
        if self._version_query is not None:
            described["version_query"] = self._version_query.sql
        return described


def _execute(connection: Connection, query: BoundQuery) -> Rows:
    """Run ``query``: through SQLAlchemy's ``text()`` when it has values to bind, else as
    written. ``text()`` doubles each ``%`` for a driver taking ``%s`` parameters, which
    undoes it only when there are parameters: a table named ``we%ird`` would be asked for
    as ``we%%ird``, and a ``:word`` in a quoted name read as a parameter."""
    from sqlalchemy import text

    if not query.values:
        return connection.exec_driver_sql(query.sql)
    return connection.execute(text(query.sql), dict(query.values))


def _scalar(connection: Connection, query: BoundQuery) -> Any:
    return _execute(connection, query).scalar()


def _postgres_checksum(connection: Connection, query: BoundQuery) -> dict[str, Any]:
    checksum = query.wrapped(_POSTGRES_CHECKSUM)
    rows, digest = _execute(connection, checksum).one()
    # A row's text hides its columns' names and types: a renamed or retyped column (1 and
    # '1' print alike) would leave the checksum as it was. No rows read for these.
    shape = query.wrapped(_NO_ROWS)
    result = _execute(connection, shape)
    columns = [[column[0], str(column[1])] for column in result.cursor.description]
    result.close()
    return {"rows": int(rows), "checksum": str(digest), "columns": columns}


def _rows_hash(connection: Connection, query: BoundQuery) -> str:
    result = _execute(connection, query)
    # Sorted: a database returns rows in any order it likes when none is asked for.
    rows = sorted(repr(tuple(row)) for row in result)
    digest = hashlib.sha256(repr(list(result.keys())).encode())
    for row in rows:
        digest.update(b"\n" + row.encode())
    return f"sha256:{digest.hexdigest()}"
