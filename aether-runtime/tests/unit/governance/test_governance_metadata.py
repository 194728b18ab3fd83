"""`metadata:` typed: known keys checked for shape, free-form keys kept."""

from __future__ import annotations

from typing import Any

import pytest

from aether.catalog import parse_entry
from aether.catalog.metadata import AssetMetadata, ColumnMetadata, asset_metadata
from aether.errors import CatalogError

WHERE = "conf/base/catalog.yml:3"


def _meta(metadata: Any) -> AssetMetadata:
    entry = parse_entry("customer_revenue", {"type": "MemoryDataSet", "metadata": metadata}, WHERE)
    return asset_metadata(entry)


def test_the_issue_example_reads_as_types() -> None:
    meta = _meta(
        {
            "owner": "finance",
            "domain": "sales",
            "tier": "gold",
            "pii": False,
            "description": "Revenue per customer",
            "term": "revenue",
            "tags": ["daily"],
            "columns": {
                "customer_id": {"description": "Who bought", "term": "customer"},
                "amount": {"description": "Sum of order amounts", "term": "revenue"},
                "note": "Free text",
            },
            "sla_team": "ops",
        }
    )
    assert meta.owners == ("finance",)
    assert meta.owner == "finance"
    assert (meta.domain, meta.tier, meta.pii, meta.term) == ("sales", "gold", False, "revenue")
    assert meta.tags == ("daily",)
    assert meta.columns["customer_id"] == ColumnMetadata("Who bought", "customer")
    assert meta.columns["note"] == ColumnMetadata(description="Free text")
    assert list(meta.columns) == ["customer_id", "amount", "note"]
    assert meta.extra == {"sla_team": "ops"}
    assert meta.terms() == (
        ("metadata.term", "revenue"),
        ("metadata.columns.customer_id.term", "customer"),
        ("metadata.columns.amount.term", "revenue"),
    )
    assert meta.present("pii") and meta.present("owner") and meta.present("sla_team")
    assert not meta.present("sla_other")


def test_no_metadata_is_an_empty_view() -> None:
    meta = _meta(None)
    assert meta == AssetMetadata()
    assert meta.owner is None and not meta.pii and not meta.present("pii")
    assert not meta.present("description")


def test_owners_may_be_a_list() -> None:
    assert _meta({"owner": ["@org/finance", "@alice"]}).owner == "@org/finance, @alice"


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ({"pii": "yes"}, "metadata.pii must be true or false"),
        ({"columns": ["a", "b"]}, "metadata.columns must be a mapping"),
        ({"columns": {"a": {"term": ["x"]}}}, "metadata.columns.a.term must be a string"),
        ({"columns": {"a": 3}}, "metadata.columns.a must be a mapping or a description"),
        ({"columns": {"a": {"descripton": "x"}}}, "unknown key 'descripton'"),
        ({"tags": [1]}, "metadata.tags must be a list of strings"),
        ({"owner": {"team": "x"}}, "metadata.owner must be a name"),
        ({"description": ["x"]}, "metadata.description must be a string"),
    ],
)
def test_a_wrong_shape_names_the_entry_the_file_and_the_fix(metadata: Any, words: str) -> None:
    with pytest.raises(CatalogError) as caught:
        _meta(metadata)
    error = caught.value
    assert words in error.message
    assert "customer_revenue" in error.message and WHERE in error.message
    assert error.hint
    assert error.exit_code == 2


def test_a_misspelt_column_key_is_answered_with_did_you_mean() -> None:
    with pytest.raises(CatalogError) as caught:
        _meta({"columns": {"a": {"descripton": "x"}}})
    assert "did you mean 'description'?" in (caught.value.hint or "")


def test_the_layer_comes_from_metadata_or_the_entry() -> None:
    entry = parse_entry("x", {"type": "MemoryDataSet", "layer": "raw"}, WHERE)
    assert asset_metadata(entry).layer == "raw"
    assert _meta({"layer": "primary"}).layer == "primary"
