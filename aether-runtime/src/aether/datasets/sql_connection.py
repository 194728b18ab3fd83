"""What the SQL datasets share about their database: the `con:` URL checked when the catalog
is built (a bad URL or a missing driver is a configuration error naming the extra), one
SQLAlchemy engine made on first use, and connection failures turned into errors that name
the dataset, host and port but never the password.

SQLAlchemy and the driver are imported inside methods only: `import aether` stays light.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from aether.datasets.optional import require
from aether.errors import CatalogError, DataSetError
from aether.support.redaction import redact, register

if TYPE_CHECKING:  # SQLAlchemy is imported on first use only (the `sql` extra)
    from sqlalchemy.engine import URL, Connection, Engine

# Which extra installs the driver of a dialect, or what to install when no extra does.
_DRIVER_INSTALLS = {
    "postgresql": "aether-data[postgres] (then use postgresql+psycopg://)",
    "sqlite": "a Python built with sqlite3",
    "duckdb": "duckdb-engine (pip install duckdb-engine)",
}
_URL_HINT = (
    "write it as dialect+driver://user@host:port/database (the password, if any, after the "
    "user and a colon), e.g. postgresql+psycopg://etl@db.example.com:5432/shop or "
    "sqlite:///data/shop.db"
)


class SQLConnection:
    """A database the SQL datasets talk to, from `credentials: {con: <SQLAlchemy URL>}`.

    Args:
        credentials: The entry of credentials.yml the dataset names; `con` is the URL.
        needed_by: The dataset class, for messages.

    Raises:
        CatalogError: SQLAlchemy or the dialect's driver is missing (naming the extra), or
            `con` is missing or not a SQLAlchemy URL.
    """

    def __init__(self, credentials: Mapping[str, Any] | None, needed_by: str) -> None:
        require("sqlalchemy", "sql", needed_by)
        con = (credentials or {}).get("con")
        if not isinstance(con, str) or not con.strip():
            raise CatalogError(
                f"{needed_by} needs `credentials:` naming an entry with a `con:` URL",
                hint="in conf/local/credentials.yml: warehouse: {con: <SQLAlchemy URL>}; "
                "in the entry: credentials: warehouse",
            )
        register(con)  # masked by value too, for users who build datasets in Python
        self.url = _parse_url(con, needed_by)
        _check_driver(self.url, needed_by)
        self._con = con
        self._engine: Engine | None = None

    @property
    def backend(self) -> str:
        """The dialect's name: `postgresql`, `sqlite`, `duckdb`..."""
        return str(self.url.get_backend_name())

    def location(self) -> str:
        """Where the database is, for messages and `describe`: never the password."""
        url = self.url
        if url.host:
            port = f":{url.port}" if url.port else ""
            return f"{self.backend} database '{url.database or ''}' at {url.host}{port}"
        return f"{self.backend} database {url.database or '(in memory)'}"

    def engine(self) -> Engine:
        """The SQLAlchemy engine, made on first use (no pool: a run is short and may fork)."""
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            self._engine = create_engine(self._con, poolclass=NullPool)
        return self._engine

    @contextlib.contextmanager
    def connect(self, dataset: str) -> Iterator[Connection]:
        """A connection (autobegin; nothing committed unless the caller commits)."""
        with self._opened(dataset, begin=False) as connection:
            yield connection

    @contextlib.contextmanager
    def transaction(self, dataset: str) -> Iterator[Connection]:
        """A connection in one transaction: committed at the end, rolled back on error."""
        with self._opened(dataset, begin=True) as connection:
            yield connection

    @contextlib.contextmanager
    def _opened(self, dataset: str, *, begin: bool) -> Iterator[Connection]:
        from sqlalchemy.exc import DBAPIError

        try:
            connection = self.engine().connect()
        except DBAPIError as exc:
            raise DataSetError(
                f"Dataset '{dataset}': cannot connect to the {self.location()}: "
                f"{_first_line(exc.orig or exc)}",
                hint="check that the database is running and reachable from here, and the "
                "credentials the entry names",
            ) from None
        with connection:
            if not begin:
                yield connection
                return
            with connection.begin():
                yield connection

    def quote(self, name: str, schema: str | None = None) -> str:
        """`name` (in `schema`) quoted for this database, where it needs quoting."""
        preparer = self.engine().dialect.identifier_preparer
        quoted = preparer.quote(name)
        return f"{preparer.quote_schema(schema)}.{quoted}" if schema else quoted


def _parse_url(con: str, needed_by: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if _password_has_raw_at(con):
        # The URL would split there, and a piece of the password would be taken for the
        # host and shown as such in every error.
        raise CatalogError(
            f"{needed_by}: the password in the `con:` URL of its credentials holds a raw '@'",
            hint="percent-encode the '@' (and '/', ':', '%', '?', '#') of a password in a "
            "URL: p@ss is written p%40ss; a ${secret:...} there is encoded for you",
        )
    try:
        return make_url(con)
    except (ArgumentError, ValueError):
        raise CatalogError(
            f"{needed_by}: the `con:` of its credentials is not a SQLAlchemy URL",
            hint=_URL_HINT,
        ) from None


def _password_has_raw_at(con: str) -> bool:
    """`scheme://user:p@ss@host`: an '@' after the user's ':' and before the last '@'.
    (An '@' in the user name, as in Azure's `user@server:pw@host`, parses as meant.)"""
    _, separator, rest = con.partition("://")
    user_info = rest.partition("?")[0].rpartition("@")[0]
    return bool(separator) and "@" in user_info.partition(":")[2]


def _check_driver(url: URL, needed_by: str) -> None:
    from sqlalchemy.exc import NoSuchModuleError

    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        name = url.drivername
        install = _DRIVER_INSTALLS.get(url.get_backend_name())
        raise CatalogError(
            f"{needed_by}: unknown database dialect '{name}' in the `con:` URL",
            hint=f"install {install}" if install else _URL_HINT,
        ) from None
    try:
        dialect.import_dbapi()
    except ImportError:
        install = _DRIVER_INSTALLS.get(
            url.get_backend_name(), f"the '{url.get_driver_name()}' package"
        )
        raise CatalogError(
            f"{needed_by}: the driver '{url.get_driver_name()}' of the `con:` URL "
            f"({url.get_backend_name()}) is not installed",
            hint=f"install {install}",
        ) from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return redact(lines[0]) if lines else type(exc).__name__
