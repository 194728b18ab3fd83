"""One "did you mean" for every misspelt name: a close match, none, several, and case."""

from __future__ import annotations

import pytest

from aether.errors import PipelineError
from aether.pipeline import Pipeline, node
from aether.support.suggestions import closest, did_you_mean


def test_a_close_match_is_offered_in_the_one_wording() -> None:
    assert did_you_mean("ordres", ["customers", "orders"]) == "did you mean 'orders'?"


def test_nothing_close_gives_an_empty_hint_so_a_fallback_can_follow() -> None:
    assert did_you_mean("zzz", ["customers", "orders"]) == ""
    assert (did_you_mean("zzz", []) or "list them: aether catalog list") == (
        "list them: aether catalog list"
    )


def test_of_several_close_names_the_closest_is_offered() -> None:
    choices = ["order", "orders_raw", "orders_clean", "orders"]

    assert closest("orders_claen", choices) == "orders_clean"


def test_ties_go_the_way_difflib_breaks_them() -> None:
    import difflib

    choices = ["cat_a", "cat_b"]

    assert closest("cat_c", choices) == difflib.get_close_matches("cat_c", choices, n=1)[0]


def test_case_does_not_hide_a_name_and_the_suggestion_keeps_its_spelling() -> None:
    # difflib alone finds nothing: every letter differs by case.
    assert did_you_mean("CSV", ["csv", "parquet"]) == "did you mean 'csv'?"
    assert closest("csvdataset", ["CSVDataSet", "JSONDataSet"]) == "CSVDataSet"


def test_the_cutoff_is_the_callers_to_loosen() -> None:
    assert closest("parq", ["parquet"], cutoff=0.8) is None
    assert closest("parq", ["parquet"], cutoff=0.7) == "parquet"


def test_choices_may_be_any_iterable_of_names_once() -> None:
    assert closest("ordrs", (name for name in ("orders", "customers"))) == "orders"


def test_a_node_named_in_the_wrong_case_is_suggested_by_the_pipeline() -> None:
    pipeline = Pipeline([node(print, "raw", "clean", name="clean_orders")], name="p")

    with pytest.raises(PipelineError) as raised:
        pipeline.only_nodes(["CLEAN_ORDERS"])

    assert raised.value.hint == "did you mean 'clean_orders'?"
