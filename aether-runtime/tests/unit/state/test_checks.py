"""Data-quality checks: parsing catalog entries and running them on DataFrames."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from aether.checks import CheckSpec, failed_errors, parse_checks, run_checks
from aether.errors import ConfigError


@pytest.fixture
def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [17, 17, 18, 19, 19, 19],
            "amount": [10.0, None, 5.0, None, None, 50.0],
            "status": ["paid", "paid", "pending", "refunded", "paid", "paid"],
            "ordered_at": pd.to_datetime(["2024-01-01"] * 6),
        }
    )


def run_one(data: object, **entry: object) -> tuple[bool, str]:
    (spec,) = parse_checks("orders", [entry])
    (result,) = run_checks("orders", data, [spec])
    return result.passed, result.message


def test_not_null_counts_nulls_per_column(orders: pd.DataFrame) -> None:
    assert run_one(orders, check="not_null", columns=["order_id", "amount"]) == (
        False,
        "3 null values in amount",
    )
    assert run_one(orders, check="not_null", columns="order_id")[0] is True


def test_unique_reports_duplicates_with_an_example(orders: pd.DataFrame) -> None:
    assert run_one(orders, check="unique", columns=["order_id"]) == (
        False,
        "3 duplicate order_id values (e.g. 17, 19)",
    )
    passed, message = run_one(
        orders, check="unique", columns=["order_id", "status"], combination=True
    )
    assert not passed
    assert message.startswith(
        "2 duplicate (order_id, status) combination values (e.g. (17, 'paid')"
    )
    assert run_one(orders, check="unique", columns=["ordered_at", "order_id"])[0] is False
    assert run_one(orders.drop_duplicates("order_id"), check="unique", columns=["order_id"])[0]


def test_accepted_values(orders: pd.DataFrame) -> None:
    assert run_one(
        orders, check="accepted_values", column="status", values=["paid", "pending"]
    ) == (
        False,
        "1 values in status outside the accepted values (e.g. 'refunded')",
    )
    assert run_one(
        orders, check="accepted_values", column="status", values=["paid", "pending", "refunded"]
    )[0]


def test_range_inclusive_and_exclusive(orders: pd.DataFrame) -> None:
    assert run_one(orders, check="range", column="amount", min=5, max=50)[0] is True
    assert run_one(orders, check="range", column="amount", min=5, max=50, inclusive=False) == (
        False,
        "1 values in amount below 5 (e.g. 5.0); 1 values in amount above 50 (e.g. 50.0)",
    )


def test_row_count(orders: pd.DataFrame) -> None:
    assert run_one(orders, check="row_count", min=10) == (False, "6 rows, expected at least 10")
    assert run_one(orders, check="row_count", max=5) == (False, "6 rows, expected at most 5")
    assert run_one(orders, check="row_count", min=1, max=6) == (True, "6 rows")


def test_schema_compares_dtypes_across_pandas_defaults(orders: pd.DataFrame) -> None:
    ok = {
        "order_id": "int64",
        "amount": "float64",
        "status": "string",
        "ordered_at": "datetime64[ns]",
    }
    assert run_one(orders, check="schema", columns=ok) == (True, "schema matches")
    assert run_one(orders, check="schema", columns={"status": "object"})[0] is True
    assert run_one(orders, check="schema", columns={"order_id": "float64", "gone": "bool"}) == (
        False,
        "column order_id is int64, expected float64; column gone missing",
    )
    assert not run_one(orders, check="schema", columns={"ordered_at": "datetime64[ns, UTC]"})[0]


def test_missing_column_fails_with_the_columns_listed(orders: pd.DataFrame) -> None:
    passed, message = run_one(orders, check="not_null", columns=["amont"])

    assert not passed
    assert message.startswith("column amont not found (columns: order_id, amount")


def test_non_dataframe_data_fails_clearly() -> None:
    assert run_one([1, 2], check="row_count", min=1) == (
        False,
        "row_count needs a pandas DataFrame, got list",
    )


def test_custom_check_by_dotted_path(
    orders: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_checks.py").write_text(
        textwrap.dedent(
            """
            def positive(df, column):
                bad = int((df[column] <= 0).sum())
                return bad == 0, f"{bad} non-positive values in {column}"

            def plain(df):
                return len(df) > 100

            def explodes(df):
                raise RuntimeError("database unreachable")

            def weird(df):
                return "yes"
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_checks", raising=False)

    assert run_one(orders, check="my_checks.positive", column="amount") == (
        True,
        "0 non-positive values in amount",
    )
    assert run_one(orders, check="my_checks.plain") == (False, "failed")
    assert run_one(orders, check="my_checks.explodes") == (
        False,
        "check raised RuntimeError: database unreachable",
    )
    assert "expected a bool or (bool, message)" in run_one(orders, check="my_checks.weird")[1]
    assert "cannot import custom check my_checks.nope" in run_one(orders, check="my_checks.nope")[1]


def test_builtin_that_raises_becomes_a_failed_result() -> None:
    frame = pd.DataFrame({"amount": ["a", "b"]})

    passed, message = run_one(frame, check="range", column="amount", min=0)

    assert not passed
    assert message.startswith("check raised TypeError")


def test_results_carry_severity_label_and_spec_hash(orders: pd.DataFrame) -> None:
    specs = parse_checks(
        "orders",
        [
            {"check": "not_null", "columns": ["amount"], "severity": "warn"},
            {"check": "unique", "columns": ["order_id"]},
        ],
    )

    results = run_checks("orders", orders, specs)

    assert [(r.check, r.severity, r.passed) for r in results] == [
        ("not_null(amount)", "warn", False),
        ("unique(order_id)", "error", False),
    ]
    assert [r.spec_hash for r in results] == [s.spec_hash for s in specs]
    assert failed_errors(results) == [results[1]]


def test_spec_hash_is_stable_and_tracks_the_spec() -> None:
    one = CheckSpec("orders", "range", {"column": "amount", "min": 0, "max": 9})
    same = CheckSpec("orders", "range", {"max": 9, "min": 0, "column": "amount"})
    other = CheckSpec("orders", "range", {"column": "amount", "min": 1, "max": 9})

    assert one.spec_hash == same.spec_hash
    assert one.spec_hash != other.spec_hash
    assert one.spec_hash != CheckSpec("orders", "range", one.args, "warn").spec_hash


def test_parse_fills_defaults_and_normalizes_columns() -> None:
    (spec,) = parse_checks("orders", [{"check": "unique", "columns": "order_id"}])

    assert spec == CheckSpec("orders", "unique", {"columns": ["order_id"], "combination": False})
    assert parse_checks("orders", None) == []


@pytest.mark.parametrize(
    ("entry", "message", "hint"),
    [
        (
            {"check": "not_nul", "columns": ["a"]},
            "unknown check 'not_nul'",
            "did you mean 'not_null'?",
        ),
        (
            {"check": "not_null"},
            "check 'not_null' has missing 'columns'",
            "not_null takes: columns",
        ),
        (
            {"check": "not_null", "columns": ["a"], "colour": 1},
            "unknown argument 'colour'",
            "columns",
        ),
        (
            {"check": "unique", "columns": "a", "severity": "fatal"},
            "severity 'fatal'",
            "severity: warn",
        ),
        ({"check": "range", "column": "a"}, "needs 'min', 'max' or both", "range takes"),
        ({"check": "schema", "columns": ["a"]}, "mapping of column name to dtype", "schema takes"),
        ({"check": "row_count", "min": "ten"}, "whole numbers", "row_count takes"),
        ({"check": "accepted_values", "column": "a", "values": "x"}, "'values' as a list", "takes"),
        ({"columns": ["a"]}, "each check needs a 'check' name", "check: not_null"),
    ],
)
def test_parse_errors_name_asset_check_and_fix(entry: dict, message: str, hint: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_checks("clean_orders", [entry], "conf/base/catalog.yml:12")

    assert err.value.message.startswith("Catalog entry 'clean_orders' (conf/base/catalog.yml:12)")
    assert message in err.value.message
    assert "\n" not in err.value.message
    assert err.value.hint is not None and hint in err.value.hint


def test_checks_must_be_a_list() -> None:
    with pytest.raises(ConfigError, match="'checks' must be a list"):
        parse_checks("orders", {"check": "not_null"})
