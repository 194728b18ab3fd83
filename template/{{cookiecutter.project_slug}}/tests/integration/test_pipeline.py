"""The whole pipeline in-process, on a copy of the project: catalog, parameters and nodes."""

from __future__ import annotations

import pandas as pd
import pytest

from aether import run_pipeline
from aether.project import load_context


def test_orders_pipeline_writes_clean_orders_and_daily_revenue(project):
    # The threshold the run uses, read as the run reads it: editing parameters.yml keeps this green.
    min_amount = load_context(project).params["cleaning"]["min_amount"]

    assert run_pipeline(project).succeeded

    raw = pd.read_csv(project / "data/01_raw/orders.csv")
    clean = pd.read_parquet(project / "data/02_intermediate/clean_orders.parquet")
    report = pd.read_csv(project / "data/08_reporting/daily_revenue.csv")
    expected = raw[raw["amount"].notna() & (raw["amount"] >= min_amount) & ~raw["is_test"]]
    assert sorted(clean["order_id"]) == sorted(expected["order_id"])
    assert report["orders"].sum() == len(expected)
    assert report["revenue"].sum() == pytest.approx(expected["amount"].sum())


def test_parameters_override_the_minimum_amount(project):
    assert run_pipeline(project, params={"cleaning.min_amount": 200}).succeeded

    clean = pd.read_parquet(project / "data/02_intermediate/clean_orders.parquet")
    assert len(clean) > 0
    assert (clean["amount"] >= 200).all()
