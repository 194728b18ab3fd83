"""Cleaning of the shop's raw orders."""

from __future__ import annotations

import pandas as pd

from aether import AbstractTransformation


class CleanOrders(AbstractTransformation):
    """Drop orders without an amount or below ``min_amount``, and (optionally) test orders."""

    def __init__(self, drop_test_orders: bool = True) -> None:
        self.drop_test_orders = drop_test_orders

    def run(self, orders: pd.DataFrame, min_amount: float) -> pd.DataFrame:
        kept = orders.dropna(subset=["amount"])
        kept = kept[kept["amount"] >= min_amount]
        if self.drop_test_orders:
            kept = kept[~kept["is_test"].astype(bool)]
        return kept.drop(columns=["is_test"]).reset_index(drop=True)
