"""One PostgreSQL connection through psycopg, with the few calls the PostgreSQL store and
its run lock make: SQL text with ``%s`` parameters, a transaction block, rows back.

psycopg directly rather than through SQLAlchemy: every statement is SQL text already, and
importing SQLAlchemy cost 120 ms of every look at a shared store (``aether status``).
The connection is in autocommit mode: a statement outside ``transaction()`` is its own
transaction, so nothing holds a snapshot between two looks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from aether.errors import StateError
from aether.support.redaction import redact

CONNECT_TIMEOUT_SECONDS = 10
EXTRA_HINT = "install the PostgreSQL extra: pip install 'aether-data[postgres]'"


@dataclass(frozen=True)
class Rows:
    """What a statement gave back: its rows (none for a statement without any) and how
    many rows it changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int

    def all(self) -> list[tuple[Any, ...]]:
        return self.rows

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class PgConnection:
    """A psycopg connection (autocommit) with ``execute`` and ``transaction``."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def execute(self, sql: str, params: Sequence[Any] | list[Sequence[Any]] | None = None) -> Rows:
        """Run ``sql``; a list of parameter tuples runs it once per tuple."""
        with self._raw.cursor() as cursor:
            if isinstance(params, list):
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else []
            return Rows([tuple(row) for row in rows], cursor.rowcount)

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """A transaction block: committed when the block ends, rolled back if it raises."""
        with self._raw.transaction():
            yield self

    def close(self) -> None:
        self._raw.close()


def driver_errors() -> tuple[type[BaseException], ...]:
    """The driver's error classes (psycopg imported only by the stores that need it)."""
    import psycopg

    return (psycopg.Error,)


def open_connection(url: str) -> PgConnection:
    """A connection to ``url`` (``postgresql://``, ``postgres://``, or with a ``+driver``),
    failing within CONNECT_TIMEOUT_SECONDS when the server is not there; a StateError naming
    the server, never the password, when it cannot be made."""
    try:
        import psycopg
    except ImportError:
        raise StateError(
            "A PostgreSQL state store needs psycopg, which is not installed", hint=EXTRA_HINT
        ) from None
    try:
        raw = psycopg.connect(
            libpq_url(url),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="aether",
        )
    except psycopg.Error as exc:
        raise StateError(
            f"Cannot reach the PostgreSQL state store at {describe_server(url)}: {reason(exc)}",
            hint="check that the server is up and that AETHER_STATE_URL (or state.url in "
            "conf/<env>/aether.yml) names it, with a user allowed to connect",
        ) from None
    return PgConnection(raw)


def libpq_url(url: str) -> str:
    """``url`` as libpq reads it: ``postgresql://`` without SQLAlchemy's ``+driver``."""
    scheme, sep, rest = url.partition("://")
    if scheme.split("+", 1)[0] in ("postgresql", "postgres"):
        return f"postgresql{sep}{rest}"
    return url


def describe_server(url: str) -> str:
    """``host:port/database`` of ``url``: what messages may say of it."""
    try:
        parts = urlsplit(libpq_url(url))
        port = parts.port or 5432
    except ValueError:  # a port that is not a number
        return "the configured server"
    database = unquote(parts.path.lstrip("/"))
    return f"{parts.hostname or 'localhost'}:{port}/{database}"


def reason(exc: BaseException) -> str:
    """The driver's first line of what went wrong, masked (a server may echo a URL)."""
    text = str(exc).strip().splitlines()
    return redact(text[0] if text else type(exc).__name__)
