"""Customer reports, and code that reaches outside the catalog for its data.

Aether hands a node its datasets and parameters. Code that needs more (a database connection,
an HTTP API, Databricks' ``dbutils``) takes it as an argument, so that a test can pass a fake or
a throwaway one: ``tests/unit/test_customers.py`` and ``tests/integration/test_customers_db.py``
show how, and the docs' Testing page says why. None of these is in ``conf/base/pipeline.yml``:
call them from your nodes, or from the job that holds the connection.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import pandas as pd


def top_customers(orders: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` customers who spent the most: ``customer`` and total ``amount``, largest first."""
    return orders.groupby("customer", as_index=False)["amount"].sum().nlargest(n, "amount")


def orders_since(con: sqlite3.Connection, since: str) -> pd.DataFrame:
    """The rows of the ``orders`` table ordered on or after ``since`` (an ISO date).

    Any connection pandas reads from works the same way: change the type to your driver's.
    """
    query = "select * from orders where ordered_at >= ? order by order_id"
    return pd.read_sql_query(query, con, params=(since,), parse_dates=["ordered_at"])


def exchange_rates(url: str, base: str, timeout: float = 10.0) -> dict[str, float]:
    """The rates from ``base`` that the API at ``url`` publishes: ``{"rates": {"USD": 1.08}}``."""
    with urlopen(f"{url}?{urlencode({'base': base})}", timeout=timeout) as response:
        rates = json.load(response)["rates"]
    return {currency: float(rate) for currency, rate in rates.items()}


# Databricks publishes no types for dbutils: anything with `fs.ls(folder)` will do.
def landed_files(dbutils: Any, folder: str) -> pd.DataFrame:
    """The files in a Databricks ``folder``: ``name``, ``size`` (bytes), ``modified_at`` (UTC).

    ``dbutils`` is the one a Databricks notebook or job has. Aether does not pass it to nodes
    (their inputs are datasets and parameters), so call this with it yourself.
    """
    files = [entry for entry in dbutils.fs.ls(folder) if not entry.name.endswith("/")]
    modified = [entry.modificationTime for entry in files]
    return pd.DataFrame(
        {
            "name": [entry.name for entry in files],
            "size": [entry.size for entry in files],
            "modified_at": pd.to_datetime(modified, unit="ms", utc=True),
        }
    )
