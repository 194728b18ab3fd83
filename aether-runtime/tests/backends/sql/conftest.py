"""Databases for the SQL dataset tests: SQLite and DuckDB files, and a fresh PostgreSQL
database (the ``postgres_url`` fixture of the parent conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATABASES = ("sqlite", "duckdb", "postgresql")


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The SQLAlchemy URL of an empty database of each kind, in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return str(request.getfixturevalue("postgres_url"))
