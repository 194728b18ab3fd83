"""Node fingerprints, their explanations, and data versions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aether.assets.fingerprint import (
    explain_changes,
    fingerprint_of,
    hash_file,
    hash_object,
    node_fingerprint,
    node_parts,
    params_for,
    params_read,
)
from aether.errors import ConfigError


def test_params_read_lists_keys_and_bare_params_means_all() -> None:
    inputs = {"orders": "raw_orders", "low": "params:cleaning.min_amount", "cur": "params:currency"}

    assert params_read(inputs) == ["cleaning.min_amount", "currency"]
    assert params_read({"orders": "raw_orders", "all": "params"}) == ["*"]
    assert params_read(["raw_orders"]) == []


def test_params_for_picks_dotted_keys_and_names_missing_ones() -> None:
    parameters = {"cleaning": {"min_amount": 10, "max": 5}, "currency": "EUR"}

    assert params_for(["cleaning.min_amount"], parameters) == {"cleaning.min_amount": 10}
    assert params_for(["*"], parameters) == {"*": parameters}
    with pytest.raises(ConfigError, match=r"'cleaning\.nope' is not defined"):
        params_for(["cleaning.nope"], parameters)


def test_fingerprint_is_stable_and_order_independent() -> None:
    one = node_fingerprint(
        "sha256:c", {"a": 1, "b": [1, 2]}, {"x": 1, "y": 2}, {"i": "v1", "j": "v2"}
    )
    two = node_fingerprint(
        "sha256:c", {"b": [1, 2], "a": 1}, {"y": 2, "x": 1}, {"j": "v2", "i": "v1"}
    )

    assert one == two
    assert one.startswith("sha256:")
    assert one == fingerprint_of(
        node_parts("sha256:c", {"a": 1, "b": [1, 2]}, {"x": 1, "y": 2}, {"i": "v1", "j": "v2"})
    )


@pytest.mark.parametrize(
    "change",
    [
        {"code_hash": "sha256:other"},
        {"options": {"a": 2}},
        {"params": {"x": 2}},
        {"input_versions": {"i": "v2"}},
    ],
)
def test_any_part_changes_the_fingerprint(change: dict) -> None:
    base = {
        "code_hash": "sha256:c",
        "options": {"a": 1},
        "params": {"x": 1},
        "input_versions": {"i": "v1"},
    }

    assert node_fingerprint(**base) != node_fingerprint(**{**base, **change})


def test_explain_changes_gives_readable_reasons() -> None:
    old = node_parts(
        "sha256:c", {"a": 1}, {"cleaning.min_amount": 10, "gone": 1}, {"raw_orders": "v1", "x": "v"}
    )
    new = node_parts(
        "sha256:d",
        {"a": 2},
        {"cleaning.min_amount": 20, "fresh": "EUR"},
        {"raw_orders": "v2", "y": "v"},
    )

    assert _words(explain_changes(old, new)) == [
        "code changed",
        "options changed",
        "parameter cleaning.min_amount changed from 10 to 20",
        "parameter fresh is now read (EUR)",
        "parameter gone is no longer read",
        "input raw_orders has a new version",
        "input x was removed",
        "input y was added",
    ]
    assert _words(explain_changes(old, old)) == []


def test_explain_changes_names_the_key_inside_all_parameters() -> None:
    old = node_parts("c", {}, {"*": {"cleaning": {"min_amount": 10, "keep": True}}}, {})
    new = node_parts("c", {}, {"*": {"cleaning": {"min_amount": 20, "keep": True}}}, {})

    assert _words(explain_changes(old, new)) == [
        "parameter cleaning.min_amount changed from 10 to 20"
    ]


def test_hash_file_streams_and_respects_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 3_000_000)
    same = tmp_path / "copy.bin"
    same.write_bytes(b"x" * 3_000_000)

    assert hash_file(path, None) == hash_file(same, 10_000_000)
    assert str(hash_file(path, None)).startswith("sha256:")
    assert hash_file(path, 1000) is None
    same.write_bytes(b"x" * 2_999_999 + b"y")
    assert hash_file(path, None) != hash_file(same, None)


def test_hash_object_for_json_pickle_and_dataframes() -> None:
    frame = pd.DataFrame({"id": [1, 2], "amount": [1.5, 2.5]})

    assert hash_object({"b": 1, "a": [1, 2]}) == hash_object({"a": [1, 2], "b": 1})
    assert hash_object({"a": 1}) != hash_object({"a": 2})
    assert hash_object(frame) == hash_object(frame.copy())
    assert hash_object(frame) != hash_object(frame.assign(amount=[1.5, 2.6]))
    assert hash_object(frame) != hash_object(frame.rename(columns={"amount": "total"}))
    assert hash_object(frame) != hash_object(frame.astype({"id": "float64"}))
    assert hash_object(pd.DataFrame({"c": [[1], [2]]})).startswith("sha256:")  # unhashable cells
    assert hash_object(Path("a")) == hash_object(Path("a"))


def _words(reasons: list) -> list[str]:
    return [str(reason) for reason in reasons]
