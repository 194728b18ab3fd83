"""Strict YAML: duplicate keys, alias bombs, recursive aliases and deep nesting are refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether.configuration import strict_yaml
from aether.configuration.conf_folder import load_yaml
from aether.configuration.strict_yaml import MAX_NESTING_DEPTH, parse_strict_yaml
from aether.errors import ConfigError

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)


# Duplicate keys ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key", "line", "first"),
    [
        ("a: 1\nb: 2\na: 3\n", "'a'", 3, 1),
        ("a:\n  x: 1\n  y: 2\n  x: 3\n", "'x'", 4, 2),
        ("a: {x: 1, x: 2}\n", "'x'", 1, 1),
        ("- {k: 1}\n- k: 1\n  k: 2\n", "'k'", 3, 2),
        ("c:\n  <<: {x: 1, x: 2}\n", "'x'", 2, 2),
        ("1: a\n0x1: b\n", "1", 2, 1),
    ],
)
def test_a_key_written_twice_at_any_depth_is_refused_with_its_lines(
    text: str, key: str, line: int, first: int
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_strict_yaml(text, "conf/base/x.yml")

    assert caught.value.message == (
        f"Duplicate key {key} in conf/base/x.yml:{line} (first written at line {first})"
    )
    assert caught.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("b: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 5\n", {"x": 5, "y": 2}),
        ("b1: &b1 {x: 1}\nb2: &b2 {x: 2, z: 1}\nc:\n  <<: [*b1, *b2]\n  x: 5\n", {"x": 5, "z": 1}),
        ("x: &x {k: 1}\nb: &b {<<: *x, k: 2}\nc: {<<: *b, k: 3}\n", {"k": 3}),
    ],
)
def test_keys_brought_in_by_a_merge_may_be_overridden(text: str, expected: dict) -> None:
    assert parse_strict_yaml(text, "x.yml")["c"] == expected


def test_an_anchor_merged_twice_and_also_used_alone_is_no_duplicate() -> None:
    text = "x: &x {k: 1}\nb: &b {<<: *x, k: 2}\nc: {<<: *b, k: 3}\nd: {<<: *x, k: 4}\ne: *b\n"

    data = parse_strict_yaml(text, "x.yml")

    assert data == {"x": {"k": 1}, "b": {"k": 2}, "c": {"k": 3}, "d": {"k": 4}, "e": {"k": 2}}


# Alias expansion and nesting ------------------------------------------------------------------
def test_billion_laughs_is_refused_naming_the_line() -> None:
    with pytest.raises(ConfigError, match=r"YAML aliases in p.yml:\d+ expand to more than"):
        parse_strict_yaml(BILLION_LAUGHS, "p.yml")


def test_aliases_just_under_the_budget_are_accepted() -> None:
    # 999 references to a 999-item list: ~998,000 values from aliases, under the budget.
    text = "a: &a [" + ",".join(["1"] * 999) + "]\nb: [" + ",".join(["*a"] * 999) + "]\n"

    data = parse_strict_yaml(text, "x.yml")

    assert len(data["b"]) == 999 and data["b"][0] is data["a"]


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [1, {c: [*a]}]\n"])
def test_a_value_containing_itself_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"Recursive alias in x.yml:1"):
        parse_strict_yaml(text, "x.yml")


def test_nesting_past_the_limit_is_refused_and_below_it_accepted() -> None:
    def nested(levels: int) -> str:
        return "a: " + "[" * levels + "]" * levels

    assert parse_strict_yaml(nested(MAX_NESTING_DEPTH - 2), "x.yml")
    with pytest.raises(ConfigError, match=f"nests deeper than {MAX_NESTING_DEPTH} levels"):
        parse_strict_yaml(nested(MAX_NESTING_DEPTH + 1), "x.yml")


def test_nesting_deeper_than_libyaml_allows_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Malformed YAML in x.yml:1:\d+"):
        parse_strict_yaml("- " * 20_000 + "x\n", "x.yml")


# The parsed-YAML cache does not hide the checks ------------------------------------------------
def test_a_refused_file_is_never_cached(tmp_path: Path) -> None:
    path = tmp_path / "parameters.yml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    cache = tmp_path / "cache"

    for _ in range(2):
        with pytest.raises(ConfigError, match="Duplicate key 'a'"):
            load_yaml(path, cache_dir=cache)

    assert not cache.exists() or not list(cache.iterdir())


def test_cache_entries_of_earlier_versions_are_not_trusted(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "parameters.yml"
    raw = b"a: 1\na: 2\n"
    path.write_bytes(raw)
    cache = tmp_path / "cache"
    cache.mkdir()
    which = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    content = hashlib.sha256(raw).hexdigest()[:32]
    (cache / f"yaml-{which}-{content}.json").write_text('{"a": 2}')  # as the old cache wrote it

    with pytest.raises(ConfigError, match="Duplicate key 'a'"):
        load_yaml(path, cache_dir=cache)


# Properties -------------------------------------------------------------------------------------
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
_KEYS = st.one_of(st.text(max_size=10), st.integers())
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=30,
)


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_DOCUMENTS, flow=st.sampled_from([None, True, False]))
def test_the_strict_loader_agrees_with_pyyaml_on_duplicate_free_documents(
    document: Any, flow: bool | None
) -> None:
    text = yaml.dump(document, Dumper=_NoAliasDumper, default_flow_style=flow)

    assert parse_strict_yaml(text, "x.yml") == yaml.safe_load(text)


@settings(max_examples=150, deadline=None)
@given(document=_DOCUMENTS, flow=st.sampled_from([None, True, False]))
def test_a_document_without_aliases_is_never_refused_even_with_no_budget(
    document: Any, flow: bool | None
) -> None:
    text = yaml.dump(document, Dumper=_NoAliasDumper, default_flow_style=flow)

    with mock.patch.object(strict_yaml, "ALIAS_EXPANSION_BUDGET", 0):
        assert parse_strict_yaml(text, "x.yml") == yaml.safe_load(text)


def test_with_no_budget_one_alias_to_a_list_is_refused() -> None:
    no_budget = mock.patch.object(strict_yaml, "ALIAS_EXPANSION_BUDGET", 0)
    with no_budget, pytest.raises(ConfigError, match="expand to more than 0 values"):
        parse_strict_yaml("a: &a [1]\nb: *a\n", "x.yml")


_YAMLISH = st.text(alphabet=st.sampled_from(list("ab1:-[]{},&*<>!|'\"#?%@` \n\t.=")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_YAMLISH, st.text(max_size=60)))
def test_any_text_parses_or_raises_a_config_error(text: str) -> None:
    try:
        parse_strict_yaml(text, "x.yml")
    except ConfigError as error:
        assert error.message and error.hint


_SCALARISH = st.text(alphabet=st.sampled_from(list("0123456789-:._+xobeEtT ")), max_size=30)
_TAGS = st.sampled_from(["", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!binary "])


@settings(max_examples=300, deadline=None)
@given(tag=_TAGS, value=_SCALARISH)
def test_any_scalar_parses_or_raises_a_config_error_naming_key_and_line(
    tag: str, value: str
) -> None:
    """Dates, times, numbers in any base: Python's ValueError never escapes the parser."""
    try:
        parse_strict_yaml(f"x: 1\nsection:\n  key: {tag}{value}\n", "x.yml")
    except ConfigError as error:
        assert error.hint
        assert "'section.key' in x.yml:3" in error.message or "x.yml:3" in error.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + "9" * 5_000, "The integer at 'a' in x.yml:1 is longer than the 4,300 digits"),
        ("a: 0x" + "f" * 4_000, "The integer at 'a' in x.yml:1 is longer than the 4,300 digits"),
        ("a: [1, {b: 2024-02-30}]", "The value at 'a[1].b' in x.yml:1 is not a valid timestamp"),
        ("base: &b {when: 2024-13-01}\nuse: *b", "'base.when' in x.yml:1"),
        ("a: !!bool maybe", "The value at 'a' in x.yml:1 is not a valid bool"),
        ("9" * 5_000, "The integer at x.yml:1 is longer"),
    ],
)
def test_a_scalar_python_cannot_build_is_named_by_key_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_strict_yaml(text, "x.yml")


def test_the_longest_integer_python_reads_is_kept() -> None:
    assert parse_strict_yaml("a: " + "9" * 4_300, "x.yml") == {"a": int("9" * 4_300)}


@pytest.mark.parametrize("text", ["a: !!int", "a: !!int 0x", "a: !!float ''"])
def test_an_empty_or_malformed_explicit_number_is_not_called_too_long(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a valid"):
        parse_strict_yaml(text, "x.yml")


def test_a_value_that_cannot_be_built_is_not_shown() -> None:
    """credentials.yml is parsed here too: the error names key and line, never the value."""
    with pytest.raises(ConfigError) as caught:
        parse_strict_yaml("db:\n  password: !!int hunter2-secret\n", "credentials.yml")
    assert "'db.password' in credentials.yml:2" in caught.value.message
    assert "hunter2" not in caught.value.message + caught.value.hint


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # `type X` lacks its ':'; PyYAML notices on the next line
        ("a:\n  filepath: y.csv\n  type PandasCsvDataSet\n  other: 1\n", "x.yml:3:3"),
        # an unclosed '[' is noticed where the next key starts
        ("a:\n  b: [1, 2\n  c: 3\nd: 4\n", "x.yml:2:6"),
        # a bad indent: the line itself
        ("a:\n  b: 1\n c: 2\n", "x.yml:3:2"),
        # a tab: its own line, not the one before
        ("a:\n  b: 1\n  x:\n\tfilepath: a.csv\n", "x.yml:4:1"),
    ],
    ids=["missing-colon", "unclosed-bracket", "bad-indent", "tab"],
)
def test_malformed_yaml_points_at_the_line_of_the_mistake(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_strict_yaml(text, "x.yml")

    assert caught.value.message.startswith(f"Malformed YAML in {where}: "), caught.value.message


def test_a_one_line_value_is_not_said_to_go_wrong_on_line_two() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_strict_yaml("[1,2", "--params")

    assert "noticed at the end of the text" in caught.value.message
