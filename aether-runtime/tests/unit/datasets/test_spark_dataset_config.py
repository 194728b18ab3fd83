"""SparkDataSet's arguments, paths, signatures and session choice: no JVM is started here
(the real-Spark tests are in tests/backends/spark, under the `spark` marker)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from aether.catalog.entries import parse_entry
from aether.catalog.factory import DataSetFactory
from aether.errors import CatalogError, ConfigError
from aether.spark import session

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None,
    reason="pyspark is not installed (the `spark` extra); .ci/run installs it",
)


def _entry(filepath: str) -> Any:
    return parse_entry("orders", {"type": "SparkDataSet", "filepath": filepath}, "catalog.yml")


def _dataset(filepath: str, **arguments: Any) -> Any:
    from aether.datasets.spark import SparkDataSet

    return SparkDataSet(filepath=filepath, **arguments)


@pytest.mark.parametrize(
    ("written", "given_to_spark"),
    [
        ("s3://lake/orders", "s3a://lake/orders"),
        ("/dbfs/mnt/raw/orders", "dbfs:/mnt/raw/orders"),
        ("dbfs:/mnt/raw/orders", "dbfs:/mnt/raw/orders"),
        ("/Volumes/main/sales/raw/orders", "/Volumes/main/sales/raw/orders"),
    ],
)
def test_paths_are_rewritten_for_spark_by_the_catalog(
    tmp_path: Path, written: str, given_to_spark: str
) -> None:
    factory = DataSetFactory(project_path=tmp_path)
    dataset = factory.create(_entry(written), None)

    assert dataset.describe()["filepath"] == given_to_spark


def test_a_relative_path_is_relative_to_the_project(tmp_path: Path) -> None:
    factory = DataSetFactory(project_path=tmp_path)
    dataset = factory.create(_entry("data/orders"), None)

    assert dataset.describe()["filepath"] == str(tmp_path / "data" / "orders")


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"file_format": "avro"}, "file_format must be one of parquet, csv, json, delta"),
        ({"save_args": {"mode": "upsert"}}, "save_args.mode must be one of"),
        ({"save_args": {"partitionBy": "day"}}, "partitionBy must be a list"),
    ],
)
def test_wrong_arguments_are_catalog_errors(arguments: dict[str, Any], words: str) -> None:
    with pytest.raises(CatalogError, match=words):
        _dataset("/tmp/x", **arguments)


def test_a_table_name_must_be_database_dot_table() -> None:
    from aether.datasets.spark import SparkTableDataSet

    with pytest.raises(CatalogError, match=r"database\.table"):
        SparkTableDataSet(table="orders; DROP TABLE x")
    assert SparkTableDataSet(table="main.sales.orders").signature() is None  # cannot tell


def test_the_signature_follows_the_part_files_without_spark(tmp_path: Path) -> None:
    folder = tmp_path / "orders"
    folder.mkdir()
    part = folder / "part-00000.parquet"
    part.write_bytes(b"one")
    (folder / "_SUCCESS").write_bytes(b"")
    dataset = _dataset(str(folder))

    before = dataset.signature()
    (folder / "_SUCCESS").write_bytes(b"bookkeeping changes nothing")
    assert dataset.signature() == before
    os.utime(part, ns=(1_000_000_000, 1_000_000_000))
    assert dataset.signature() != before
    assert dataset.exists()
    assert _dataset(str(tmp_path / "nothing")).signature() is None
    assert not _dataset(str(tmp_path / "nothing")).exists()


def test_a_delta_signature_is_the_last_log_version(tmp_path: Path) -> None:
    log = tmp_path / "events" / "_delta_log"
    log.mkdir(parents=True)
    (log / f"{0:020d}.json").write_text("{}")
    (log / f"{3:020d}.json").write_text("{}")
    (log / f"{3:020d}.checkpoint.parquet").write_text("")

    assert _dataset(str(tmp_path / "events"), file_format="delta").signature() == {"version": 3}


def test_a_remote_path_has_no_cheap_signature() -> None:
    assert _dataset("s3://lake/orders").signature() is None


def test_spark_remote_uses_the_injected_connect_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    # Databricks Connect cannot run offline: the builder is injected.
    seen: list[str | None] = []
    fake = object()

    def builder(remote: str | None) -> object:
        seen.append(remote)
        return fake

    monkeypatch.setenv("SPARK_REMOTE", "sc://workspace:443")
    monkeypatch.setattr(session, "_remote_builder", builder)
    monkeypatch.setattr(session, "_session", None)

    assert session.get_spark({"spark.master": "ignored"}) is fake
    assert session.get_spark() is fake  # built once
    assert seen == ["sc://workspace:443"]


def test_no_java_is_a_config_error_naming_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.delenv("DATABRICKS_CLUSTER_ID", raising=False)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(session, "_session", None)
    monkeypatch.setattr(session.shutil, "which", lambda name: None)

    with pytest.raises(ConfigError, match="Java runtime") as raised:
        session.get_spark()
    assert "default-jre-headless" in (raised.value.hint or "")
