"""The columns recorded for a saved output: read from the object's own schema, bounded, and
never fatal."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from aether.datasets import columns
from aether.datasets.columns import columns_of


def test_a_pandas_frame_gives_its_names_and_dtypes() -> None:
    frame = pd.DataFrame({"id": [1], "amount": [1.5], "city": ["x"], 3: [True]})

    assert columns_of(frame) == (("id", "int64"), ("amount", "float64"),
                                 ("city", str(frame.dtypes["city"])), ("3", "bool"))  # fmt: skip


def test_an_arrow_table_gives_its_schema() -> None:
    table = pa.table({"id": pa.array([1], pa.int32()), "at": pa.array([None], pa.timestamp("s"))})

    assert columns_of(table) == (("id", "int32"), ("at", "timestamp[s]"))


@pytest.mark.parametrize("data", [[{"id": 1}], {"id": [1]}, "text", b"bytes", None, pd.Series([1])])
def test_data_without_a_schema_records_nothing(data: object) -> None:
    assert columns_of(data) is None


def test_a_wide_frame_and_long_names_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "MAX_COLUMNS", 3)
    frame = pd.DataFrame({f"{'x' * 300}{i}": [i] for i in range(5)})

    found = columns_of(frame)

    assert found is not None and len(found) == 3
    assert all(len(name) == columns.MAX_NAME_CHARS for name, _ in found)


def test_a_schema_that_cannot_be_read_is_not_recorded() -> None:
    class DataFrame:  # looks like pandas' by name and module, and breaks on .dtypes
        __module__ = "pandas.core.frame"

        @property
        def dtypes(self) -> object:
            raise RuntimeError("broken")

    assert columns_of(DataFrame()) is None
