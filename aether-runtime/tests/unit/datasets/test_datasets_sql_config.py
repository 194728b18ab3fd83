"""SQL datasets: configuration errors found when the catalog builds them (exit 2, the entry
named, never the password), and `${params:...}` passed from the run's parameters into bound
parameters. Real SQLite only; no server, no process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from aether.catalog import DataCatalog
from aether.configuration.conf_folder import ConfigLoader
from aether.datasets.sql_params import bind_parameters
from aether.datasets.sql_query import SQLQueryDataSet
from aether.datasets.sql_table import SQLTableDataSet
from aether.errors import CatalogError
from aether.project.context import build_catalog

PASSWORD = "Pa55-w0rd-never-shown"


def build(entry: dict[str, Any], con: str | None = None, **kwargs: Any) -> Any:
    credentials = {"warehouse": {"con": con}} if con is not None else {"warehouse": {}}
    catalog = DataCatalog.from_config(
        {"orders": {"credentials": "warehouse", **entry}}, credentials=credentials, **kwargs
    )
    return catalog.get("orders")


def config_error(entry: dict[str, Any], con: str | None) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        build(entry, con)
    error = caught.value
    assert error.exit_code == 2
    assert "Dataset 'orders'" in error.message
    assert PASSWORD not in str(error)
    return error


TABLE = {"type": "SQLTableDataSet", "table_name": "orders"}


def test_a_missing_con_is_a_config_error_naming_the_entry() -> None:
    assert "`con:`" in config_error(TABLE, None).message


@pytest.mark.parametrize(
    "con",
    [
        f"not a url {PASSWORD}",
        f"://etl:{PASSWORD}@host/db",
        f"postgresql+psycopg://etl:{PASSWORD}@host:notaport/db",
    ],
)
def test_a_malformed_url_is_a_config_error_without_the_password(con: str) -> None:
    error = config_error(TABLE, con)
    assert "SQLAlchemy URL" in error.message or "dialect" in error.message


def test_a_raw_at_sign_in_the_password_is_refused_before_a_piece_is_shown_as_host() -> None:
    error = config_error(TABLE, "postgresql+psycopg://etl:Pa55@w0rd-x@db.example.com/shop")

    assert "raw '@'" in error.message
    assert "w0rd" not in str(error)
    assert "%40" in (error.hint or "")


def test_an_at_sign_in_the_user_name_is_left_to_sqlalchemy_which_parses_it() -> None:
    dataset = build(TABLE, "postgresql+psycopg://etl@corp:Pa55-w0rd@db.example.com/shop")

    assert dataset.describe()["database"] == "postgresql database 'shop' at db.example.com"


def test_an_unknown_dialect_is_named() -> None:
    error = config_error(TABLE, f"nosuchdb://etl:{PASSWORD}@host/db")
    assert "unknown database dialect 'nosuchdb'" in error.message


def test_a_postgres_url_without_psycopg_names_the_postgres_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an install without it does
    error = config_error(TABLE, f"postgresql+psycopg://etl:{PASSWORD}@db:5432/shop")
    assert "not installed" in error.message
    assert error.hint is not None and "aether-data[postgres]" in error.hint


def test_without_sqlalchemy_the_sql_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    monkeypatch.setattr("aether.datasets.optional.is_installed", lambda module: False)
    error = config_error(TABLE, "sqlite://")
    assert error.hint is not None and "aether-data[sql]" in error.hint


def test_an_unknown_if_exists_is_a_config_error() -> None:
    error = config_error({**TABLE, "save_args": {"if_exists": "truncate"}}, "sqlite://")
    assert "truncate" in error.message


@pytest.mark.parametrize(
    "arguments", [{}, {"sql": "select 1", "filepath": "q.sql"}], ids=["neither", "both"]
)
def test_a_query_takes_exactly_one_of_sql_and_filepath(arguments: dict[str, str]) -> None:
    error = config_error({"type": "SQLQueryDataSet", **arguments}, "sqlite://")
    assert "exactly one of `sql:` and `filepath:`" in error.message


def test_a_missing_sql_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"Dataset 'orders'.*cannot read the SQL file"):
        build(
            {"type": "SQLQueryDataSet", "filepath": "sql/q.sql"}, "sqlite://", project_path=tmp_path
        )


def test_an_undefined_parameter_in_sql_is_a_config_error() -> None:
    with pytest.raises(CatalogError, match=r"Dataset 'orders'.*parameter 'no\.such'"):
        build({"type": "SQLQueryDataSet", "sql": "select ${params:no.such}"}, "sqlite://")


def test_run_parameters_cannot_be_written_in_the_catalog() -> None:
    with pytest.raises(CatalogError, match="set by Aether"):
        build({**TABLE, "run_parameters": {"a": 1}}, "sqlite://")


def test_a_query_is_read_only() -> None:
    assert SQLQueryDataSet.read_only and not SQLTableDataSet.read_only


def test_references_become_placeholders_and_their_values_travel_beside() -> None:
    bound = bind_parameters(
        "select * from t where a = ${params:x.y} and b > ${params:n} or a = ${params:x.y}",
        {"x": {"y": "x'; drop table t; --"}, "n": 3},
        "test",
    )
    assert bound.sql == "select * from t where a = :aether_p0 and b > :aether_p1 or a = :aether_p0"
    assert dict(bound.values) == {"aether_p0": "x'; drop table t; --", "aether_p1": 3}


def test_the_catalog_leaves_sql_references_to_the_dataset(tmp_path: Path) -> None:
    """Every other catalog string is interpolated as text; `sql:` and `version_query:` are
    bound, so a value can never change the statement."""
    base = tmp_path / "conf" / "base"
    base.mkdir(parents=True)
    (base / "catalog.yml").write_text(
        "orders:\n"
        "  type: SQLQueryDataSet\n"
        "  sql: select * from t where note = ${params:note}\n"
        "  version_query: select max(id) from t where note = ${params:note}\n"
        "  credentials: warehouse\n"
        "  metadata: {description: 'orders noted ${params:note}'}\n"
    )
    (tmp_path / "conf" / "local").mkdir()
    (tmp_path / "conf" / "local" / "credentials.yml").write_text(
        f"warehouse: {{con: 'sqlite:///{tmp_path}/w.db'}}\n"
    )
    params = {"note": "x'; drop table t; --"}
    catalog = build_catalog(tmp_path, ConfigLoader(tmp_path / "conf", "local"), params)
    described = catalog.describe("orders")
    assert described["sql"] == "select * from t where note = :aether_p0"
    assert described["version_query"] == "select max(id) from t where note = :aether_p0"
    assert described["metadata"]["description"] == "orders noted x'; drop table t; --"


def test_describe_names_the_database_but_never_the_password() -> None:
    dataset = build(TABLE, f"postgresql+psycopg://etl:{PASSWORD}@db.example.com:5433/shop")
    described = dataset.describe()
    assert described["database"] == "postgresql database 'shop' at db.example.com:5433"
    assert PASSWORD not in repr(described) and PASSWORD not in repr(dataset)


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_a_relative_file_database_is_relative_to_the_project(scheme: str, tmp_path: Path) -> None:
    """Not to the folder `aether` runs in, which may be anywhere inside the project."""
    dataset = build(TABLE, f"{scheme}:///data/shop.db", project_path=tmp_path)
    assert dataset.describe()["database"] == f"{scheme} database {tmp_path}/data/shop.db"
    absolute = build(TABLE, f"{scheme}:////srv/shop.db", project_path=tmp_path)
    assert absolute.describe()["database"] == f"{scheme} database /srv/shop.db"
    in_memory = build(TABLE, "sqlite:///:memory:", project_path=tmp_path)
    assert in_memory.describe()["database"] == "sqlite database :memory:"


@pytest.mark.parametrize("key", ["table_name", "schema"])
def test_a_postgres_name_the_server_would_cut_is_a_config_error(key: str) -> None:
    entry = {"type": "SQLTableDataSet", "table_name": "orders", key: "a" * 64}

    caught = config_error(entry, "postgresql+psycopg://etl@db.example.com/shop")

    assert "63" in caught.message and key in caught.message
