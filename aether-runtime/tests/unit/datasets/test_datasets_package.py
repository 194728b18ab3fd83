"""The aether.datasets package: short names for the catalog, lazy re-exports (its light
import: integration/test_light_imports.py)."""

from __future__ import annotations

import importlib

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
