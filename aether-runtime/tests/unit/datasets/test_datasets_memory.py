"""MemoryDataSet: data held for one run, copied on load so nodes cannot corrupt each other."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from aether.datasets.memory import MemoryDataSet
from aether.errors import CatalogError, DataSetError


def _named(dataset: MemoryDataSet, name: str = "features") -> MemoryDataSet:
    dataset.name = name
    return dataset


def test_load_before_any_save_names_the_dataset_and_the_likely_cause() -> None:
    dataset = _named(MemoryDataSet())

    with pytest.raises(DataSetError, match=r"'features'.*has no data yet.*did not run"):
        dataset.load()
    assert not dataset.exists()


def test_saved_data_round_trips_and_exists() -> None:
    dataset = _named(MemoryDataSet())

    dataset.save({"a": [1, 2]})

    assert dataset.exists()
    assert dataset.load() == {"a": [1, 2]}


def test_none_is_data_not_absence() -> None:
    dataset = _named(MemoryDataSet())
    dataset.save(None)

    assert dataset.exists()
    assert dataset.load() is None


def test_mutating_a_loaded_dataframe_does_not_change_the_stored_one() -> None:
    dataset = _named(MemoryDataSet(pd.DataFrame({"amount": [1, 2]})))

    first = dataset.load()
    first.loc[0, "amount"] = 999
    first["extra"] = 1

    second = dataset.load()
    assert second["amount"].tolist() == [1, 2]
    assert list(second.columns) == ["amount"]


def test_mutating_a_loaded_dict_does_not_change_the_stored_one() -> None:
    dataset = _named(MemoryDataSet({"rows": [1, 2]}))

    dataset.load()["rows"].append(3)

    assert dataset.load() == {"rows": [1, 2]}


def test_assign_mode_hands_out_the_same_object() -> None:
    data = {"big": list(range(10))}
    dataset = _named(MemoryDataSet(data, copy_mode="assign"))

    assert dataset.load() is data


def test_objects_that_cannot_be_copied_are_passed_as_is() -> None:
    lock = threading.Lock()
    dataset = _named(MemoryDataSet(lock))

    assert dataset.load() is lock


def test_explicit_deepcopy_of_an_uncopyable_object_fails_loudly() -> None:
    dataset = _named(MemoryDataSet(threading.Lock(), copy_mode="deepcopy"))

    with pytest.raises(DataSetError, match="'features'"):
        dataset.load()


def test_unknown_copy_mode_is_a_catalog_error_listing_the_choices() -> None:
    with pytest.raises(CatalogError, match="deepcopy, copy, assign"):
        MemoryDataSet(copy_mode="clone")


def test_release_drops_the_data() -> None:
    dataset = _named(MemoryDataSet([1, 2, 3]))

    dataset.release()

    assert not dataset.exists()
    with pytest.raises(DataSetError, match="has no data yet"):
        dataset.load()


def test_describe_shows_the_type_never_the_value() -> None:
    dataset = _named(MemoryDataSet({"password": "s3cr3t"}))

    assert dataset.describe() == {"type": "MemoryDataSet", "data": "dict", "copy_mode": "auto"}
    assert "s3cr3t" not in repr(dataset)
