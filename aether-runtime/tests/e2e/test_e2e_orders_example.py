"""The bundled example project, end to end: `aether run` turns the orders CSV into a clean
Parquet table and a daily revenue report whose figures match a plain pandas computation."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "orders"
Aether = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def orders_run(
    tmp_path_factory: pytest.TempPathFactory, aether: Aether, copy_orders: Callable[[Path], Path]
) -> Path:
    """A copy of examples/orders with only the raw data, after one `aether run`."""
    project = copy_orders(tmp_path_factory.mktemp("e2e") / "orders")

    result = aether(project, "run")

    assert result.returncode == 0, result.stdout + result.stderr
    return project


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "data/01_raw/orders.csv", parse_dates=["ordered_at"])


@pytest.fixture(scope="module")
def expected_clean(raw: pd.DataFrame) -> pd.DataFrame:
    """What cleaning means, written independently: an amount, at least 5, not a test order."""
    kept = raw[raw["amount"].notna() & (raw["amount"] >= 5) & ~raw["is_test"].astype(bool)]
    return kept.drop(columns=["is_test"]).reset_index(drop=True)


def test_raw_data_has_what_cleaning_must_remove(raw: pd.DataFrame) -> None:
    assert raw["amount"].isna().sum() > 0
    assert raw["is_test"].astype(bool).sum() > 0


def test_clean_orders_parquet_drops_test_orders_and_null_amounts(
    orders_run: Path, raw: pd.DataFrame, expected_clean: pd.DataFrame
) -> None:
    clean = pd.read_parquet(orders_run / "data/02_intermediate/clean_orders.parquet")

    assert len(clean) == len(expected_clean) < len(raw)
    assert clean["amount"].notna().all()
    assert "is_test" not in clean.columns
    test_ids = set(raw.loc[raw["is_test"].astype(bool), "order_id"])
    null_ids = set(raw.loc[raw["amount"].isna(), "order_id"])
    assert not (set(clean["order_id"]) & (test_ids | null_ids))
    pd.testing.assert_frame_equal(clean, expected_clean, check_dtype=False)


def test_daily_revenue_report_matches_pandas(
    orders_run: Path, expected_clean: pd.DataFrame
) -> None:
    report = pd.read_csv(orders_run / "data/08_reporting/daily_revenue.csv")
    days = expected_clean["ordered_at"].dt.date.astype(str)
    expected = expected_clean.groupby(days).agg(
        orders=("order_id", "count"), revenue=("amount", "sum")
    )

    assert list(report.columns) == ["day", "orders", "revenue", "currency"]
    assert list(report["day"]) == list(expected.index)
    assert list(report["orders"]) == list(expected["orders"])
    assert report["revenue"].tolist() == pytest.approx(expected["revenue"].round(2).tolist())
    assert report["revenue"].sum() == pytest.approx(expected_clean["amount"].sum(), abs=0.05)
    assert report["orders"].sum() == len(expected_clean)
    assert set(report["currency"]) == {"EUR"}


def test_no_temporary_files_are_left_next_to_the_outputs(orders_run: Path) -> None:
    leftovers = [p.name for p in (orders_run / "data").rglob("*") if ".tmp-" in p.name]

    assert leftovers == []
