"""The example transformations on small hand-made frames: fast, no files."""

from __future__ import annotations

import pandas as pd

from {{ cookiecutter.package_name }}.nodes.orders import CleanOrders
from {{ cookiecutter.package_name }}.nodes.reports import daily_revenue


def raw_orders() -> pd.DataFrame:
    orders = pd.DataFrame(
        [
            (1, "2026-01-05 09:00", 10.0, False),
            (2, "2026-01-05 18:00", None, False),
            (3, "2026-01-06 10:00", 2.5, False),
            (4, "2026-01-06 11:00", 20.0, False),
            (5, "2026-01-06 12:00", 30.0, True),
        ],
        columns=["order_id", "ordered_at", "amount", "is_test"],
    )
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"])
    return orders


def test_clean_orders_drops_missing_small_and_test_orders():
    clean = CleanOrders().run(raw_orders(), min_amount=5)

    assert clean["order_id"].tolist() == [1, 4]
    assert "is_test" not in clean.columns


def test_clean_orders_can_keep_test_orders():
    clean = CleanOrders(drop_test_orders=False).run(raw_orders(), min_amount=5)

    assert clean["order_id"].tolist() == [1, 4, 5]


def test_daily_revenue_sums_amounts_per_day():
    clean = CleanOrders(drop_test_orders=False).run(raw_orders(), min_amount=5)

    report = daily_revenue(clean, currency="EUR")

    assert report["day"].astype(str).tolist() == ["2026-01-05", "2026-01-06"]
    assert report["orders"].tolist() == [1, 2]
    assert report["revenue"].tolist() == [10.0, 50.0]
    assert set(report["currency"]) == {"EUR"}
