"""SparkDataSet and SparkTableDataSet against a real local Spark (pyspark, local[2])."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aether.datasets.spark import SparkDataSet, SparkTableDataSet
from aether.errors import DataSetError


def _rows(frame: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in frame.collect())


def test_a_pandas_frame_is_saved_as_parquet_and_loaded_as_spark(spark: Any, tmp_path: Path) -> None:
    dataset = SparkDataSet(filepath=str(tmp_path / "orders"))

    dataset.save(pd.DataFrame({"day": ["mon", "tue"], "amount": [3, 4]}))
    loaded = dataset.load()

    assert _rows(loaded) == [("mon", 3), ("tue", 4)]
    assert dataset.exists()
    assert dataset.signature() is not None


def test_csv_with_reader_options_and_partitioned_writes(spark: Any, tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text("day,amount\nmon,3\nmon,5\ntue,4\n")
    source = SparkDataSet(
        filepath=str(raw), file_format="csv", load_args={"header": True, "inferSchema": True}
    )
    target = SparkDataSet(
        filepath=str(tmp_path / "by_day"), save_args={"mode": "overwrite", "partitionBy": ["day"]}
    )

    target.save(source.load().groupBy("day").sum("amount"))

    assert sorted(p.name for p in (tmp_path / "by_day").iterdir() if p.is_dir()) == [
        "day=mon",
        "day=tue",
    ]
    assert _rows(target.load().select("day", "sum(amount)")) == [("mon", 8), ("tue", 4)]


def test_append_adds_rows_and_changes_the_signature(spark: Any, tmp_path: Path) -> None:
    dataset = SparkDataSet(filepath=str(tmp_path / "events"), file_format="json",
                           save_args={"mode": "append"})  # fmt: skip
    dataset.save(spark.createDataFrame([(1,)], ["n"]))
    first = dataset.signature()

    dataset.save(spark.createDataFrame([(2,)], ["n"]))

    assert _rows(dataset.load()) == [(1,), (2,)]
    assert dataset.signature() != first


def test_loading_a_missing_path_names_the_dataset(spark: Any, tmp_path: Path) -> None:
    dataset = SparkDataSet(filepath=str(tmp_path / "never_written"))
    dataset.name = "orders"

    assert not dataset.exists()
    with pytest.raises(DataSetError, match="orders"):
        dataset.load()


def test_a_metastore_table_round_trip(spark: Any, tmp_path: Path) -> None:
    spark.sql(f"CREATE DATABASE IF NOT EXISTS aether_test LOCATION '{tmp_path / 'wh'}'")
    dataset = SparkTableDataSet(table="aether_test.orders")

    assert not dataset.exists()
    dataset.save(pd.DataFrame({"n": [1, 2]}))

    assert dataset.exists()
    assert _rows(dataset.load()) == [(1,), (2,)]
    # No cheap signature: status never asks Spark; a run re-observes the table's files.
    assert dataset.signature() is None
    assert dataset.content_hash_is_costly
    first = dataset.content_hash()
    assert first is not None and first.startswith("sha256:")
    dataset.save(pd.DataFrame({"n": [3]}))
    assert dataset.content_hash() != first
