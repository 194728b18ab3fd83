"""The staging hooks of the dataset contract: write aside, then publish, discard or check.

Real files under tmp_path, and fsspec's in-memory filesystem for the remote code path.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import fsspec
import pytest

from aether.datasets.base import Staged
from aether.datasets.json import JsonDataSet
from aether.datasets.memory import MemoryDataSet
from aether.datasets.pandas import PandasCsvDataSet
from aether.errors import DataSetError


def _json(path: Path | str) -> JsonDataSet:
    dataset = JsonDataSet(str(path))
    dataset.name = "orders"
    return dataset


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_staging_writes_a_hidden_sibling_and_leaves_the_current_version(tmp_path: Path) -> None:
    dataset = _json(tmp_path / "orders.json")
    dataset.save({"v": 1})

    staged = dataset.stage({"v": 2})

    assert staged is not None and staged.target == str(tmp_path / "orders.json")
    assert Path(staged.temporary).name.startswith(".orders.json.tmp-")
    assert dataset.load() == {"v": 1}
    assert dataset.is_staged(staged)


def test_publishing_puts_the_staged_copy_in_place_with_its_signature(tmp_path: Path) -> None:
    dataset = _json(tmp_path / "orders.json")
    dataset.save({"v": 1})
    staged = dataset.stage({"v": 2})
    assert staged is not None

    dataset.publish(staged)

    assert dataset.load() == {"v": 2}
    assert not dataset.is_staged(staged)
    assert dataset.signature() == staged.signature
    assert dataset.content_hash() == staged.content_hash
    assert _names(tmp_path) == ["orders.json"]


def test_a_staged_copy_is_published_by_another_instance_of_the_dataset(tmp_path: Path) -> None:
    staged = _json(tmp_path / "orders.json").stage({"v": 2})
    assert staged is not None
    # What a repair does: the staged copy came back from the journal as plain data.
    from_journal = Staged(staged.temporary, staged.target)

    _json(tmp_path / "orders.json").publish(from_journal)

    assert _json(tmp_path / "orders.json").load() == {"v": 2}


def test_discarding_removes_the_staged_copy_and_keeps_the_current_version(tmp_path: Path) -> None:
    dataset = _json(tmp_path / "orders.json")
    dataset.save({"v": 1})
    staged = dataset.stage({"v": 2})
    assert staged is not None

    dataset.discard(staged)
    dataset.discard(staged)  # already gone: quietly nothing

    assert not dataset.is_staged(staged)
    assert dataset.load() == {"v": 1}
    assert _names(tmp_path) == ["orders.json"]


def test_data_of_the_wrong_type_is_refused_before_any_file_is_written(tmp_path: Path) -> None:
    dataset = PandasCsvDataSet(str(tmp_path / "orders.csv"))
    dataset.name = "orders"

    with pytest.raises(DataSetError, match="'orders'"):
        dataset.stage("not a table")

    assert _names(tmp_path) == []


def test_a_save_whose_rename_fails_leaves_no_temporary_behind(tmp_path: Path) -> None:
    # A non-empty folder where the file should be: the write works, the rename cannot.
    (tmp_path / "orders.json").mkdir()
    (tmp_path / "orders.json" / "keep").write_text("x")

    with pytest.raises(DataSetError, match="Failed to save dataset 'orders'"):
        _json(tmp_path / "orders.json").save({"v": 1})

    assert _names(tmp_path) == ["orders.json"]


def test_a_dataset_without_the_hooks_cannot_stage() -> None:
    dataset = MemoryDataSet()

    assert dataset.stage([1, 2]) is None
    assert not dataset.is_staged(Staged("a", "b"))
    with pytest.raises(DataSetError, match="cannot stage"):
        dataset.publish(Staged("a", "b"))


def test_remote_files_stage_aside_and_publish_by_moving() -> None:
    root = f"aether-tests-{uuid.uuid4().hex}"
    dataset = _json(f"memory://{root}/orders.json")
    fs = fsspec.filesystem("memory")
    try:
        dataset.save({"v": 1})
        staged = dataset.stage({"v": 2})
        assert staged is not None
        assert dataset.load() == {"v": 1} and dataset.is_staged(staged)

        dataset.publish(staged)

        assert dataset.load() == {"v": 2} and not dataset.is_staged(staged)
        assert [p.rsplit("/", 1)[-1] for p in fs.ls(root, detail=False)] == ["orders.json"]
    finally:
        fs.rm(root, recursive=True)


def test_a_path_under_a_file_has_no_signature_rather_than_an_error(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where a folder should be")

    assert _json(tmp_path / "blocked" / "orders.json").signature() is None
