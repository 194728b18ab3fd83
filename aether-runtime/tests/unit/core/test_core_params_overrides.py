"""--params: bounded parsing, no key set twice, and properties of the parser."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aether.configuration.params_overrides import (
    MAX_PARAMS_LENGTH,
    apply_overrides,
    dotted_keys,
    parse_params_overrides,
)
from aether.errors import ConfigError


def test_params_longer_than_the_limit_are_refused_in_one_short_line() -> None:
    text = "factor=" + "x" * (5 * 1024 * 1024)

    with pytest.raises(ConfigError, match=r"--params is 5,242,887 characters long") as caught:
        parse_params_overrides(text)

    assert len(caught.value.message) < 200


def test_params_at_the_limit_are_parsed() -> None:
    value = "x" * (MAX_PARAMS_LENGTH - len("factor="))

    assert parse_params_overrides(f"factor={value}") == {"factor": value}


@pytest.mark.parametrize("levels", [150, 10_000])
def test_a_deeply_nested_value_is_a_config_error_not_a_recursion_error(levels: int) -> None:
    with pytest.raises(ConfigError, match=r"Malformed value in --params item 'factor=\[\[") as c:
        parse_params_overrides("factor=" + "[" * levels + "]" * levels)

    assert len(c.value.message) < 300  # the item is shown cut short


def test_an_alias_bomb_in_a_value_is_refused() -> None:
    bomb = "{a: &a [1,1,1,1,1,1,1,1,1], " + ", ".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
        for i in range(8)
    )
    with pytest.raises(ConfigError, match="expand to more than"):
        parse_params_overrides(f"x={bomb}}}")


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="--params sets 'factor' twice"):
        parse_params_overrides("factor=2,factor=3")


def test_a_duplicate_key_inside_a_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="Duplicate key 'x'"):
        parse_params_overrides("opts={x: 1, x: 2}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("note=it's,n=1", {"note": "it's", "n": 1}),
        ("s='a'',b',n=2", {"s": "a',b", "n": 2}),
        ('d="x\\",y",n=3', {"d": 'x",y', "n": 3}),
        ("tags=[a, 'b,c'],n=4", {"tags": ["a", "b,c"], "n": 4}),
    ],
)
def test_a_quote_inside_a_value_does_not_swallow_the_next_items(
    text: str, expected: dict[str, Any]
) -> None:
    assert parse_params_overrides(text) == expected


def test_dotted_keys_lists_nested_keys_too() -> None:
    assert sorted(dotted_keys({"a": {"b": 1, "c": {"d": 2}}, "e": 3})) == [
        "a",
        "a.b",
        "a.c",
        "a.c.d",
        "e",
    ]


def test_an_existing_nested_mapping_may_be_replaced_as_a_whole() -> None:
    params = {"cleaning": {"min_amount": 5}}

    assert apply_overrides(params, {"cleaning": {"min_amount": 7}}) == {
        "cleaning": {"min_amount": 7}
    }


# Properties -------------------------------------------------------------------------------------
_PART = st.from_regex(r"[A-Za-z0-9_\-]{1,8}", fullmatch=True)
_DOTTED = st.lists(_PART, min_size=1, max_size=3).map(".".join)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
)


def _as_written(value: Any, *, quote_strings: bool = True) -> str:
    """How a user writes ``value`` on the command line: YAML, strings single-quoted."""
    style = "'" if quote_strings and isinstance(value, str) else None
    dumped = yaml.safe_dump(value, default_style=style, width=10_000)
    return dumped.removesuffix("\n...\n").rstrip("\n")


@settings(max_examples=200, deadline=None)
@given(overrides=st.dictionaries(_DOTTED, _SCALARS, max_size=6))
def test_any_dict_of_dotted_keys_round_trips(overrides: dict[str, Any]) -> None:
    text = ",".join(f"{key}={_as_written(value)}" for key, value in overrides.items())

    assert parse_params_overrides(text) == overrides


_PLAIN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=",[]{}()"),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(overrides=st.dictionaries(_DOTTED, _PLAIN_TEXT, max_size=6))
def test_strings_written_the_way_yaml_writes_them_round_trip(overrides: dict[str, Any]) -> None:
    """Any comma- and bracket-free string, written as YAML writes it (plain when it can,
    quoted when it must), comes back as it was: apostrophes and quotes included."""
    text = ",".join(f"{k}={_as_written(v, quote_strings=False)}" for k, v in overrides.items())

    assert parse_params_overrides(text) == overrides


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=80),
        st.text(alphabet=st.sampled_from(list("ab.=,[]{}'\":&*- 1\n")), max_size=80),
    )
)
def test_any_text_parses_or_raises_a_config_error(text: str) -> None:
    try:
        parsed = parse_params_overrides(text)
    except ConfigError as error:
        assert error.message and error.hint
    else:
        assert isinstance(parsed, dict)


@pytest.mark.parametrize(
    ("text", "named"), [("factor=\udcff", "byte 0xff at character 8"), ("a=\ud800", "U+D800")]
)
def test_text_that_is_not_utf8_is_a_config_error_naming_the_byte(text: str, named: str) -> None:
    """A byte the locale could not decode reaches Python as a lone surrogate (argv's
    surrogateescape); the YAML parser would raise UnicodeEncodeError on it."""
    with pytest.raises(ConfigError, match=re.escape(f"--params is not UTF-8 text: {named}")):
        parse_params_overrides(text)


def test_only_the_first_equals_sign_starts_a_value() -> None:
    """`a==",b=1`: the value of `a` is `="`; its quote opens no string that would swallow
    `b` (found by the round-trip property above)."""
    assert parse_params_overrides("00==\",0=''") == {"00": '="', "0": ""}
    assert parse_params_overrides("a==',b=1") == {"a": "='", "b": 1}
