"""The issue's end-to-end pipeline, every store real and local, every secret from a provider:

    PostgreSQL `orders` ──clean──▶ Parquet on S3 ──┐
                                                    ├─to_eur──▶ SQLite table `orders_in_eur`
    HTTP API `fx_rates` (JSON, ETag) ───────────────┘
    PostgreSQL `customers` ──count_customers──▶ local CSV

Run twice (the second does nothing), then one source row changes: exactly the nodes that depend
on it rebuild. No secret shows in any output or file the runs leave.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

TOKEN = "tok-e2e-9f8e7d6c5b4a"

CATALOG = """\
orders:
  type: SQLTableDataSet
  table_name: orders
  credentials: warehouse
customers:
  type: SQLTableDataSet
  table_name: customers
  credentials: warehouse
clean_orders:
  type: PandasParquetDataSet
  filepath: s3://{bucket}/clean/orders.parquet
  credentials: lake
fx_rates:
  type: APIDataSet
  url: {api_url}
  credentials: rates_api
  load_args: {{records: data}}
orders_in_eur:
  type: SQLTableDataSet
  table_name: orders_in_eur
  credentials: mart
customer_count:
  type: PandasCsvDataSet
  filepath: data/08_reporting/customer_count.csv
"""

CREDENTIALS = """\
warehouse:
  con: ${{secret:env:WAREHOUSE_URL}}
lake:
  key: testing
  secret: ${{secret:file:secrets/lake_secret}}
  endpoint_url: {endpoint}
rates_api:
  token: ${{secret:env:RATES_TOKEN}}
mart:
  con: sqlite:///data/mart.db
"""

PIPELINE = """\
pipelines:
  sales:
    nodes:
      - name: clean
        transformation: e2e.nodes.clean
        inputs: {orders: orders}
        outputs: clean_orders
      - name: to_eur
        transformation: e2e.nodes.to_eur
        inputs: {orders: clean_orders, rates: fx_rates}
        outputs: orders_in_eur
      - name: count_customers
        transformation: e2e.nodes.count_customers
        inputs: {customers: customers}
        outputs: customer_count
default: sales
"""

NODES = """\
import pandas as pd


def clean(orders: pd.DataFrame) -> pd.DataFrame:
    return orders[orders["amount"] > 0].reset_index(drop=True)


def to_eur(orders: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    joined = orders.merge(rates, on="currency", how="left")
    joined["amount_eur"] = joined["amount"] * joined["rate"]
    return joined[["order_id", "amount_eur"]].sort_values("order_id").reset_index(drop=True)


def count_customers(customers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"customers": [len(customers)]})
"""


class RatesApi:
    """The exchange-rate API: JSON records under `data`, an ETag, a bearer token required."""

    def __init__(self, server: HTTPServer) -> None:
        self.body = {"data": [{"currency": "EUR", "rate": 1.0}, {"currency": "USD", "rate": 0.5}]}
        server.expect_request("/rates").respond_with_handler(self.answer)
        self.url = server.url_for("/rates")

    def answer(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response("unauthorised", status=401)
        text = "" if request.method == "HEAD" else json.dumps(self.body)
        return Response(text, headers={"ETag": '"rates-v1"'}, content_type="application/json")


def _warehouse(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("create table orders (order_id int, currency text, amount float)")
        )
        connection.execute(
            sa.text("insert into orders values (1, 'EUR', 10), (2, 'USD', 30), (3, 'EUR', -1)")
        )
        connection.execute(sa.text("create table customers (customer_id int)"))
        connection.execute(sa.text("insert into customers values (1), (2)"))
    engine.dispose()


def _execute(url: str, statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture
def project(
    tmp_path: Path, postgres_url: str, s3_bucket: str, moto_endpoint: str, httpserver: HTTPServer
) -> Path:
    _warehouse(postgres_url)
    api = RatesApi(httpserver)
    files = {
        "conf/base/catalog.yml": CATALOG.format(bucket=s3_bucket, api_url=api.url),
        "conf/base/pipeline.yml": PIPELINE,
        "conf/base/parameters.yml": "{}\n",
        "conf/local/credentials.yml": CREDENTIALS.format(endpoint=moto_endpoint),
        "secrets/lake_secret": "testing-secret-key\n",
        "src/e2e/__init__.py": "",
        "src/e2e/nodes.py": NODES,
    }
    root = tmp_path / "e2e"
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    (root / "data").mkdir()
    return root


def _run(aether: Any, project: Path, env: dict[str, str]) -> str:
    result = aether(project, "run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return str(result.stdout)


def _mart(project: Path) -> list[tuple[int, float]]:
    with sqlite3.connect(project / "data/mart.db") as db:
        return db.execute("select order_id, amount_eur from orders_in_eur order by 1").fetchall()


def test_the_pipeline_rebuilds_exactly_what_a_changed_row_feeds(
    aether: Any, project: Path, postgres_url: str
) -> None:
    env = {"WAREHOUSE_URL": postgres_url, "RATES_TOKEN": TOKEN}

    first = _run(aether, project, env)
    assert "3 succeeded" in first
    assert _mart(project) == [(1, 10.0), (2, 15.0)]
    assert (project / "data/08_reporting/customer_count.csv").read_text() == "customers\n2\n"

    assert "everything is fresh" in _run(aether, project, env)

    _execute(postgres_url, "update orders set amount = 50 where order_id = 2")
    third = _run(aether, project, env)

    assert "clean succeeded" in third and "to_eur succeeded" in third
    assert "count_customers" not in third.split("node ")[0]  # not run: its source is unchanged
    assert "2 succeeded" in third and "1 fresh" in third
    assert _mart(project) == [(1, 10.0), (2, 25.0)]

    status = aether(project, "status", "--json", env=env)
    shown = {a["name"]: a["status"] for a in json.loads(status.stdout)["assets"]}
    assert set(shown.values()) == {"fresh"}, shown

    left = [status.stdout, status.stderr]
    left += [
        p.read_bytes().decode("utf-8", "replace")
        for p in project.rglob("*")
        if p.is_file() and p.parts[-2:] != ("local", "credentials.yml") and p.name != "lake_secret"
    ]
    assert not any(TOKEN in text or "testing-secret-key" in text for text in left)
