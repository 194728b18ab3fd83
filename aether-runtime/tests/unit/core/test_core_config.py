"""Reading conf/: two layers, their merge rules, interpolation and --params parsing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aether.configuration.conf_folder import (
    ConfigLoader,
    interpolate_env,
    interpolate_params,
    load_yaml,
)
from aether.configuration.params_overrides import apply_overrides, parse_params_overrides
from aether.errors import ConfigError


def _conf(tmp_path: Path, files: dict[str, str]) -> Path:
    """Write ``{"base/catalog.yml": text, ...}`` under ``tmp_path/conf`` and return it."""
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    for relative, text in files.items():
        path = conf / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return conf


# Layers and merging ----------------------------------------------------------------------
def test_catalog_entry_in_env_replaces_the_whole_base_entry(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        {
            "base/catalog.yml": """
                orders: {type: PandasCsvDataSet, filepath: a.csv, load_args: {sep: ';'}}
                kept: {type: PandasCsvDataSet, filepath: kept.csv}
            """,
            "local/catalog.yml": "orders: {type: PandasParquetDataSet, filepath: a.parquet}\n",
        },
    )

    data = ConfigLoader(conf).get("catalog.yml").data

    assert data["orders"] == {"type": "PandasParquetDataSet", "filepath": "a.parquet"}
    assert data["kept"] == {"type": "PandasCsvDataSet", "filepath": "kept.csv"}


def test_parameters_are_merged_deeply(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        {
            "base/parameters.yml": """
                cleaning: {min_amount: 5, drop: true}
                report: {currency: EUR}
            """,
            "local/parameters.yml": "cleaning: {min_amount: 10}\n",
        },
    )

    data = ConfigLoader(conf).get("parameters.yml", deep=True).data

    assert data == {"cleaning": {"min_amount": 10, "drop": True}, "report": {"currency": "EUR"}}


def test_env_prod_reads_base_and_prod_but_never_local(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        {
            "base/parameters.yml": "a: base\nb: base\nc: base\n",
            "local/parameters.yml": "a: local\nb: local\n",
            "prod/parameters.yml": "b: prod\n",
        },
    )

    data = ConfigLoader(conf, "prod").get("parameters.yml", deep=True).data

    assert data == {"a": "base", "b": "prod", "c": "base"}


def test_default_environment_is_local_and_may_be_absent(tmp_path: Path) -> None:
    conf = _conf(tmp_path, {"base/parameters.yml": "a: 1\n"})

    loader = ConfigLoader(conf)

    assert loader.env == "local"
    assert loader.get("parameters.yml").data == {"a": 1}


def test_unknown_environment_names_the_folder_and_lists_known_ones(tmp_path: Path) -> None:
    conf = _conf(tmp_path, {"prod/parameters.yml": "a: 1\n", "local/parameters.yml": "a: 2\n"})

    with pytest.raises(ConfigError, match=r"Environment 'staging' has no folder") as caught:
        ConfigLoader(conf, "staging")

    assert "local, prod" in (caught.value.hint or "")


def test_base_cannot_be_selected_as_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'base' cannot be selected"):
        ConfigLoader(_conf(tmp_path, {}), "base")


@pytest.mark.parametrize(
    "name", ["../src", "a/b", "..", ".", "", "prod/../prod", "a\\b", ".hidden"]
)
def test_an_environment_name_is_never_a_path(tmp_path: Path, name: str) -> None:
    conf = _conf(tmp_path, {"prod/parameters.yml": "a: 1\n", "a/b/parameters.yml": "a: 2\n"})
    (tmp_path / "src").mkdir()  # conf/../src exists: it must still be refused
    (conf / ".hidden").mkdir()

    with pytest.raises(ConfigError, match="is not a folder name under conf/") as caught:
        ConfigLoader(conf, name)

    assert "pick one of: a, prod" in (caught.value.hint or "")


def test_an_explicitly_named_local_must_exist(tmp_path: Path) -> None:
    conf = _conf(tmp_path, {"base/parameters.yml": "a: 1\n"})

    assert ConfigLoader(conf).env == "local"  # implied: may be absent
    with pytest.raises(ConfigError, match=r"Environment 'local' has no folder conf/local"):
        ConfigLoader(conf, "local", chosen_by="AETHER_ENV")


def test_the_error_says_who_chose_the_environment(tmp_path: Path) -> None:
    conf = _conf(tmp_path, {"base/parameters.yml": "a: 1\n"})

    with pytest.raises(ConfigError, match=r"\(selected by AETHER_ENV\)"):
        ConfigLoader(conf, "staging", chosen_by="AETHER_ENV")


def test_a_duplicate_key_in_a_conf_file_names_file_and_line(tmp_path: Path) -> None:
    conf = _conf(tmp_path, {"base/catalog.yml": "a:\n  type: X\nb:\n  type: Y\na:\n  type: Z\n"})

    with pytest.raises(ConfigError, match=r"Duplicate key 'a' in conf/base/catalog.yml:5"):
        ConfigLoader(conf).get("catalog.yml")


def test_a_file_that_is_not_a_mapping_is_rejected_with_its_name(tmp_path: Path) -> None:
    conf = _conf(tmp_path, {"base/catalog.yml": "- a\n- b\n"})

    with pytest.raises(ConfigError, match=r"conf/base/catalog.yml must hold a mapping"):
        ConfigLoader(conf).get("catalog.yml")


def test_where_points_at_the_file_and_line_of_a_top_level_key(tmp_path: Path) -> None:
    conf = _conf(
        tmp_path,
        {
            "base/catalog.yml": "a: {type: X}\n\nb: {type: Y}\n",
            "local/catalog.yml": "# override\nb: {type: Z}\n",
        },
    )
    layer = ConfigLoader(conf).get("catalog.yml")

    assert layer.where("a", tmp_path) == "conf/base/catalog.yml:1"
    assert layer.where("b", tmp_path) == "conf/local/catalog.yml:2"


# YAML errors -----------------------------------------------------------------------------
def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yml"
    path.write_text("orders:\n  type: PandasCsvDataSet\n   filepath: x.csv\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"Malformed YAML in conf/base/catalog.yml:3:") as caught:
        load_yaml(path, shown_as="conf/base/catalog.yml")

    assert caught.value.hint


# ${env:...} ----------------------------------------------------------------------------------
def test_env_variables_are_replaced_anywhere_in_nested_values() -> None:
    value = {"a": ["${env:HOST}:${env:PORT,5432}"], "b": {"c": "${env:USER_NAME, guest}"}}

    result = interpolate_env(value, "conf/base/catalog.yml", {"HOST": "db"})

    assert result == {"a": ["db:5432"], "b": {"c": "guest"}}


def test_env_variable_set_wins_over_its_default() -> None:
    assert interpolate_env("${env:PORT,5432}", "x", {"PORT": "6543"}) == "6543"


def test_missing_env_variable_without_default_names_variable_and_file() -> None:
    with pytest.raises(ConfigError, match=r"DB_PASSWORD is not set \(used in conf/local/c.yml\)"):
        interpolate_env({"password": "${env:DB_PASSWORD}"}, "conf/local/c.yml", {})


def test_env_interpolation_applies_when_loading_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AETHER_TEST_BUCKET", "my-bucket")
    conf = _conf(
        tmp_path, {"base/catalog.yml": "a: {filepath: 's3://${env:AETHER_TEST_BUCKET}/a'}"}
    )

    assert ConfigLoader(conf).get("catalog.yml").data["a"]["filepath"] == "s3://my-bucket/a"


# ${params:...} -------------------------------------------------------------------------------
def test_params_reference_alone_keeps_the_parameter_type() -> None:
    params = {"io": {"chunk": 1000, "sep": ";", "cols": ["a", "b"]}}
    entry = {"load_args": {"chunksize": "${params:io.chunk}", "usecols": "${params:io.cols}"}}

    result = interpolate_params(entry, params, "catalog.yml")

    assert result == {"load_args": {"chunksize": 1000, "usecols": ["a", "b"]}}


def test_params_reference_inside_a_string_is_formatted_into_it() -> None:
    result = interpolate_params("data/${params:run.year}/orders.csv", {"run": {"year": 2026}}, "x")

    assert result == "data/2026/orders.csv"


def test_missing_params_reference_names_the_key_and_where_it_is_used() -> None:
    with pytest.raises(ConfigError, match=r"Parameter 'run.year' is not defined \(used in cat:3\)"):
        interpolate_params("${params:run.year}", {"run": {}}, "cat:3")


# --params ------------------------------------------------------------------------------------
def test_params_overrides_are_typed_as_yaml() -> None:
    parsed = parse_params_overrides("a.b=10,c=EUR,d=true,e=1.5,f=null,g=")

    assert parsed == {"a.b": 10, "c": "EUR", "d": True, "e": 1.5, "f": None, "g": ""}


def test_commas_inside_brackets_braces_or_quotes_do_not_split() -> None:
    parsed = parse_params_overrides("tags=[a,b],opts={x: 1, y: 2},name='c,d',n=1")

    assert parsed == {"tags": ["a", "b"], "opts": {"x": 1, "y": 2}, "name": "c,d", "n": 1}


def test_quoted_value_stays_a_string() -> None:
    assert parse_params_overrides("code='007'") == {"code": "007"}


@pytest.mark.parametrize("text", ["factor", "=3", "a b=1", ".a=1", "a..b=1", "a=1,oops"])
def test_malformed_params_item_names_the_item(text: str) -> None:
    with pytest.raises(ConfigError, match=r"Malformed --params item") as caught:
        parse_params_overrides(text)

    assert "name=value" in caught.value.message
    assert caught.value.hint


def test_malformed_params_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Malformed value in --params item 'a=\[1,'"):
        parse_params_overrides("a=[1,")


def test_overrides_set_dotted_keys_without_touching_the_original() -> None:
    params = {"cleaning": {"min_amount": 5, "drop": True}}

    result = apply_overrides(params, {"cleaning.min_amount": 10})

    assert result == {"cleaning": {"min_amount": 10, "drop": True}}
    assert params == {"cleaning": {"min_amount": 5, "drop": True}}


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("cleaning.min_amont", "cleaning.min_amount"),
        ("new.deep.key", None),
        ("cleaning.min_amount.x", "cleaning.min_amount"),
        ("zzz", None),
    ],
)
def test_overrides_never_invent_a_key(key: str, suggestion: str | None) -> None:
    params = {"cleaning": {"min_amount": 5, "drop": True}}

    with pytest.raises(ConfigError, match=f"--params sets '{key}'") as caught:
        apply_overrides(params, {key: 1})

    hint = caught.value.hint or ""
    assert (f"did you mean '{suggestion}'?" in hint) if suggestion else ("only overrides" in hint)
