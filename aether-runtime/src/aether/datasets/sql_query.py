"""`SQLQueryDataSet`: the result of a SELECT, read-only, from `sql:` or a `.sql` file.

`${params:a.b}` in the SQL become bound parameters (the value travels beside the text and is
never pasted into it). The `.sql` file is read when the catalog is built, so a missing file
is a configuration error, found before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aether.datasets.sql_base import SQLDataSetBase
from aether.datasets.sql_params import BoundQuery, bind_parameters
from aether.errors import CatalogError, DataSetError


class SQLQueryDataSet(SQLDataSetBase):
    """The rows a SQL query returns, as a pandas DataFrame. Read-only.

    Args:
        sql: The query, inline. Exactly one of `sql` and `filepath`.
        filepath: A `.sql` file holding the query (relative to the project root).
        credentials: `{con: <SQLAlchemy URL>}`, from credentials.yml.
        load_args: Passed to `pandas.read_sql` (`parse_dates`, `dtype`...).
        version_query: SQL returning one value that changes whenever the result does: the
            cheap signature of the query's result.
        run_parameters: The run's parameters, passed by the catalog (not written in YAML).
        metadata: Free-form information for readers; ignored by the dataset.

    Raises:
        CatalogError: Both or neither of `sql`/`filepath`, an unreadable file, a parameter
            that is not defined, a bad `con:` URL or a missing driver.

    Example:
        ```yaml
        big_orders:
          type: SQLQueryDataSet
          sql: select * from orders where amount > ${params:orders.min_amount}
          credentials: warehouse
        ```
    """

    read_only = True
    """Always: refused as a node output before a run, and `save()` raises."""

    def __init__(
        self,
        sql: str | None = None,
        filepath: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        load_args: Mapping[str, Any] | None = None,
        version_query: str | None = None,
        run_parameters: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if (sql is None) == (filepath is None):
            raise CatalogError(
                "SQLQueryDataSet needs exactly one of `sql:` and `filepath:`",
                hint="write the query inline in `sql:`, or in a .sql file named by `filepath:`",
            )
        super().__init__(
            credentials=credentials,
            load_args=load_args,
            version_query=version_query,
            run_parameters=run_parameters,
            metadata=metadata,
        )
        self._filepath = filepath
        text = sql if sql is not None else _read_sql_file(str(filepath))
        where = "SQLQueryDataSet `sql:`" if sql is not None else f"SQL file {filepath}"
        # A trailing `;` would end the statement the query is wrapped in (count, checksum).
        self._bound = bind_parameters(text.strip().rstrip(";").rstrip(), run_parameters, where)

    def _query(self) -> BoundQuery:
        return self._bound

    def _exists(self) -> bool:
        return True  # a query always has a result; an unreachable database raises

    def _save(self, data: Any) -> None:
        raise DataSetError(
            f"Dataset '{self.name}' (SQLQueryDataSet) is read-only: it cannot be saved",
            hint="write the data to a SQLTableDataSet or a file dataset",
        )

    def signature(self) -> dict[str, Any] | None:
        """As for every SQL dataset, plus the query text and its parameter values, so a
        change to the query itself counts as a change (`None` stays `None`: see the base)."""
        observed = super().signature()
        if observed is None:
            return None
        return {**observed, "query": self._bound.sql, "values": _json_values(self._bound)}

    def _describe(self) -> dict[str, Any]:
        source = {"filepath": self._filepath} if self._filepath else {"sql": self._bound.sql}
        return {**source, **super()._describe()}


def _read_sql_file(filepath: str) -> str:
    try:
        return Path(filepath).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(
            f"SQLQueryDataSet: cannot read the SQL file {filepath}: {exc.strerror}",
            hint="check `filepath:` (relative paths are relative to the project root)",
        ) from None


def _json_values(query: BoundQuery) -> dict[str, str]:
    return {name: repr(value) for name, value in sorted(query.values.items())}
