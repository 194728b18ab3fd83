"""The built-in datasets, importable by short name without paying for pandas or fsspec.

The catalog resolves ``type: PandasCsvDataSet`` through :data:`BUILTIN_DATASETS`; the classes
are also importable from here (``from aether.datasets import PandasCsvDataSet``), each module
being imported on first use only.
"""

from __future__ import annotations

import importlib
from typing import Any

BUILTIN_DATASETS: dict[str, str] = {
    "APIDataSet": "aether.datasets.api.APIDataSet",
    "DeltaTableDataSet": "aether.datasets.delta.DeltaTableDataSet",
    "JsonDataSet": "aether.datasets.json.JsonDataSet",
    "MemoryDataSet": "aether.datasets.memory.MemoryDataSet",
    "PandasCsvDataSet": "aether.datasets.pandas.PandasCsvDataSet",
    "PandasJsonDataSet": "aether.datasets.pandas.PandasJsonDataSet",
    "PandasParquetDataSet": "aether.datasets.pandas.PandasParquetDataSet",
    "PickleDataSet": "aether.datasets.pickle.PickleDataSet",
    "SparkDataSet": "aether.datasets.spark.SparkDataSet",
    "SparkTableDataSet": "aether.datasets.spark.SparkTableDataSet",
    "SQLQueryDataSet": "aether.datasets.sql_query.SQLQueryDataSet",
    "SQLTableDataSet": "aether.datasets.sql_table.SQLTableDataSet",
}

_LAZY_EXPORTS: dict[str, str] = {
    **BUILTIN_DATASETS,
    "AbstractDataSet": "aether.datasets.base.AbstractDataSet",
    "AbstractFileDataSet": "aether.datasets.files.AbstractFileDataSet",
    "Staged": "aether.datasets.base.Staged",
}

__all__ = sorted(["BUILTIN_DATASETS", *_LAZY_EXPORTS])


def __getattr__(name: str) -> Any:
    try:
        module_name, _, attribute = _LAZY_EXPORTS[name].rpartition(".")
    except KeyError:
        raise AttributeError(f"module 'aether.datasets' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
