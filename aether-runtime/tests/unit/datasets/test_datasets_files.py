"""What every file dataset shares: paths, atomic saves, describe, signatures, content hashes.

Real files under tmp_path, and fsspec's in-memory filesystem for the remote code path.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pytest

from aether.datasets import file_hashes, files
from aether.datasets.files import AbstractFileDataSet
from aether.datasets.json import JsonDataSet
from aether.datasets.pandas import PandasCsvDataSet, PandasJsonDataSet, PandasParquetDataSet
from aether.datasets.pickle import PickleDataSet
from aether.datasets.remote import resolve_filepath
from aether.errors import CatalogError, DataSetError

FRAME = pd.DataFrame({"order_id": [1, 2, 3], "amount": [9.5, 20.0, 3.25]})

# (dataset class, file suffix, sample data, equality check)
KINDS: list[tuple[type[AbstractFileDataSet], str, Any]] = [
    (PandasCsvDataSet, "csv", FRAME),
    (PandasParquetDataSet, "parquet", FRAME),
    (PandasJsonDataSet, "json", FRAME),
    (PickleDataSet, "pkl", {"model": [1, 2, 3]}),
    (JsonDataSet, "json", {"rows": [1, 2, 3], "name": "orders"}),
]
KIND_IDS = [cls.__name__ for cls, _, _ in KINDS]


def _assert_same(loaded: Any, expected: Any) -> None:
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(loaded, expected)
    else:
        assert loaded == expected


def _dataset(cls: type[AbstractFileDataSet], path: str | Path, **kwargs: Any) -> Any:
    dataset = cls(str(path), **kwargs)
    dataset.name = "orders"
    return dataset


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A unique folder on fsspec's process-wide in-memory filesystem, removed afterwards."""
    root = f"aether-tests-{uuid.uuid4().hex}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


# -- paths ------------------------------------------------------------------------------


def test_relative_paths_are_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert resolve_filepath("data/x.csv") == ("file", str(tmp_path / "data" / "x.csv"))


def test_file_urls_are_local_paths(tmp_path: Path) -> None:
    target = tmp_path / "with space" / "x.csv"

    assert resolve_filepath(target.as_uri()) == ("file", str(target))


def test_remote_urls_keep_protocol_and_path() -> None:
    assert resolve_filepath("s3://bucket/raw/x.csv") == ("s3", "bucket/raw/x.csv")


def test_a_dataset_from_a_file_url_writes_the_local_file(tmp_path: Path) -> None:
    dataset = _dataset(PandasCsvDataSet, (tmp_path / "x.csv").as_uri())
    dataset.save(FRAME)

    assert (tmp_path / "x.csv").is_file()
    assert dataset.filepath == str(tmp_path / "x.csv")


def test_an_empty_filepath_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match="filepath"):
        PandasCsvDataSet("")


# -- round trips, existence, missing files ----------------------------------------------


@pytest.mark.parametrize(("cls", "suffix", "data"), KINDS, ids=KIND_IDS)
def test_round_trip_creates_parent_folders(
    tmp_path: Path, cls: type[AbstractFileDataSet], suffix: str, data: Any
) -> None:
    dataset = _dataset(cls, tmp_path / "a" / "b" / f"orders.{suffix}")
    assert not dataset.exists()

    dataset.save(data)

    assert dataset.exists()
    _assert_same(dataset.load(), data)
    assert os.listdir(tmp_path / "a" / "b") == [f"orders.{suffix}"]


@pytest.mark.parametrize(("cls", "suffix", "data"), KINDS, ids=KIND_IDS)
def test_loading_a_missing_file_is_a_dataset_error_naming_the_dataset(
    tmp_path: Path, cls: type[AbstractFileDataSet], suffix: str, data: Any
) -> None:
    dataset = _dataset(cls, tmp_path / f"missing.{suffix}")

    with pytest.raises(DataSetError, match=r"Dataset 'orders' .*has no file at .*missing"):
        dataset.load()


@pytest.mark.parametrize(("cls", "suffix", "data"), KINDS, ids=KIND_IDS)
def test_remote_round_trip_through_fsspec(
    memory_root: str, cls: type[AbstractFileDataSet], suffix: str, data: Any
) -> None:
    dataset = _dataset(cls, f"memory://{memory_root}/out/orders.{suffix}")
    assert not dataset.exists()
    assert dataset.signature() is None

    dataset.save(data)

    assert dataset.exists()
    _assert_same(dataset.load(), data)
    fs = fsspec.filesystem("memory")
    assert [Path(p).name for p in fs.ls(f"{memory_root}/out", detail=False)] == [f"orders.{suffix}"]


def test_remote_missing_file_is_a_dataset_error(memory_root: str) -> None:
    dataset = _dataset(PandasCsvDataSet, f"memory://{memory_root}/missing.csv")

    with pytest.raises(DataSetError, match=r"Dataset 'orders'.*memory://"):
        dataset.load()


def test_remote_signature_changes_with_content_and_hash_follows(memory_root: str) -> None:
    dataset = _dataset(JsonDataSet, f"memory://{memory_root}/x.json")
    dataset.save({"a": 1})
    before, hash_before = dataset.signature(), dataset.content_hash()

    dataset.save({"a": 1, "b": 2})

    assert before is not None and "size" in before
    assert dataset.signature() != before
    assert dataset.content_hash() != hash_before
    assert dataset.content_hash() == dataset.content_hash()


# -- atomic saves -----------------------------------------------------------------------


def _failing_writer() -> Callable[[Any, Any], None]:
    """A writer that gets half the bytes out, then fails, as a full disk would."""

    def write(data: Any, target: Any) -> None:
        with files.binary_stream(target, "wb") as file:
            file.write(b"order_id,amount\n1,")
            file.flush()
            raise OSError("No space left on device")

    return write


@pytest.mark.parametrize(("cls", "suffix", "data"), KINDS, ids=KIND_IDS)
def test_a_save_failing_mid_write_keeps_the_previous_file_and_leaves_no_temporary(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cls: type[AbstractFileDataSet],
    suffix: str,
    data: Any,
) -> None:
    dataset = _dataset(cls, tmp_path / f"orders.{suffix}")
    dataset.save(data)
    previous = (tmp_path / f"orders.{suffix}").read_bytes()
    monkeypatch.setattr(dataset, "_write", _failing_writer())

    with pytest.raises(DataSetError, match=r"Failed to save dataset 'orders'.*No space left"):
        dataset.save(data)

    assert (tmp_path / f"orders.{suffix}").read_bytes() == previous
    assert os.listdir(tmp_path) == [f"orders.{suffix}"]
    _assert_same(dataset.load(), data)


def test_a_failing_first_save_leaves_nothing_under_the_real_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = _dataset(PandasCsvDataSet, tmp_path / "orders.csv")
    monkeypatch.setattr(dataset, "_write", _failing_writer())

    with pytest.raises(DataSetError):
        dataset.save(FRAME)

    assert os.listdir(tmp_path) == []
    assert not dataset.exists()


def test_a_remote_save_failing_mid_write_keeps_the_previous_object(
    memory_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = _dataset(PandasCsvDataSet, f"memory://{memory_root}/orders.csv")
    dataset.save(FRAME)
    monkeypatch.setattr(dataset, "_write", _failing_writer())

    with pytest.raises(DataSetError, match="No space left"):
        dataset.save(FRAME)

    fs = fsspec.filesystem("memory")
    assert fs.ls(memory_root, detail=False) == [f"/{memory_root}/orders.csv"]
    pd.testing.assert_frame_equal(dataset.load(), FRAME)


def test_the_write_goes_to_a_hidden_sibling_of_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = _dataset(PickleDataSet, tmp_path / "model.pkl")
    seen: list[str] = []
    original = dataset._write

    def spy(data: Any, target: Any) -> None:
        seen.append(target)
        original(data, target)

    monkeypatch.setattr(dataset, "_write", spy)
    dataset.save([1])

    (target,) = seen
    assert Path(target).parent == tmp_path
    assert Path(target).name.startswith(".model.pkl.tmp-")


# -- describe never shows secrets -------------------------------------------------------


def test_describe_and_repr_never_show_credentials_or_fs_arg_values(tmp_path: Path) -> None:
    dataset = _dataset(
        PandasCsvDataSet,
        tmp_path / "x.csv",
        credentials={"secret": "s3cr3t"},
        fs_args={"token": "t0k3n"},
        load_args={"storage_options": {"key": "k3y"}, "sep": ";"},
    )

    described = dataset.describe()

    for secret in ("s3cr3t", "t0k3n", "k3y"):
        assert secret not in repr(described)
        assert secret not in repr(dataset)
    assert described["fs_args"] == ["token"]
    assert described["load_args"]["sep"] == ";"
    assert described["type"] == "PandasCsvDataSet"


def test_describe_hides_a_password_in_the_url() -> None:
    dataset = _dataset(PandasCsvDataSet, "ftp://ana:pa55word@example.org/x.csv")

    assert dataset.describe()["filepath"] == "ftp://ana:***@example.org/x.csv"
    assert "pa55word" not in repr(dataset)


def test_describe_shows_the_full_location_with_protocol(memory_root: str) -> None:
    dataset = _dataset(PandasCsvDataSet, f"memory://{memory_root}/x.csv")

    assert dataset.describe()["filepath"] == f"memory://{memory_root}/x.csv"


# -- signatures and content hashes ------------------------------------------------------


def test_signature_is_none_for_a_missing_file(tmp_path: Path) -> None:
    dataset = _dataset(JsonDataSet, tmp_path / "x.json")

    assert dataset.signature() is None
    assert dataset.content_hash() is None


def test_signature_is_stable_while_nothing_changes(tmp_path: Path) -> None:
    dataset = _dataset(JsonDataSet, tmp_path / "x.json")
    dataset.save({"a": 1})

    signature = dataset.signature()

    assert signature is not None and set(signature) == {"size", "mtime_ns", "inode"}
    assert dataset.signature() == signature
    assert _dataset(JsonDataSet, tmp_path / "x.json").signature() == signature


def test_signature_changes_when_the_content_changes(tmp_path: Path) -> None:
    dataset = _dataset(JsonDataSet, tmp_path / "x.json")
    dataset.save({"a": 1})
    before = dataset.signature()

    dataset.save({"a": 2})

    assert dataset.signature() != before


def test_content_hash_is_the_sha256_of_the_file(tmp_path: Path) -> None:
    import hashlib

    dataset = _dataset(JsonDataSet, tmp_path / "x.json")
    dataset.save({"a": 1})

    expected = hashlib.sha256((tmp_path / "x.json").read_bytes()).hexdigest()
    assert dataset.content_hash() == f"sha256:{expected}"


@pytest.mark.parametrize(("cls", "suffix", "data"), KINDS, ids=KIND_IDS)
def test_identical_content_written_twice_has_the_same_hash(
    tmp_path: Path, cls: type[AbstractFileDataSet], suffix: str, data: Any
) -> None:
    dataset = _dataset(cls, tmp_path / f"x.{suffix}")
    dataset.save(data)
    first_signature, first_hash = dataset.signature(), dataset.content_hash()

    dataset.save(data)

    assert dataset.signature() != first_signature  # a new file (new inode) was published
    assert dataset.content_hash() == first_hash


def test_touch_changes_the_signature_but_not_the_content_hash(tmp_path: Path) -> None:
    dataset = _dataset(PandasCsvDataSet, tmp_path / "x.csv")
    dataset.save(FRAME)
    signature, digest = dataset.signature(), dataset.content_hash()
    stat = os.stat(tmp_path / "x.csv")

    os.utime(tmp_path / "x.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))

    assert dataset.signature() != signature
    assert dataset.content_hash() == digest


def test_an_outside_edit_of_the_same_size_changes_the_hash(tmp_path: Path) -> None:
    dataset = _dataset(JsonDataSet, tmp_path / "x.json")
    dataset.save({"a": 1})
    digest = dataset.content_hash()
    stat = os.stat(tmp_path / "x.json")

    (tmp_path / "x.json").write_text((tmp_path / "x.json").read_text().replace("1", "2"))
    os.utime(tmp_path / "x.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert dataset.content_hash() != digest


def test_the_hash_computed_while_saving_is_reused_without_rereading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = _dataset(PandasParquetDataSet, tmp_path / "x.parquet")
    dataset.save(FRAME)

    def no_rereads(file: Any) -> str:
        raise AssertionError("content_hash() reread a file it had just written")

    monkeypatch.setattr(file_hashes, "sha256", no_rereads)
    assert dataset.content_hash() is not None
    assert dataset.content_hash() is not None


def test_files_above_the_threshold_are_not_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_hashes, "CONTENT_HASH_MAX_BYTES", 8)
    dataset = _dataset(JsonDataSet, tmp_path / "x.json")
    dataset.save({"a": "longer than eight bytes"})

    assert dataset.content_hash() is None
    assert _dataset(JsonDataSet, tmp_path / "x.json").content_hash() is None
    assert dataset.signature() is not None
