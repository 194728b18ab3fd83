"""Customer code at its edges: pure pandas on hand-made frames, the outside world faked.

Only what lies outside this project's code is faked: the HTTP call (`mocker.patch.object` of
`urlopen` in the module that calls it) and `dbutils` (a `MagicMock`: the `dbutils` fixture of
tests/conftest.py). The database is not faked: tests/integration/ uses a real one, in memory.
"""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pandas as pd

from {{ cookiecutter.package_name }}.nodes import customers


def test_top_customers_ranks_customers_by_total_amount():
    orders = pd.DataFrame(
        {"customer": ["ana", "bruno", "ana", "carla"], "amount": [10.0, 25.0, 20.0, 5.0]}
    )

    top = customers.top_customers(orders, n=2)

    assert top.to_dict("records") == [
        {"customer": "ana", "amount": 30.0},
        {"customer": "bruno", "amount": 25.0},
    ]


def test_exchange_rates_reads_the_answer_of_the_api(mocker):
    answer = {"base": "EUR", "rates": {"USD": 1.08, "GBP": "0.86"}}
    urlopen = mocker.patch.object(customers, "urlopen")
    urlopen.return_value.__enter__.return_value = io.BytesIO(json.dumps(answer).encode())

    rates = customers.exchange_rates("https://rates.example.com/latest", base="EUR")

    assert rates == {"USD": 1.08, "GBP": 0.86}
    urlopen.assert_called_once_with("https://rates.example.com/latest?base=EUR", timeout=10.0)


def test_landed_files_lists_the_folder_through_dbutils(dbutils):
    dbutils.fs.ls.return_value = [
        SimpleNamespace(name="orders_0105.csv", size=2048, modificationTime=1767600000000),
        SimpleNamespace(name="archive/", size=0, modificationTime=0),
    ]

    files = customers.landed_files(dbutils, "dbfs:/landing/orders")

    dbutils.fs.ls.assert_called_once_with("dbfs:/landing/orders")
    assert files["name"].tolist() == ["orders_0105.csv"]  # folders are left out
    assert files["size"].tolist() == [2048]
    assert files["modified_at"].tolist() == [pd.Timestamp("2026-01-05 08:00", tz="UTC")]
