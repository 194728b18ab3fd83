"""Parameter values in stored fingerprint parts: small ones kept, large ones fingerprinted."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from aether.assets.fingerprint import (
    LARGE_VALUE_KEY,
    MAX_STORED_PARAM_CHARS,
    explain_changes,
    fingerprint_of,
    node_parts,
)


def _parts(params: dict) -> dict:
    return node_parts("code", {}, params, {})


def test_small_values_are_kept_so_a_reason_shows_both() -> None:
    old, new = _parts({"a.b": 10}), _parts({"a.b": 20})

    assert old["params"] == {"a.b": 10}
    assert _words(explain_changes(old, new)) == ["parameter a.b changed from 10 to 20"]


def test_a_large_value_is_stored_as_its_fingerprint_and_named_when_it_changes() -> None:
    big = {"list": list(range(5000)), "mode": "fast"}
    old = _parts({"big": big})
    new = _parts({"big": {**big, "list": [*range(4999), -1]}})

    stored = json.dumps(old["params"])
    assert len(stored) < 2 * MAX_STORED_PARAM_CHARS
    assert old["params"]["big"]["mode"] == "fast"  # a large mapping is bounded key by key
    assert set(old["params"]["big"]["list"]) == {LARGE_VALUE_KEY}
    assert fingerprint_of(old) != fingerprint_of(new)
    assert _words(explain_changes(old, new)) == [
        "parameter big.list changed (value too large to show)"
    ]


def test_a_value_growing_past_the_limit_is_a_change_too_large_to_show() -> None:
    old, new = _parts({"k": [1]}), _parts({"k": list(range(1000))})

    assert _words(explain_changes(old, new)) == ["parameter k changed (value too large to show)"]


@given(st.lists(st.integers(), min_size=0, max_size=400))
def test_stored_parameters_stay_small_and_equal_values_give_equal_parts(values) -> None:
    parts = _parts({"p": values})

    assert len(json.dumps(parts["params"])) <= MAX_STORED_PARAM_CHARS + 100
    assert parts == _parts({"p": list(values)})
    assert fingerprint_of(parts) != fingerprint_of(_parts({"p": [*values, 7]}))


def _words(reasons: list) -> list[str]:
    return [str(reason) for reason in reasons]
