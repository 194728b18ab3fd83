"""`context:dbutils` off Databricks: the local stand-in's fs, secrets and widgets."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from aether.errors import ConfigError
from aether.secrets.databricks import use_dbutils
from aether.spark.context_inputs import LocalDbutils, context_value
from aether.support.redaction import redact


def test_off_databricks_context_dbutils_is_the_local_stand_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)

    assert isinstance(context_value("dbutils", {}), LocalDbutils)


def test_fs_works_on_local_paths_written_as_dbfs(tmp_path: Path) -> None:
    fs = LocalDbutils({}).fs
    fs.mkdirs(f"dbfs:{tmp_path}/in")
    fs.put(f"dbfs:{tmp_path}/in/a.txt", "hello")
    fs.cp(f"{tmp_path}/in", f"file:{tmp_path}/out", recurse=True)

    assert fs.ls(f"{tmp_path}/out") == [f"{tmp_path}/out/a.txt"]
    assert fs.head(f"{tmp_path}/out/a.txt") == "hello"
    assert fs.rm(f"{tmp_path}/in", recurse=True)
    assert not (tmp_path / "in").exists()


def test_widgets_are_the_runs_parameters() -> None:
    widgets = LocalDbutils({"day": "2026-12-05"}).widgets

    assert widgets.get("day") == "2026-12-05"
    with pytest.raises(ConfigError, match="no parameter 'region'"):
        widgets.get("region")


def test_secrets_go_through_the_databricks_provider_and_are_masked() -> None:
    calls: list[tuple[str, str]] = []

    def get(scope: str, key: str) -> str:
        calls.append((scope, key))
        return "s3cr3t-value-for-test"

    use_dbutils(SimpleNamespace(secrets=SimpleNamespace(get=get)))
    try:
        value = LocalDbutils({}).secrets.get("shop", "db_password")
    finally:
        use_dbutils(None)

    assert value == "s3cr3t-value-for-test"
    assert calls == [("shop", "db_password")]
    assert "s3cr3t-value-for-test" not in redact(f"password={value}")
