"""The catalog: resolving dataset types, building datasets, credentials, describe()."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aether.catalog import DataCatalog, DataSetFactory, parse_entry
from aether.datasets.base import AbstractDataSet
from aether.datasets.memory import MemoryDataSet
from aether.errors import CatalogError, CredentialsError

SECRET = "s3cr3t-VALUE-9f8e7d"

PLUGIN_MODULE = '''
from aether.datasets.base import AbstractDataSet


class RecordingDataSet(AbstractDataSet):
    """Keeps what it was given, to check what the factory passes."""

    def __init__(self, filepath, credentials=None):
        self.filepath = filepath
        self.credentials = credentials

    def _load(self):
        return self.filepath

    def _save(self, data):
        pass

    def _exists(self):
        return True

    def _describe(self):
        return {"filepath": self.filepath}


class NotADataSet:
    pass


class LeakyDataSet(RecordingDataSet):
    def __init__(self, credentials):
        raise ValueError(f"token {credentials['token']} was refused")
'''


class StrictDataSet(AbstractDataSet):
    def __init__(self, filepath: str, load_args: dict[str, Any] | None = None) -> None:
        self.filepath = filepath

    def _load(self) -> Any:
        return None

    def _save(self, data: Any) -> None:
        pass

    def _exists(self) -> bool:
        return False

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self.filepath}


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Name of an importable module holding ``RecordingDataSet``."""
    (tmp_path / "aether_catalog_plugin.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "aether_catalog_plugin"


def _catalog(
    entries: dict[str, Any], *, credentials: dict[str, Any] | None = None, root: Path | None = None
) -> DataCatalog:
    where = {name: f"conf/base/catalog.yml:{i + 1}" for i, name in enumerate(entries)}
    return DataCatalog.from_config(entries, credentials=credentials, project_path=root, where=where)


# Types -----------------------------------------------------------------------------------
def test_short_name_builds_a_builtin_dataset(tmp_path: Path) -> None:
    catalog = _catalog({"orders": {"type": "PandasCsvDataSet", "filepath": "a.csv"}}, root=tmp_path)

    dataset = catalog.get("orders")

    assert type(dataset).__name__ == "PandasCsvDataSet"
    assert dataset.name == "orders"


def test_dotted_path_type_is_imported(plugin_module: str) -> None:
    catalog = _catalog({"x": {"type": f"{plugin_module}.RecordingDataSet", "filepath": "f"}})

    assert type(catalog.get("x")).__name__ == "RecordingDataSet"


def test_registered_name_may_be_a_class_or_an_entry_point_style_path(plugin_module: str) -> None:
    factory = DataSetFactory()
    factory.register("Strict", StrictDataSet)
    factory.register("Recording", f"{plugin_module}.RecordingDataSet")

    assert factory.resolve_type("Strict", "a", "here") is StrictDataSet
    assert factory.resolve_type("Recording", "b", "here").__name__ == "RecordingDataSet"
    assert {"Strict", "Recording", "PandasCsvDataSet"} <= set(factory.known_types())


class GroupedDataSet(StrictDataSet):
    """A dataset class with `group` and `load` attributes, as an entry point has."""

    group = "finance"


def test_a_dataset_class_with_a_group_attribute_is_not_taken_for_an_entry_point() -> None:
    factory = DataSetFactory()
    factory.register("Grouped", GroupedDataSet)
    # A worker process's factory registers what the parent's had resolved.
    worker = DataSetFactory()
    for name, target in factory.registered_types().items():
        worker.register(name, target)

    assert factory.resolve_type("Grouped", "a", "here") is GroupedDataSet
    assert worker.resolve_type("Grouped", "a", "here") is GroupedDataSet


def test_types_from_the_entry_point_group_are_found(
    plugin_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    point = metadata.EntryPoint(
        name="RecordingDataSet",
        value=f"{plugin_module}:RecordingDataSet",
        group="aether.datasets",
    )
    monkeypatch.setattr(
        metadata, "entry_points", lambda group=None: [point] if group == "aether.datasets" else []
    )

    resolved = DataSetFactory().resolve_type("RecordingDataSet", "x", "here")

    assert resolved.__name__ == "RecordingDataSet"


def test_unknown_type_names_dataset_and_line_and_suggests_the_nearest() -> None:
    catalog = _catalog({"orders": {"type": "PandasCvsDataSet", "filepath": "a.csv"}})

    with pytest.raises(CatalogError) as caught:
        catalog.get("orders")

    assert caught.value.message == (
        "Dataset 'orders' (conf/base/catalog.yml:1): unknown type 'PandasCvsDataSet'"
    )
    assert caught.value.hint == "did you mean 'PandasCsvDataSet'?"


def test_dotted_type_that_does_not_import_names_the_dataset() -> None:
    catalog = _catalog({"x": {"type": "no_such_pkg_zz.Thing"}})

    with pytest.raises(
        CatalogError, match=r"Dataset 'x' .*cannot import type 'no_such_pkg_zz.Thing'"
    ):
        catalog.get("x")


def test_a_type_that_is_not_a_dataset_is_rejected(plugin_module: str) -> None:
    catalog = _catalog({"x": {"type": f"{plugin_module}.NotADataSet"}})

    with pytest.raises(CatalogError, match="is not an AbstractDataSet"):
        catalog.get("x")


def test_unknown_argument_suggests_the_nearest_accepted_one() -> None:
    factory = DataSetFactory()
    factory.register("Strict", StrictDataSet)
    catalog = DataCatalog(
        entries={"x": parse_entry("x", {"type": "Strict", "filepth": "a"}, "cat.yml:4")},
        factory=factory,
    )

    with pytest.raises(
        CatalogError, match=r"Dataset 'x' \(cat.yml:4\): .*no argument 'filepth'"
    ) as caught:
        catalog.get("x")

    assert caught.value.hint == "did you mean 'filepath'?"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("just a string", "must be a mapping"),
        ({"filepath": "a.csv"}, "has no `type:`"),
        ({"type": "X", "checks": {"a": 1}}, "`checks:` must be a list"),
        ({"type": "X", "credentials": {"key": "inline"}}, "`credentials:` must name an entry"),
        ({"type": "X", "metadata": [1]}, "`metadata:` must be a mapping"),
    ],
)
def test_malformed_entries_name_the_dataset(raw: Any, message: str) -> None:
    with pytest.raises(CatalogError, match=message) as caught:
        parse_entry("orders", raw, "conf/base/catalog.yml:3")

    assert "Dataset 'orders' (conf/base/catalog.yml:3)" in caught.value.message


@pytest.mark.parametrize("misspelt", ["typ", "Type", "tpye"])
def test_a_misspelt_type_key_is_named(misspelt: str) -> None:
    with pytest.raises(CatalogError, match=f"has no `type:` \\(it has `{misspelt}:`\\)") as caught:
        parse_entry("orders", {misspelt: "PandasCsvDataSet", "filepath": "a.csv"}, "here")

    assert caught.value.hint == f"rename `{misspelt}:` to `type:`"


def test_relative_filepath_is_resolved_against_the_project_root(tmp_path: Path) -> None:
    catalog = _catalog(
        {
            "rel": {"type": "PandasCsvDataSet", "filepath": "data/01_raw/a.csv"},
            "abs": {"type": "PandasCsvDataSet", "filepath": "/elsewhere/b.csv"},
            "remote": {"type": "PandasCsvDataSet", "filepath": "s3://bucket/c.csv"},
        },
        root=tmp_path,
    )

    assert catalog.describe("rel")["filepath"] == str(tmp_path / "data/01_raw/a.csv")
    assert catalog.describe("abs")["filepath"] == "/elsewhere/b.csv"
    assert catalog.describe("remote")["filepath"] == "s3://bucket/c.csv"


def test_underscored_top_level_keys_hold_yaml_anchors_not_datasets() -> None:
    catalog = _catalog({"_csv": {"type": "PandasCsvDataSet"}, "a": {"type": "MemoryDataSet"}})

    assert catalog.list() == ["a"]


# Credentials -----------------------------------------------------------------------------
def test_credentials_are_passed_as_a_credentials_dict(plugin_module: str) -> None:
    catalog = _catalog(
        {"x": {"type": f"{plugin_module}.RecordingDataSet", "filepath": "f", "credentials": "s3"}},
        credentials={"s3": {"key": "id", "secret": SECRET}},
    )

    dataset: Any = catalog.get("x")

    assert dataset.credentials == {"key": "id", "secret": SECRET}


def test_missing_credentials_key_names_the_key_and_the_file() -> None:
    catalog = _catalog(
        {"x": {"type": "PandasCsvDataSet", "filepath": "s3://b/x.csv", "credentials": "s3_main"}},
        credentials={"other": {"key": SECRET}},
    )

    with pytest.raises(CredentialsError) as caught:
        catalog.get("x")

    error = caught.value
    assert "'s3_main'" in error.message and "conf/local/credentials.yml" in error.message
    assert "Dataset 'x'" in error.message
    assert "other" in (error.hint or "") and SECRET not in str(error)


def test_credentials_without_a_credentials_file_name_the_expected_file() -> None:
    catalog = _catalog(
        {"x": {"type": "PandasCsvDataSet", "filepath": "s3://b/x.csv", "credentials": "s3_main"}}
    )

    with pytest.raises(
        CredentialsError, match=r"conf/local/credentials.yml does not exist"
    ) as caught:
        catalog.get("x")

    assert "'s3_main'" in caught.value.message
    assert "s3_main:" in (caught.value.hint or "")


def test_describe_shows_where_and_what_but_never_a_secret(tmp_path: Path) -> None:
    catalog = _catalog(
        {
            "x": {
                "type": "PandasCsvDataSet",
                "filepath": "s3://bucket/x.csv",
                "credentials": "s3_main",
                "metadata": {"owner": "sales"},
                "checks": [{"check": "not_null", "columns": ["a"]}],
            }
        },
        credentials={"s3_main": {"key": "AKIA-ID", "secret": SECRET}},
        root=tmp_path,
    )

    described = catalog.describe("x")

    assert described["type"] == "PandasCsvDataSet"
    assert described["metadata"] == {"owner": "sales"}
    assert described["defined_in"] == "conf/base/catalog.yml:1"
    assert described["credentials"] == "<s3_main: hidden>"
    text = json.dumps(described, default=str)
    assert SECRET not in text and "AKIA-ID" not in text


# Objects built in Python ---------------------------------------------------------------------
def test_undeclared_names_become_memory_datasets() -> None:
    catalog = DataCatalog()

    dataset = catalog.get("scratch")

    assert isinstance(dataset, MemoryDataSet)
    assert not catalog.is_declared("scratch")


def test_catalog_of_python_objects_loads_and_saves() -> None:
    catalog = DataCatalog({"a": MemoryDataSet([1, 2])})

    catalog.save("b", [*catalog.load("a"), 3])

    assert catalog.load("b") == [1, 2, 3]
    assert catalog.list() == ["a", "b"]


def test_adding_a_name_twice_needs_replace() -> None:
    catalog = DataCatalog({"a": MemoryDataSet(1)})

    with pytest.raises(CatalogError, match="already in the catalog"):
        catalog.add("a", MemoryDataSet(2))
    catalog.add("a", MemoryDataSet(2), replace=True)

    assert catalog.load("a") == 2


def test_validate_builds_every_declared_entry(tmp_path: Path) -> None:
    catalog = _catalog(
        {
            "good": {"type": "PandasCsvDataSet", "filepath": "a.csv"},
            "bad": {"type": "PandasCsvDataSett", "filepath": "b.csv"},
        },
        root=tmp_path,
    )

    with pytest.raises(CatalogError, match="Dataset 'bad'"):
        catalog.validate()


def test_a_constructor_error_never_echoes_a_credential_value(plugin_module: str) -> None:
    catalog = _catalog(
        {"x": {"type": f"{plugin_module}.LeakyDataSet", "credentials": "api"}},
        credentials={"api": {"token": SECRET}},
    )

    with pytest.raises(CatalogError, match=r"LeakyDataSet rejected its arguments") as caught:
        catalog.get("x")

    assert SECRET not in str(caught.value)
