"""validate_pipeline catches, before any node runs, what used to fail only once one had run:
a file dataset whose path is a directory, a malformed check, a malformed freshness duration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aether.catalog import DataCatalog
from aether.datasets import AbstractDataSet
from aether.engine.validation import validate_pipeline
from aether.errors import AetherError, CatalogError, ConfigError, DataSetError, PipelineError
from aether.pipeline import Pipeline, node
from aether.project.single_file_paths import refuse_directory_paths


def passthrough(rows: Any) -> Any:
    return rows


def _catalog(tmp_path: Path, **extra: dict[str, Any]) -> DataCatalog:
    entries: dict[str, dict[str, Any]] = {
        "raw": {"type": "PickleDataSet", "filepath": "data/raw.pkl"},
        "out": {"type": "PickleDataSet", "filepath": "data/out.pkl"},
    }
    for name, changes in extra.items():
        entries[name] = {**entries[name], **changes}
    where = {name: f"conf/base/catalog.yml:{i + 1}" for i, name in enumerate(entries)}
    return DataCatalog.from_config(entries, project_path=tmp_path, where=where)


PIPELINE = Pipeline([node(passthrough, "raw", "out", name="copy")], name="p")


@pytest.mark.parametrize("role", ["raw", "out"])
def test_a_file_dataset_whose_path_is_a_directory_is_refused(tmp_path: Path, role: str) -> None:
    (tmp_path / "data" / f"{role}.pkl").mkdir(parents=True)

    with pytest.raises(CatalogError) as caught:
        validate_pipeline(PIPELINE, _catalog(tmp_path))

    assert caught.value.message == (
        f"Dataset '{role}' (conf/base/catalog.yml:{1 if role == 'raw' else 2}): filepath "
        f"data/{role}.pkl is a directory, but PickleDataSet reads and writes a single file"
    )
    assert caught.value.exit_code == 2


def test_missing_files_and_real_files_pass(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw.pkl").write_bytes(b"")

    validate_pipeline(PIPELINE, _catalog(tmp_path))


def test_remote_paths_are_not_probed(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path, raw={"filepath": "memory://bucket/raw.pkl"})

    refuse_directory_paths(catalog, ["raw", "out", "not_in_catalog"])


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"checks": [{"check": "nott_null", "columns": ["a"]}]}, ConfigError, "unknown check"),
        ({"freshness": {"warn_after": "banana"}}, ConfigError, "freshness duration 'banana'"),
        ({"freshness": {"error_after": "1 fortnight"}}, ConfigError, "freshness duration"),
    ],
)
def test_checks_and_freshness_of_its_datasets_are_parsed(
    tmp_path: Path, changes: dict[str, Any], error: type[AetherError], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        validate_pipeline(PIPELINE, _catalog(tmp_path, out=changes))

    assert "'out'" in caught.value.message


class ReadOnlyNumbers(AbstractDataSet):
    """A dataset Aether may only read, like a SQL query or an API."""

    read_only = True

    def _load(self) -> Any:
        return [1, 2]

    def _save(self, data: Any) -> None:
        raise AssertionError("a read-only dataset must never reach _save")

    def _exists(self) -> bool:
        return True

    def _describe(self) -> dict[str, Any]:
        return {}


def test_a_read_only_dataset_is_refused_as_an_output(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    catalog.add("out", ReadOnlyNumbers())

    with pytest.raises(PipelineError) as caught:
        validate_pipeline(PIPELINE, catalog)

    assert caught.value.message == ("Node 'copy' writes 'out', but ReadOnlyNumbers is read-only")
    assert caught.value.exit_code == 2


def test_a_read_only_dataset_is_accepted_as_an_input_and_refuses_a_save(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    catalog.add("raw", ReadOnlyNumbers())
    validate_pipeline(PIPELINE, catalog)

    with pytest.raises(DataSetError, match="'raw' \\(ReadOnlyNumbers\\) is read-only"):
        catalog.get("raw").save([3])
    with pytest.raises(DataSetError, match="is read-only"):
        catalog.get("raw").stage([3])
