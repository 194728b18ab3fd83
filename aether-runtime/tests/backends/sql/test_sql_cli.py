"""SQL datasets through the CLI: a PostgreSQL source feeding a SQLite table rebuilt only when
a source row changes, atomic publishing of a node's outputs, and every SQL error (exit codes,
one line, no password anywhere: output, logs, state.db)."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]
PASSWORD = "Hunter2-very-secret"

NODES = """\
import pandas as pd


def keep_big(orders, factor):
    return orders.assign(amount=orders["amount"] * factor)


def total(orders):
    return pd.DataFrame({"total": [float(orders["amount"].sum())]})


def split(orders, factor):
    return orders.assign(amount=orders["amount"] * factor), orders
"""

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
orders:
  type: SQLQueryDataSet
  sql: select order_id, amount from orders where note <> ${params:skip_note} order by order_id
  credentials: source
big_orders:
  type: SQLTableDataSet
  table_name: big_orders
  credentials: target
order_total:
  type: PandasCsvDataSet
  filepath: data/03_primary/order_total.csv
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: keep_big
        transformation: mini.sql_nodes.keep_big
        inputs: {orders: orders, factor: params:factor}
        outputs: big_orders
      - name: total
        transformation: mini.sql_nodes.total
        inputs: {orders: big_orders}
        outputs: order_total
default: main
"""

PARAMETERS = 'factor: 2\nskip_note: "x\'; drop table orders; --"\n'


def pg_execute(url: str, *statements: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def with_password(url: str) -> str:
    """The same database, logged into with a password (the test server trusts any)."""
    return url.replace("postgres@", f"postgres:{PASSWORD}@")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def credentials(source: str, target: str) -> dict[str, str]:
    return {"credentials.yml": f"source: {{con: '{source}'}}\ntarget: {{con: '{target}'}}\n"}


@pytest.fixture
def orders_source(postgres_url: str) -> str:
    pg_execute(
        postgres_url,
        "CREATE TABLE orders (order_id int, amount float, note text)",
        "INSERT INTO orders VALUES (1, 10, 'a'), (2, 20, 'x''; drop table orders; --'),"
        " (3, 30, 'c')",
    )
    return with_password(postgres_url)


@pytest.fixture
def sql_project(make_project: MakeProject, orders_source: str, tmp_path: Path) -> Path:
    return make_project(
        "sql",
        catalog=CATALOG,
        pipeline=PIPELINE,
        parameters=PARAMETERS,
        local=credentials(orders_source, f"sqlite:///{tmp_path / 'target.db'}"),
        files={"src/mini/sql_nodes.py": NODES},
    )


def run_ids(aether: Aether, project: Path) -> dict[str, str]:
    result = aether(project, "status", "--json")
    assert result.returncode == 0, result.stderr
    return {asset["name"]: asset["run_id"] for asset in json.loads(result.stdout)["assets"]}


def target_rows(tmp_path: Path, table: str = "big_orders") -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "target.db") as connection:
        return sorted(connection.execute(f"SELECT order_id, amount FROM {table}").fetchall())


def test_a_changed_source_row_rebuilds_only_what_depends_on_it(
    sql_project: Path, orders_source: str, aether: Aether, tmp_path: Path
) -> None:
    first = aether(sql_project, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    assert target_rows(tmp_path) == [(1, 20.0), (3, 60.0)]  # the bound note filtered row 2
    before = run_ids(aether, sql_project)

    again = aether(sql_project, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert run_ids(aether, sql_project) == before  # nothing rebuilt

    pg_execute(orders_source, "UPDATE orders SET amount = 11 WHERE order_id = 1")
    third = aether(sql_project, "run")
    assert third.returncode == 0, third.stdout + third.stderr
    after = run_ids(aether, sql_project)
    assert after["doubled"] == before["doubled"]
    assert after["big_orders"] != before["big_orders"]
    assert after["order_total"] != before["order_total"]
    assert target_rows(tmp_path) == [(1, 22.0), (3, 60.0)]
    total = (sql_project / "data" / "03_primary" / "order_total.csv").read_text()
    assert "82.0" in total


def test_parallel_workers_bind_the_run_parameters_too(
    sql_project: Path, aether: Aether, tmp_path: Path
) -> None:
    """A worker process rebuilds the catalog from its recipe, parameters included."""
    result = aether(sql_project, "run", "--runner", "parallel", "--params", "factor=3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert target_rows(tmp_path) == [(1, 30.0), (3, 90.0)]


def test_an_unreachable_database_fails_the_node_and_keeps_the_last_good_outputs(
    sql_project: Path, aether: Aether, tmp_path: Path
) -> None:
    assert aether(sql_project, "run").returncode == 0
    total_before = (sql_project / "data" / "03_primary" / "order_total.csv").read_text()
    port = closed_port()
    unreachable = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/shop"
    (sql_project / "conf" / "local" / "credentials.yml").write_text(
        credentials(unreachable, f"sqlite:///{tmp_path / 'target.db'}")["credentials.yml"]
    )

    result = aether(sql_project, "run", "--force")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"127.0.0.1:{port}" in output and "orders" in output
    assert target_rows(tmp_path) == [(1, 20.0), (3, 60.0)]
    total_after = (sql_project / "data" / "03_primary" / "order_total.csv").read_text()
    assert total_after == total_before
    assert_no_password_anywhere(sql_project, output)


def assert_no_password_anywhere(project: Path, output: str) -> None:
    assert PASSWORD not in output
    for path in project.rglob("*"):
        if path.is_file() and "local" not in path.parts:
            assert PASSWORD.encode() not in path.read_bytes(), path


def two_tables_project(
    make_project: MakeProject, orders_source: str, tmp_path: Path, copy_if_exists: str
) -> Path:
    """One node writing two SQLite tables: `big_orders` (replace) and `copy`."""
    catalog = CATALOG + (
        "copy:\n  type: SQLTableDataSet\n  table_name: copy\n  credentials: target\n"
        f"  save_args: {{if_exists: {copy_if_exists}}}\n"
    )
    pipeline = PIPELINE.replace("mini.sql_nodes.keep_big", "mini.sql_nodes.split").replace(
        "outputs: big_orders", "outputs: [big_orders, copy]"
    )
    return make_project(
        "two_tables",
        catalog=catalog,
        pipeline=pipeline,
        parameters=PARAMETERS,
        local=credentials(orders_source, f"sqlite:///{tmp_path / 'target.db'}"),
        files={"src/mini/sql_nodes.py": NODES},
    )


def sqlite_tables(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "target.db") as connection:
        return sorted(row[0] for row in connection.execute("SELECT name FROM sqlite_master"))


def test_outputs_of_a_node_are_published_together_or_not_at_all(
    make_project: MakeProject, orders_source: str, aether: Aether, tmp_path: Path
) -> None:
    """The second output cannot be written (its table exists and if_exists is fail): the
    first keeps its old rows, and no staging table is left behind."""
    project = two_tables_project(make_project, orders_source, tmp_path, "fail")
    assert aether(project, "run").returncode == 0

    result = aether(project, "run", "--params", "factor=3")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "if_exists is 'fail'" in result.stdout + result.stderr
    assert target_rows(tmp_path) == [(1, 20.0), (3, 60.0)]
    assert sqlite_tables(tmp_path) == ["big_orders", "copy"]


def test_a_run_killed_between_two_table_publishes_is_finished_by_the_next(
    make_project: MakeProject, orders_source: str, aether: Aether, tmp_path: Path
) -> None:
    """The publish journal keeps the staging table's name; the next run publishes it and
    commits the node, so the two tables are never left half old and half new."""
    project = two_tables_project(make_project, orders_source, tmp_path, "replace")
    assert aether(project, "run").returncode == 0
    pg_execute(orders_source, "UPDATE orders SET amount = 11 WHERE order_id = 1")

    killed = aether(project, "run", env={"AETHER_TEST_CRASH_AT": "between-publishes"})

    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert target_rows(tmp_path) == [(1, 22.0), (3, 60.0)]  # published before the kill
    assert target_rows(tmp_path, "copy") == [(1, 10.0), (3, 30.0)]  # not yet
    assert len(sqlite_tables(tmp_path)) == 3  # the staging table of `copy`

    repaired = aether(project, "run")

    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert target_rows(tmp_path, "copy") == [(1, 11.0), (3, 30.0)]
    assert sqlite_tables(tmp_path) == ["big_orders", "copy"]
    statuses = aether(project, "status", "--json")
    assert {a["status"] for a in json.loads(statuses.stdout)["assets"]} == {"fresh"}


def test_a_bad_url_is_bad_input_naming_the_entry_without_the_password(
    sql_project: Path, aether: Aether, tmp_path: Path
) -> None:
    target = tmp_path / "target.db"
    (sql_project / "conf" / "local" / "credentials.yml").write_text(
        f"source: {{con: 'postgresql+psycopg://etl:{PASSWORD}@db:notaport/shop'}}\n"
        f"target: {{con: 'sqlite:///{target}'}}\n"
    )
    result = aether(sql_project, "run")
    assert_one_line_bad_input(result, "'orders'", "SQLAlchemy URL")


def test_a_query_as_a_node_output_is_bad_input(sql_project: Path, aether: Aether) -> None:
    pipeline = (sql_project / "conf" / "base" / "pipeline.yml").read_text()
    (sql_project / "conf" / "base" / "pipeline.yml").write_text(
        pipeline.replace("outputs: big_orders", "outputs: orders")
        .replace("inputs: {orders: orders, factor", "inputs: {orders: numbers, factor")
        .replace("inputs: {orders: big_orders}", "inputs: {orders: orders}")
    )
    result = aether(sql_project, "run")
    assert_one_line_bad_input(result, "'orders'", "read-only")


def assert_one_line_bad_input(result: subprocess.CompletedProcess[str], *culprits: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for culprit in culprits:
        assert culprit in lines[0], lines[0]
    assert PASSWORD not in result.stdout + result.stderr


def test_an_output_in_a_schema_that_does_not_exist_fails_its_node_as_documented(
    make_project: MakeProject, orders_source: str, postgres_url: str, aether: Aether
) -> None:
    """A PostgreSQL output whose `schema:` does not exist fails its node with the server's
    own words, the ones docs/how-to/sql.md quotes (it once quoted a text no server prints)."""
    catalog = CATALOG.replace(
        "  table_name: big_orders\n", "  table_name: big_orders\n  schema: reporting\n"
    )
    project = make_project(
        "missing_schema",
        catalog=catalog,
        pipeline=PIPELINE,
        parameters=PARAMETERS,
        local=credentials(orders_source, postgres_url),
        files={"src/mini/sql_nodes.py": NODES},
    )

    result = aether(project, "run")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    quoted = 'schema "reporting" does not exist'
    assert quoted in output and "Failed to save dataset 'big_orders' (SQLTableDataSet)" in output
    how_to = Path(__file__).resolve().parents[4] / "docs" / "how-to" / "sql.md"
    assert quoted in how_to.read_text(encoding="utf-8")


VERSIONED_CATALOG = """\
orders:
  type: SQLTableDataSet
  table_name: orders
  credentials: source
  version_query: select max(loaded_at) from load_batches
big_orders:
  type: PandasCsvDataSet
  filepath: data/03_primary/big_orders.csv
"""

VERSIONED_PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: keep_big
        transformation: mini.sql_nodes.keep_big
        inputs: {orders: orders, factor: params:factor}
        outputs: big_orders
default: main
"""


def test_a_version_query_that_moved_over_unchanged_rows_rebuilds_nothing(
    make_project: MakeProject, aether: Aether, tmp_path: Path
) -> None:
    """docs/how-to/sql.md: when the signature (here a `version_query`) moves but the rows did
    not, the run hashes the rows, finds the same content and rebuilds nothing; a changed row
    still rebuilds."""
    source = tmp_path / "source.db"
    with sqlite3.connect(source) as connection:
        connection.executescript(
            "CREATE TABLE orders (order_id int, amount float);"
            "INSERT INTO orders VALUES (1, 10), (2, 20);"
            "CREATE TABLE load_batches (loaded_at int); INSERT INTO load_batches VALUES (1);"
        )
    project = make_project(
        "versioned",
        catalog=VERSIONED_CATALOG,
        pipeline=VERSIONED_PIPELINE,
        local={"credentials.yml": f"source: {{con: 'sqlite:///{source}'}}\n"},
        files={"src/mini/sql_nodes.py": NODES},
    )
    assert aether(project, "run").returncode == 0
    built = run_ids(aether, project)["big_orders"]

    with sqlite3.connect(source) as connection:  # a batch that changed nothing in orders
        connection.execute("INSERT INTO load_batches VALUES (2)")
    again = aether(project, "run")

    assert again.returncode == 0, again.stdout + again.stderr
    assert run_ids(aether, project)["big_orders"] == built

    with sqlite3.connect(source) as connection:
        connection.execute("UPDATE orders SET amount = 11 WHERE order_id = 1")
        connection.execute("INSERT INTO load_batches VALUES (3)")
    assert aether(project, "run").returncode == 0
    assert run_ids(aether, project)["big_orders"] != built
