"""PickleDataSet and JsonDataSet: plain Python objects in files."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from aether.datasets.json import JsonDataSet
from aether.datasets.pickle import PickleDataSet
from aether.errors import DataSetError


def _dataset(cls: type, path: Path, **kwargs: Any) -> Any:
    dataset = cls(str(path), **kwargs)
    dataset.name = "summary"
    return dataset


class ExplodesWhenPickled:
    def __reduce__(self) -> Any:
        raise RuntimeError("this object refuses to be pickled")


def test_pickle_round_trips_arbitrary_objects(tmp_path: Path) -> None:
    data = {"weights": (1.5, 2.5), "labels": {"a", "b"}, "nested": [None, b"raw"]}
    dataset = _dataset(PickleDataSet, tmp_path / "m.pkl")

    dataset.save(data)

    assert dataset.load() == data


def test_pickle_save_args_reach_pickle_dump(tmp_path: Path) -> None:
    _dataset(PickleDataSet, tmp_path / "m.pkl", save_args={"protocol": 2}).save([1])

    assert (tmp_path / "m.pkl").read_bytes()[:2] == b"\x80\x02"


def test_pickle_failing_part_way_keeps_the_previous_file(tmp_path: Path) -> None:
    dataset = _dataset(PickleDataSet, tmp_path / "m.pkl")
    dataset.save({"version": 1})
    previous = (tmp_path / "m.pkl").read_bytes()

    with pytest.raises(DataSetError, match=r"'summary'.*refuses to be pickled"):
        dataset.save([b"x" * 1_000_000, ExplodesWhenPickled()])

    assert (tmp_path / "m.pkl").read_bytes() == previous
    assert os.listdir(tmp_path) == ["m.pkl"]
    assert pickle.loads(previous) == dataset.load() == {"version": 1}


def test_json_round_trips_dicts_and_lists(tmp_path: Path) -> None:
    data = {"rows": 3, "columns": ["a", "b"], "ok": True, "ratio": 0.5, "note": "café"}
    dataset = _dataset(JsonDataSet, tmp_path / "s.json")

    dataset.save(data)

    assert dataset.load() == data
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8")) == data


def test_json_defaults_to_two_space_indent_in_insertion_order(tmp_path: Path) -> None:
    _dataset(JsonDataSet, tmp_path / "s.json").save({"b": 1, "a": 2})

    assert (tmp_path / "s.json").read_text() == '{\n  "b": 1,\n  "a": 2\n}\n'


def test_json_save_args_reach_json_dump(tmp_path: Path) -> None:
    _dataset(JsonDataSet, tmp_path / "s.json", save_args={"indent": None, "sort_keys": True}).save(
        {"b": 1, "a": 2}
    )

    assert (tmp_path / "s.json").read_text() == '{"a": 2, "b": 1}\n'


def test_json_load_args_reach_json_load(tmp_path: Path) -> None:
    _dataset(JsonDataSet, tmp_path / "s.json").save({"amount": 1.5})

    loaded = _dataset(JsonDataSet, tmp_path / "s.json", load_args={"parse_float": str}).load()

    assert loaded == {"amount": "1.5"}


def test_json_with_an_unserialisable_value_fails_and_keeps_the_previous_file(
    tmp_path: Path,
) -> None:
    dataset = _dataset(JsonDataSet, tmp_path / "s.json")
    dataset.save({"version": 1})
    previous = (tmp_path / "s.json").read_bytes()

    with pytest.raises(DataSetError, match=r"Failed to save dataset 'summary'.*not JSON"):
        dataset.save({"rows": list(range(10_000)), "bad": {1, 2}})

    assert (tmp_path / "s.json").read_bytes() == previous
    assert os.listdir(tmp_path) == ["s.json"]


def test_loading_a_corrupt_json_file_names_the_dataset(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text("{not json")

    with pytest.raises(DataSetError, match="Failed to load dataset 'summary'"):
        _dataset(JsonDataSet, tmp_path / "s.json").load()
