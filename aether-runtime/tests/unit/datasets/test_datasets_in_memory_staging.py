"""A small output last recorded with known bytes is rendered in memory first: every built-in
file type renders there exactly the bytes it writes to a path (or an unchanged output would
be rewritten, and a changed one written with other bytes than a plain save writes)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aether.datasets import (
    JsonDataSet,
    PandasCsvDataSet,
    PandasJsonDataSet,
    PandasParquetDataSet,
    PickleDataSet,
)
from aether.datasets import files as files_module
from aether.datasets.file_hashes import sha256

FRAME = pd.DataFrame({"day": ["2026-01-01", "2026-01-02"], "amount": [1.5, 2.25]})
OTHER = pd.DataFrame({"day": ["2026-01-03"], "amount": [9.0]})

KINDS: dict[str, tuple[Callable[[str], Any], Any, Any]] = {
    "csv": (PandasCsvDataSet, FRAME, OTHER),
    "csv sep": (lambda p: PandasCsvDataSet(p, save_args={"sep": ";"}), FRAME, OTHER),
    "parquet": (PandasParquetDataSet, FRAME, OTHER),
    "pandas json": (PandasJsonDataSet, FRAME, OTHER),
    "json": (JsonDataSet, {"a": [1, 2], "b": "c"}, {"a": []}),
    "pickle": (PickleDataSet, {"a": (1, 2)}, {"b": 3}),
}


def _recorded(path: Path) -> tuple[dict[str, Any], str]:
    found = os.stat(path)
    signature = {"size": found.st_size, "mtime_ns": found.st_mtime_ns, "inode": found.st_ino}
    with open(path, "rb") as file:
        return signature, sha256(file)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_bytes_in_place_are_recognised_without_writing_a_file(
    tmp_path: Path, kind: str
) -> None:
    make, data, _ = KINDS[kind]
    path = tmp_path / f"out.{kind.split()[0]}"
    dataset = make(str(path))
    dataset.save(data)
    dataset.last_recorded = _recorded(path)

    staged = dataset.stage(data)

    assert staged is not None and staged.temporary == staged.target  # nothing written aside
    assert sorted(os.listdir(tmp_path)) == [path.name]
    dataset.discard(staged)  # never removes the file itself
    assert path.exists()


@pytest.mark.parametrize("kind", list(KINDS))
def test_other_bytes_are_written_aside_as_a_plain_save_writes_them(
    tmp_path: Path, kind: str
) -> None:
    make, data, other = KINDS[kind]
    path, plain = tmp_path / "out", tmp_path / "plain"
    dataset = make(str(path))
    dataset.save(data)
    dataset.last_recorded = _recorded(path)
    make(str(plain)).save(other)

    staged = dataset.stage(other)

    assert staged is not None and staged.temporary != staged.target
    dataset.publish(staged)
    assert path.read_bytes() == plain.read_bytes()


def test_an_output_that_grew_past_the_limit_is_written_the_ordinary_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_module, "IN_MEMORY_STAGING_MAX_BYTES", 64)
    path = tmp_path / "out.csv"
    dataset = PandasCsvDataSet(str(path))
    dataset.save(OTHER)
    dataset.last_recorded = _recorded(path)  # small: rendered in memory, up to 2 x 64 bytes
    big = pd.DataFrame({"day": ["2026-01-01"] * 100, "amount": range(100)})

    staged = dataset.stage(big)

    assert staged is not None and staged.temporary != staged.target
    dataset.publish(staged)
    assert pd.read_csv(path).shape == (100, 2)


def test_a_file_changed_since_recorded_is_written_even_with_the_same_bytes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.csv"
    dataset = PandasCsvDataSet(str(path))
    dataset.save(FRAME)
    recorded = _recorded(path)
    path.write_text("day,amount\n")  # edited by hand since
    dataset.last_recorded = recorded

    staged = dataset.stage(FRAME)

    assert staged is not None and staged.temporary != staged.target
    dataset.publish(staged)
    with open(path, "rb") as file:
        assert sha256(file) == recorded[1]
