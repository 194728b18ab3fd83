"""Object storage without a server: credentials turned into storage options, the package a
protocol needs, the endpoint named in errors, and uploads hashed on the way up (fsspec's
in-memory filesystem stands for the store)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import fsspec
import pandas as pd
import pytest

from aether.datasets import remote
from aether.datasets.delta import DeltaTableDataSet, delta_storage_options
from aether.datasets.pandas import PandasCsvDataSet
from aether.datasets.remote import (
    S3_DEFAULT_CONFIG,
    endpoint_of,
    require_filesystem,
    storage_options,
)
from aether.errors import CatalogError

CREDENTIALS = {
    "key": "AKIAEXAMPLEKEY",
    "secret": "very-secret-value",
    "token": "session-token-value",
    "endpoint_url": "http://127.0.0.1:9000",
    "region": "eu-west-1",
}


def test_s3_credentials_become_s3fs_storage_options() -> None:
    assert storage_options("s3", CREDENTIALS, {}) == {
        "key": "AKIAEXAMPLEKEY",
        "secret": "very-secret-value",
        "token": "session-token-value",
        "endpoint_url": "http://127.0.0.1:9000",
        "client_kwargs": {"region_name": "eu-west-1"},
        "config_kwargs": S3_DEFAULT_CONFIG,
    }


def test_fs_args_win_over_credentials_and_client_kwargs_merge() -> None:
    options = storage_options(
        "s3",
        {"key": "k", "region": "eu-west-1"},
        {"anon": False, "client_kwargs": {"verify": False}},
    )
    assert options == {
        "key": "k",
        "anon": False,
        "client_kwargs": {"region_name": "eu-west-1", "verify": False},
        "config_kwargs": S3_DEFAULT_CONFIG,
    }


def test_s3_requests_are_bounded_by_default_and_an_entry_overrides_key_by_key() -> None:
    options = storage_options("s3", {}, {"config_kwargs": {"read_timeout": 5}})
    assert options["config_kwargs"] == {**S3_DEFAULT_CONFIG, "read_timeout": 5}
    options["config_kwargs"]["retries"]["max_attempts"] = 99  # as botocore rewrites it
    assert S3_DEFAULT_CONFIG["retries"]["max_attempts"] == 3


def test_retries_in_fs_args_is_refused_naming_config_kwargs() -> None:
    with pytest.raises(CatalogError) as caught:
        storage_options("s3", {}, {"retries": 1})
    assert "config_kwargs" in caught.value.hint


def test_other_protocols_take_credentials_as_written() -> None:
    assert storage_options("gs", {"token": "x.json"}, {"project": "p"}) == {
        "token": "x.json",
        "project": "p",
    }


@pytest.mark.parametrize(
    ("protocol", "options", "expected"),
    [
        ("s3", {"endpoint_url": "http://127.0.0.1:9000"}, "127.0.0.1:9000"),
        ("s3", {"endpoint_url": "https://minio.internal"}, "minio.internal:443"),
        ("s3", {"client_kwargs": {"region_name": "eu-west-1"}}, "s3.eu-west-1.amazonaws.com:443"),
        ("s3", {}, "s3.amazonaws.com:443"),
        ("gs", {}, "storage.googleapis.com:443"),
        ("abfs", {"account_name": "lake"}, "lake.dfs.core.windows.net:443"),
    ],
)
def test_the_endpoint_named_in_errors(protocol: str, options: dict, expected: str) -> None:
    assert endpoint_of(protocol, options) == expected


def test_a_missing_s3fs_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aether.datasets.optional.is_installed", lambda module: False)
    with pytest.raises(CatalogError, match=r"'s3fs'") as caught:
        PandasCsvDataSet("s3://bucket/orders.csv")
    assert "aether-data[s3]" in (caught.value.hint or "")


def test_a_missing_gcsfs_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "is_installed", lambda module: False)
    with pytest.raises(CatalogError, match=r"'gcsfs' package for gs:// paths") as caught:
        require_filesystem("gs", "PandasCsvDataSet (gs://bucket/x.csv)")
    assert "gcsfs" in (caught.value.hint or "")


def test_local_files_need_no_filesystem_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aether.datasets.optional.is_installed", lambda module: False)
    assert PandasCsvDataSet("data/orders.csv").local_path is not None


def test_hashing_is_costly_only_for_remote_files() -> None:
    assert PandasCsvDataSet("s3://bucket/orders.csv").content_hash_is_costly
    assert not PandasCsvDataSet("data/orders.csv").content_hash_is_costly


@pytest.fixture
def memory_root() -> Iterator[str]:
    root = f"remote-{uuid.uuid4().hex[:8]}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_a_remote_save_knows_its_hash_without_downloading(
    memory_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = PandasCsvDataSet(f"memory://{memory_root}/orders.csv")
    dataset.save(pd.DataFrame({"a": [1, 2]}))
    expected = PandasCsvDataSet(f"memory://{memory_root}/orders.csv").content_hash()

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("the object was read back")

    monkeypatch.setattr(dataset, "_hash_stored_file", no_download)
    assert dataset.content_hash() == expected


def test_staged_remote_copy_carries_the_hash_of_what_was_uploaded(memory_root: str) -> None:
    dataset = PandasCsvDataSet(f"memory://{memory_root}/orders.csv")
    staged = dataset.stage(pd.DataFrame({"a": [1, 2]}))
    assert staged is not None
    uploaded = fsspec.filesystem("memory").cat(staged.temporary)
    import hashlib

    assert staged.content_hash == "sha256:" + hashlib.sha256(uploaded).hexdigest()


def test_delta_credentials_become_deltalake_storage_options() -> None:
    options = delta_storage_options({**CREDENTIALS, "AWS_S3_ALLOW_UNSAFE_RENAME": True})
    assert options == {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY",
        "AWS_SECRET_ACCESS_KEY": "very-secret-value",
        "AWS_SESSION_TOKEN": "session-token-value",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_REGION": "eu-west-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"save_args": {"mode": "upsert"}}, "mode must be one of overwrite, append, error"),
        ({"load_args": {"version": "3"}}, "must be a table version"),
        ({"load_args": {"as_of": 3}}, "does not know load_args as_of"),
        ({"filepath": ""}, "non-empty 'filepath'"),
    ],
)
def test_delta_arguments_are_checked_at_construction(arguments: dict, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        DeltaTableDataSet(**{"filepath": "data/events", **arguments})


def test_delta_needs_the_delta_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aether.datasets.optional.is_installed", lambda module: False)
    with pytest.raises(CatalogError, match="'deltalake'") as caught:
        DeltaTableDataSet("data/events")
    assert "aether-data[delta]" in (caught.value.hint or "")


def test_delta_describe_never_shows_credentials() -> None:
    described = DeltaTableDataSet("s3://lake/events", credentials=CREDENTIALS).describe()
    assert "very-secret-value" not in repr(described)
    assert described["filepath"] == "s3://lake/events"
