"""The aether.datasets package: short names for the catalog, lazy re-exports, light import."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import aether
import aether.datasets
from aether.datasets.base import AbstractDataSet


@pytest.mark.parametrize("short_name", sorted(aether.datasets.BUILTIN_DATASETS))
def test_every_builtin_short_name_resolves_to_a_dataset_class(short_name: str) -> None:
    module_name, _, attribute = aether.datasets.BUILTIN_DATASETS[short_name].rpartition(".")
    cls = getattr(importlib.import_module(module_name), attribute)

    assert cls.__name__ == short_name
    assert issubclass(cls, AbstractDataSet)
    assert getattr(aether.datasets, short_name) is cls


def test_the_contract_is_re_exported() -> None:
    assert aether.datasets.AbstractDataSet is AbstractDataSet


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchDataSet"):
        _ = aether.datasets.NoSuchDataSet


def test_all_is_sorted_and_complete() -> None:
    assert aether.datasets.__all__ == sorted(aether.datasets.__all__)
    assert set(aether.datasets.BUILTIN_DATASETS) <= set(aether.datasets.__all__)


_PROBE = """
import importlib, sys
import aether.datasets
light = ('pandas' in sys.modules, 'fsspec' in sys.modules)
# What the catalog does for every entry: resolve the type, build the dataset.
for dotted in aether.datasets.BUILTIN_DATASETS.values():
    module, _, name = dotted.rpartition('.')
    getattr(importlib.import_module(module), name)
aether.datasets.PandasCsvDataSet('/tmp/orders.csv').exists()
print(*light, 'pandas' in sys.modules, 'fsspec' in sys.modules)
"""


def test_importing_the_package_and_building_local_datasets_imports_no_pandas_nor_fsspec() -> None:
    # A fresh interpreter: this test process has long imported both.
    source_root = Path(aether.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source_root), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True
    )

    assert result.stdout.split() == ["False"] * 4
