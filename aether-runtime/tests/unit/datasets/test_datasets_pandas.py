"""pandas datasets: CSV, Parquet and JSON defaults, argument pass-through, type errors."""

from __future__ import annotations

import gzip
import logging
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aether.datasets.pandas import PandasCsvDataSet, PandasJsonDataSet, PandasParquetDataSet
from aether.errors import DataSetError

ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2],
        "ordered_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 11:30"]),
        "amount": [9.5, 20.0],
    }
)


def _dataset(cls: type, path: Path, **kwargs: Any) -> Any:
    dataset = cls(str(path), **kwargs)
    dataset.name = "orders"
    return dataset


# -- CSV --------------------------------------------------------------------------------


def test_csv_is_written_without_the_index(tmp_path: Path) -> None:
    _dataset(PandasCsvDataSet, tmp_path / "o.csv").save(ORDERS)

    assert (tmp_path / "o.csv").read_text().splitlines()[0] == "order_id,ordered_at,amount"


def test_csv_save_args_override_the_defaults(tmp_path: Path) -> None:
    _dataset(PandasCsvDataSet, tmp_path / "o.csv", save_args={"index": True, "sep": ";"}).save(
        ORDERS
    )

    assert (tmp_path / "o.csv").read_text().splitlines()[0] == ";order_id;ordered_at;amount"


def test_csv_load_args_reach_read_csv(tmp_path: Path) -> None:
    _dataset(PandasCsvDataSet, tmp_path / "o.csv").save(ORDERS)

    plain = _dataset(PandasCsvDataSet, tmp_path / "o.csv").load()
    parsed = _dataset(
        PandasCsvDataSet, tmp_path / "o.csv", load_args={"parse_dates": ["ordered_at"]}
    ).load()

    assert not pd.api.types.is_datetime64_any_dtype(plain["ordered_at"])
    assert pd.api.types.is_datetime64_any_dtype(parsed["ordered_at"])
    assert parsed["ordered_at"].tolist() == ORDERS["ordered_at"].tolist()


def test_csv_compression_follows_the_suffix_despite_the_temporary_name(tmp_path: Path) -> None:
    dataset = _dataset(PandasCsvDataSet, tmp_path / "o.csv.gz")
    dataset.save(ORDERS)

    assert gzip.decompress((tmp_path / "o.csv.gz").read_bytes()).startswith(b"order_id,")
    assert dataset.load()["order_id"].tolist() == [1, 2]


def test_zipped_csv_member_is_named_after_the_real_file(tmp_path: Path) -> None:
    _dataset(PandasCsvDataSet, tmp_path / "o.csv.zip").save(ORDERS)

    with zipfile.ZipFile(tmp_path / "o.csv.zip") as archive:
        assert archive.namelist() == ["o.csv"]


def test_csv_warns_when_a_named_index_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    by_day = ORDERS.groupby(ORDERS["ordered_at"].dt.date.rename("day"))[["amount"]].sum()

    with caplog.at_level(logging.WARNING, logger="aether.datasets"):
        _dataset(PandasCsvDataSet, tmp_path / "o.csv").save(by_day)

    assert "index ['day'] is not written" in caplog.text
    assert "reset_index()" in caplog.text


# -- Parquet ----------------------------------------------------------------------------


def test_parquet_round_trip_keeps_dtypes(tmp_path: Path) -> None:
    dataset = _dataset(PandasParquetDataSet, tmp_path / "o.parquet")
    dataset.save(ORDERS)

    pd.testing.assert_frame_equal(dataset.load(), ORDERS, check_dtype=False)
    assert pd.api.types.is_datetime64_any_dtype(dataset.load()["ordered_at"])


def test_parquet_drops_an_unnamed_index_and_keeps_a_named_one(tmp_path: Path) -> None:
    filtered = ORDERS[ORDERS["amount"] > 10]  # index [1], left over from filtering
    by_id = ORDERS.set_index("order_id")

    unnamed = _dataset(PandasParquetDataSet, tmp_path / "a.parquet")
    unnamed.save(filtered)
    named = _dataset(PandasParquetDataSet, tmp_path / "b.parquet")
    named.save(by_id)

    assert unnamed.load().index.tolist() == [0]
    assert "__index_level_0__" not in unnamed.load().columns
    pd.testing.assert_frame_equal(named.load(), by_id, check_dtype=False)


def test_parquet_load_and_save_args_pass_through(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    _dataset(PandasParquetDataSet, tmp_path / "o.parquet", save_args={"compression": "gzip"}).save(
        ORDERS
    )
    subset = _dataset(
        PandasParquetDataSet, tmp_path / "o.parquet", load_args={"columns": ["amount"]}
    ).load()

    assert list(subset.columns) == ["amount"]
    metadata = pq.ParquetFile(tmp_path / "o.parquet").metadata
    assert metadata.row_group(0).column(0).compression == "GZIP"


# -- JSON -------------------------------------------------------------------------------


def test_json_defaults_to_records_with_iso_dates(tmp_path: Path) -> None:
    dataset = _dataset(PandasJsonDataSet, tmp_path / "o.json")
    dataset.save(ORDERS)

    text = (tmp_path / "o.json").read_text()
    assert text.startswith('[{"order_id":1,"ordered_at":"2024-01-01T10:00:00')
    loaded = dataset.load()
    assert loaded["order_id"].tolist() == [1, 2]
    assert pd.api.types.is_datetime64_any_dtype(loaded["ordered_at"])


def test_json_lines_are_loaded_the_way_they_were_saved(tmp_path: Path) -> None:
    dataset = _dataset(PandasJsonDataSet, tmp_path / "o.jsonl", save_args={"lines": True})
    dataset.save(ORDERS)

    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2
    assert dataset.load()["amount"].tolist() == [9.5, 20.0]


def test_json_load_uses_the_save_orient_unless_told_otherwise(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    dataset = _dataset(PandasJsonDataSet, tmp_path / "o.json", save_args={"orient": "index"})
    dataset.save(frame)

    assert dataset.load().loc["y", "a"] == 2
    as_columns = _dataset(PandasJsonDataSet, tmp_path / "o.json", load_args={"orient": "columns"})
    assert list(as_columns.load().columns) == ["x", "y"]


# -- type errors ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [PandasCsvDataSet, PandasParquetDataSet, PandasJsonDataSet])
@pytest.mark.parametrize("data", [[{"a": 1}], pd.Series([1, 2], name="a")])
def test_saving_something_other_than_a_dataframe_says_what_was_given(
    tmp_path: Path, cls: type, data: Any
) -> None:
    dataset = _dataset(cls, tmp_path / "o.out")

    with pytest.raises(DataSetError) as raised:
        dataset.save(data)

    message = str(raised.value)
    assert f"Dataset 'orders' ({cls.__name__})" in message
    assert type(data).__qualname__ in message
    assert "pandas DataFrame" in message
    assert list(tmp_path.iterdir()) == []


def test_a_frame_whose_serialisation_fails_part_way_keeps_the_previous_file(
    tmp_path: Path,
) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("cannot format this value")

    dataset = _dataset(PandasCsvDataSet, tmp_path / "o.csv", save_args={"chunksize": 1})
    dataset.save(ORDERS)
    previous = (tmp_path / "o.csv").read_bytes()
    bad = pd.DataFrame({"v": ["fine"] * 1000 + [Unprintable()]})

    with pytest.raises(DataSetError, match="Failed to save dataset 'orders'"):
        dataset.save(bad)

    assert (tmp_path / "o.csv").read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["o.csv"]
