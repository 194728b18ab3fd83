"""Customer queries against a real database: SQLite in memory, holding the sample orders."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.nodes import customers


@pytest.fixture
def database(project):
    """A new in-memory SQLite database whose `orders` table holds data/01_raw/orders.csv."""
    con = sqlite3.connect(":memory:")
    pd.read_csv(project / "data/01_raw/orders.csv").to_sql("orders", con, index=False)
    yield con
    con.close()


def test_orders_since_reads_the_orders_of_the_period(database, project):
    raw = pd.read_csv(project / "data/01_raw/orders.csv", parse_dates=["ordered_at"])
    expected = raw[raw["ordered_at"] >= "2026-01-10"]

    recent = customers.orders_since(database, since="2026-01-10")

    assert 0 < len(recent) < len(raw)
    assert recent["order_id"].tolist() == sorted(expected["order_id"])
    assert recent["ordered_at"].min() >= pd.Timestamp("2026-01-10")


def test_top_customers_of_the_period_come_from_the_database(database):
    recent = customers.orders_since(database, since="2026-01-10")

    top = customers.top_customers(recent, n=3)

    assert len(top) == 3
    assert top["amount"].is_monotonic_decreasing
    totals = recent.groupby("customer")["amount"].sum()
    assert top["amount"].iloc[0] == pytest.approx(totals.max())
