"""Reports built from clean orders."""

from __future__ import annotations

import pandas as pd


def daily_revenue(orders: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Revenue and order count per calendar day."""
    days = orders["ordered_at"].dt.date.rename("day")
    report = orders.groupby(days).agg(orders=("order_id", "count"), revenue=("amount", "sum"))
    report["revenue"] = report["revenue"].round(2)
    report["currency"] = currency
    return report.reset_index()
