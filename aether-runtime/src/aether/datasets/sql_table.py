"""`SQLTableDataSet`: a database table read into, and written from, a pandas DataFrame.

Publishing is atomic. The new contents are first written to a staging table in the same
schema (`_aether_stage_<owner>_<8 hex>`, the owner standing for this project's entry);
publishing then, in ONE transaction, replaces the target's rows with the staging table's
(the table itself is kept, so views and grants on it survive), creating the table on first
publish, and drops the staging table. When the column names changed, or the table's column
types would change a value (1.5 into an integer column), the table is dropped and recreated
in that same transaction (PostgreSQL, SQLite and DuckDB roll DDL back too); views on it must
then be recreated, and PostgreSQL refuses to drop a table that views depend on, leaving the
old contents in place. Appending rows the table's types would change fails instead.
An append is done once per node fingerprint: the publish transaction records it in
`_aether_appends` (same schema), so a retry after a kill never adds the rows twice.

On PostgreSQL the publish first takes a transaction-scoped advisory lock on the table's
name, so two projects publishing one table at once take turns and readers see one run's
rows, never both. Before staging, the entry's own staging tables left by an earlier run that
failed or was killed are dropped: only its own, whatever other projects stage beside them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aether.datasets.base import Staged
from aether.datasets.remote import STAGED_TOKEN
from aether.datasets.sql_base import SQLDataSetBase
from aether.datasets.sql_params import BoundQuery
from aether.errors import CatalogError, DataSetError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Row
    from typing_extensions import Unpack

    from aether.datasets.sql_base import Rows

IF_EXISTS_MODES = ("replace", "append", "fail")
_STAGING_PREFIX = "_aether_stage_"
# One row per append committed (`<owner>:<node fingerprint>`), in the table's schema.
APPENDS_TABLE = "_aether_appends"
logger = logging.getLogger("aether.datasets")
# PostgreSQL cuts longer names to 63 bytes without an error: a table would then never be
# found under the name it was created with. Staging names are kept within it on every database.
POSTGRES_NAME_BYTES = 63


class SQLTableDataSet(SQLDataSetBase):
    """A database table, through SQLAlchemy 2 and pandas (`read_sql` / `to_sql`).

    Args:
        table_name: The table's name (quoted as needed: any name works).
        schema: Its schema (PostgreSQL, DuckDB); None for the connection's default.
        credentials: `{con: <SQLAlchemy URL>}`, from credentials.yml.
        load_args: Passed to `pandas.read_sql`.
        save_args: `if_exists` (`replace`, the default; `append`; `fail`: an error if the
            table exists) and what `DataFrame.to_sql` accepts (`dtype`, `chunksize`,
            `index`...).
        version_query: SQL returning one value that changes whenever the table does (e.g.
            `select max(updated_at) from orders`): the cheap signature of the table.
        run_parameters: The run's parameters, passed by the catalog (not written in YAML).
        metadata: Free-form information for readers; ignored by the dataset.

    Raises:
        CatalogError: A bad `con:` URL, a missing driver, or an unknown `if_exists`.

    Example:
        ```yaml
        orders_table:
          type: SQLTableDataSet
          table_name: orders
          credentials: warehouse     # credentials.yml: warehouse: {con: "postgresql+psycopg://..."}
          save_args: {if_exists: replace}
          version_query: select max(updated_at) from orders
        ```
    """

    def __init__(
        self,
        table_name: str,
        schema: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        version_query: str | None = None,
        run_parameters: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(table_name, str) or not table_name:
            raise CatalogError("SQLTableDataSet needs a `table_name:`", hint="e.g. orders")
        super().__init__(
            credentials=credentials,
            load_args=load_args,
            version_query=version_query,
            run_parameters=run_parameters,
            metadata=metadata,
        )
        self._table = table_name
        self._schema = schema
        self._refuse_cut_names()
        self._save_args = {"index": False, **(save_args or {})}
        self._if_exists = self._save_args.pop("if_exists", "replace")
        if self._if_exists not in IF_EXISTS_MODES:
            raise CatalogError(
                f"SQLTableDataSet: save_args.if_exists is '{self._if_exists}'",
                hint=f"use one of: {', '.join(IF_EXISTS_MODES)}",
            )

    def _query(self) -> BoundQuery:
        return BoundQuery(f"SELECT * FROM {self._quoted(self._table)}")

    def _readable(self, connection: Connection) -> bool:
        return self._has_table(connection, self._table)

    def _exists(self) -> bool:
        with self._connection.connect(self.name) as connection:
            return self._has_table(connection, self._table)

    def _save(self, data: Any) -> None:
        staged = self._stage(data)
        try:
            self._publish(staged)
        except BaseException:
            self._discard(staged)
            raise

    def _stage(self, data: Any) -> Staged:
        """Write `data` to a new staging table; the target is untouched."""
        if not hasattr(data, "to_sql"):
            raise DataSetError(
                f"Dataset '{self.name}' (SQLTableDataSet) takes a pandas DataFrame, "
                f"not {type(data).__name__}",
                hint="return a DataFrame from the node",
            )
        self._remove_abandoned_stages()  # what a failed or killed run of ours left
        staging = _staging_name(self.owner)
        if self._connection.backend == "sqlite":
            data = _utc_without_offset(data)
        with self._connection.transaction(self.name) as connection:
            if self._if_exists == "fail" and self._has_table(connection, self._table):
                raise self._table_exists_error()
            data.to_sql(
                staging, connection, schema=self._schema, if_exists="fail", **self._save_args
            )
        return Staged(temporary=staging, target=self._table)

    def _publish(self, staged: Staged) -> None:
        """Put the staging table's rows in the target, and drop it: one transaction."""
        target, staging = self._quoted(staged.target), self._quoted(staged.temporary)
        with self._connection.transaction(self.name) as connection:
            self._take_turns(connection)
            if not self._has_table(connection, staged.temporary):
                raise DataSetError(
                    f"Dataset '{self.name}': its staging table {staged.temporary} is gone",
                    hint="run again: the node is rebuilt",
                )
            if self._if_exists == "append" and self._appended_already(connection):
                logger.warning(
                    "%s: these rows were appended by an interrupted run already; not again",
                    self.name,
                )
            elif not self._has_table(connection, staged.target):
                _create_from(connection, target, staging)
            elif self._if_exists == "fail":
                raise self._table_exists_error()
            else:
                self._fill(connection, target, staging)
            _execute(connection, f"DROP TABLE {staging}")

    def _appended_already(self, connection: Connection) -> bool:
        """Whether this very append (this entry, this node fingerprint) was committed, and
        mark it as committed in the same transaction if not: a run killed after the commit,
        before Aether recorded it, retries the node, and must not add the rows twice."""
        if not self.write_key:
            return False
        marks = self._quoted(APPENDS_TABLE)
        key = f"{self.owner}:{self.write_key}"
        if not self._has_table(connection, APPENDS_TABLE):
            _execute(connection, f"CREATE TABLE {marks} (write_key VARCHAR(200) PRIMARY KEY)")
        from sqlalchemy import text

        found = connection.execute(
            text(f"SELECT 1 FROM {marks} WHERE write_key = :key"), {"key": key}
        ).first()
        if found is None:
            connection.execute(text(f"INSERT INTO {marks} (write_key) VALUES (:key)"), {"key": key})
        return found is not None

    def _take_turns(self, connection: Connection) -> None:
        """PostgreSQL: wait for any other publish of this table to commit first.

        Under READ COMMITTED, two publishes of one table at once each delete the rows they
        can see, then insert theirs: both runs' rows stay. The lock is released at commit.
        """
        if self._connection.backend != "postgresql":
            return  # SQLite and DuckDB let one process write a database file at a time
        from sqlalchemy import text

        connection.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtextextended("
                "coalesce(:schema, current_schema()) || '.' || :table, 0))"
            ),
            {"schema": self._schema, "table": self._table},
        )

    def _fill(self, connection: Connection, target: str, staging: str) -> None:
        columns = _columns(connection, staging)
        if self._if_exists == "replace" and set(columns) != set(_columns(connection, target)):
            # Other columns: the table itself must change. Still one transaction.
            self._recreate(connection, target, staging)
            return
        if self._if_exists == "replace":
            if _type_families(connection, target) != _type_families(connection, staging):
                # Other kinds of values (bool to float, int to text): the table itself must
                # change; inserting would cast the values, or fail. A wider type of the same
                # kind (a hand-made INTEGER table, int64 rows) keeps the table as it is.
                self._recreate(connection, target, staging)
                return
            _execute(connection, f"DELETE FROM {target}")
        names = ", ".join(self._connection.quote(column) for column in columns)
        _execute(connection, f"INSERT INTO {target} ({names}) SELECT {names} FROM {staging}")
        if not _changed_by_the_table(connection, target, staging, names):
            return
        # The table's column types cast the new values (1.5 kept as 2 in an integer column).
        if self._if_exists == "replace":
            self._recreate(connection, target, staging)
            return
        differences = _type_differences(connection, target, staging)
        raise DataSetError(
            f"Dataset '{self.name}': appending to table {self._table} would change values: "
            f"its column types differ from the new rows' ({differences})",
            hint="make the node return the table's types, or use if_exists: replace",
        )

    @staticmethod
    def _recreate(connection: Connection, target: str, staging: str) -> None:
        _execute(connection, f"DROP TABLE {target}")
        _create_from(connection, target, staging)

    def _discard(self, staged: Staged) -> None:
        with self._connection.transaction(self.name) as connection:
            if self._has_table(connection, staged.temporary):
                _execute(connection, f"DROP TABLE {self._quoted(staged.temporary)}")

    def _is_staged(self, staged: Staged) -> bool:
        with self._connection.connect(self.name) as connection:
            return self._has_table(connection, staged.temporary)

    def _remove_abandoned_stages(self) -> int:
        from sqlalchemy import inspect

        prefix = _staging_prefix(self.owner)
        with self._connection.transaction(self.name) as connection:
            left = [
                name
                for name in inspect(connection).get_table_names(schema=self._schema)
                if name.startswith(prefix) and STAGED_TOKEN.fullmatch(name[len(prefix) :])
            ]
            for name in left:
                _execute(connection, f"DROP TABLE {self._quoted(name)}")
        return len(left)

    def columns(self) -> tuple[tuple[str, str], ...] | None:
        """The table's columns and their SQL types by reflection, no row read (what the
        catalog site shows); None if the table does not exist yet."""
        from sqlalchemy import inspect

        with self._observing() as connection:
            inspector = inspect(connection)
            if not inspector.has_table(self._table, schema=self._schema):
                return None
            found = inspector.get_columns(self._table, schema=self._schema)
        return tuple((str(c["name"]), str(c["type"])) for c in found)

    def _describe(self) -> dict[str, Any]:
        return {
            "table_name": self._table,
            "schema": self._schema,
            **super()._describe(),
            "if_exists": self._if_exists,
        }

    def _quoted(self, table: str) -> str:
        return self._connection.quote(table, self._schema)

    def _has_table(self, connection: Connection, table: str) -> bool:
        from sqlalchemy import inspect

        return bool(inspect(connection).has_table(table, schema=self._schema))

    def _refuse_cut_names(self) -> None:
        if self._connection.backend != "postgresql":
            return
        for key, name in (("table_name", self._table), ("schema", self._schema)):
            if name is not None and len(name.encode()) > POSTGRES_NAME_BYTES:
                raise CatalogError(
                    f"SQLTableDataSet: `{key}:` is {len(name.encode())} bytes long; "
                    f"PostgreSQL keeps only the first {POSTGRES_NAME_BYTES} of a name",
                    hint=f"use a name of at most {POSTGRES_NAME_BYTES} bytes (UTF-8)",
                )

    def _table_exists_error(self) -> DataSetError:
        return DataSetError(
            f"Dataset '{self.name}': table {self._table} exists and save_args.if_exists is 'fail'",
            hint="drop the table, or use if_exists: replace or append",
        )


def _staging_name(owner: str) -> str:
    """`_aether_stage_<owner>_<8 hex>`: 31 bytes, whatever the table's name.

    Not the table's name: cut to fit PostgreSQL's 63 bytes, two long names would share a
    prefix, and one project's clean-up would drop the other's staging table.
    """
    return _staging_prefix(owner) + secrets.token_hex(4)


def _staging_prefix(owner: str) -> str:
    return f"{_STAGING_PREFIX}{owner}_"


def _utc_without_offset(frame: Any) -> Any:
    """``frame`` with its timezone-aware columns in UTC, offset dropped: SQLite has no such
    type, and pandas would store the wall time and drop the offset (another moment)."""
    import pandas as pd

    aware = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    if not aware:
        return frame
    return frame.assign(**{c: frame[c].dt.tz_convert("UTC").dt.tz_localize(None) for c in aware})


def _execute(connection: Connection, statement: str) -> None:
    _driver_result(connection, statement).close()


def _changed_by_the_table(connection: Connection, target: str, staging: str, names: str) -> bool:
    """Whether a staged row is not in the target as it was staged (its types cast it)."""
    found = _fetch_one(
        connection,
        f"SELECT 1 FROM (SELECT {names} FROM {staging} EXCEPT SELECT {names} FROM {target}) "
        "AS changed LIMIT 1",
    )
    return found is not None


def _type_differences(connection: Connection, target: str, staging: str) -> str:
    """`column: table TYPE, new rows TYPE`, for the columns whose driver types differ."""
    theirs, ours = _column_types(connection, target), _column_types(connection, staging)
    differing = [
        f"{column}: table {theirs[column]}, new rows {kind}"
        for column, kind in ours.items()
        if column in theirs and theirs[column] != kind
    ]
    return "; ".join(differing) or "a value would not survive the table's types"


# Driver type codes by kind of value: PostgreSQL's type OIDs, DuckDB's type names.
_FAMILIES = {
    "bool": {"16", "BOOLEAN"},
    "integer": {"20", "21", "23", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"},
    "real": {"700", "701", "1700", "DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMBER"},
    "text": {"25", "1042", "1043", "VARCHAR", "STRING"},
}


def _type_families(connection: Connection, table: str) -> dict[str, str]:
    """Each column's kind of value (a code outside the table above stands for itself;
    SQLite gives none, so its columns all look alike: it stores any value as it is)."""
    families = {}
    for column, code in _column_types(connection, table).items():
        kind = next((name for name, codes in _FAMILIES.items() if code.upper() in codes), code)
        families[column] = kind
    return families


def _column_types(connection: Connection, table: str) -> dict[str, str]:
    result = _driver_result(connection, f"SELECT * FROM {table} WHERE 1 = 0")
    try:
        return {row[0]: str(row[1]) for row in result.cursor.description}
    finally:
        result.close()


def _fetch_one(connection: Connection, statement: str) -> Row[Unpack[tuple[Any, ...]]] | None:
    result = _driver_result(connection, statement)
    try:
        return result.fetchone()
    finally:
        result.close()


def _driver_result(connection: Connection, statement: str) -> Rows:
    # exec_driver_sql: identifiers are quoted by us, and no value is ever pasted in.
    return connection.exec_driver_sql(statement)


def _create_from(connection: Connection, target: str, staging: str) -> None:
    _execute(connection, f"CREATE TABLE {target} AS SELECT * FROM {staging}")


def _columns(connection: Connection, table: str) -> list[str]:
    # Not SQLAlchemy's reflection: some dialects (duckdb-engine) cannot reflect columns.
    result = _driver_result(connection, f"SELECT * FROM {table} WHERE 1 = 0")
    columns = list(result.keys())
    result.close()
    return columns
