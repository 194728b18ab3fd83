"""The API dataset's pure parts: arguments checked when the catalog builds it, JSON paths,
Link headers, pagination settings, validators, and credentials turned into headers (the
requests themselves are tested against a real server in tests/backends/api/)."""

from __future__ import annotations

from typing import Any

import pytest

from aether import APIDataSet, CatalogError, DataCatalog
from aether.datasets.api_auth import auth_from_credentials
from aether.datasets.api_pages import (
    Pagination,
    json_path,
    next_link_in_header,
    parse_pagination,
    with_query,
)
from aether.datasets.api_validators import validators_signature
from aether.support.redaction import redact


def build(entry: dict[str, Any], credentials: dict[str, Any] | None = None) -> Any:
    raw = {"type": "APIDataSet", "url": "https://api.example.com/rates", **entry}
    catalog = DataCatalog.from_config({"rates": raw}, credentials=credentials)
    return catalog.get("rates")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"url": "ftp://example.com/x"}, "http:// or https://"),
        ({"url": "https:///no-host"}, "has no host"),
        ({"method": "TRACE"}, "method must be one of"),
        ({"retries": -1}, "retries must be a whole number from 0 to 100, got -1"),
        ({"timeout": "soon"}, "timeout must be a number"),
        ({"timeout": float("nan")}, "timeout must be a number of seconds .* got nan"),
        ({"timeout": 0}, "timeout must be a number of seconds from more than 0"),
        ({"backoff": 1e300}, "backoff must be a number of seconds from 0 to 3600, got 1e"),
        ({"backoff": float("-inf")}, "backoff must be a number of seconds"),
        ({"retries": 2.5}, "retries must be a whole number"),
        ({"retries": 10**6}, "retries must be a whole number from 0 to 100"),
        ({"deadline": float("inf")}, "deadline must be a number of seconds .* got inf"),
        ({"deadline": 0}, "deadline must be a number of seconds from more than 0"),
        ({"max_response_bytes": 0}, "max_response_bytes must be a whole number from 1"),
        ({"max_response_bytes": 1.5e6}, "max_response_bytes must be a whole number"),
        ({"load_args": {"orient": "records"}}, "load_args accepts only 'records'"),
        ({"pagination": {"next_link": "links.next"}}, "needs load_args.records"),
        ({"pagination": {"page_param": "p", "next_link": "header"}}, "exactly one of"),
        (
            {"pagination": {"page_param": "p", "max_pages": 0}},
            "max_pages must be a whole number from 1",
        ),
        ({"pagination": {"page_param": "p", "max_pages": 10**9}}, "from 1 to 1000000"),
        ({"pagination": {"page_param": "p", "start": -1}}, "pagination.start must be a whole"),
        ({"pagination": {"page_param": "p", "start": 1.5}}, "pagination.start must be a whole"),
        ({"pagination": {"cursor": "c"}}, "pagination must be"),
    ],
)
def test_bad_arguments_are_a_catalog_error_naming_the_entry(
    entry: dict[str, Any], expected: str
) -> None:
    with pytest.raises(CatalogError, match=expected) as error:
        build(entry)
    assert "Dataset 'rates'" in error.value.message and error.value.exit_code == 2


def test_every_request_has_a_bounded_deadline_and_size_cap_by_default() -> None:
    client = build({}).client
    assert (client.deadline, client.max_bytes, client.timeout) == (120.0, 100 * 2**20, 30.0)


def test_credentials_of_an_unknown_shape_name_their_keys_not_their_values() -> None:
    with pytest.raises(CatalogError, match=r"\['api_secret'\]") as error:
        build({"credentials": "rates"}, credentials={"rates": {"api_secret": "zz-Hidden-99"}})
    assert "zz-Hidden-99" not in str(error.value)


def test_every_credential_shape_is_registered_for_masking() -> None:
    basic = auth_from_credentials({"username": "ana", "password": "Unit-pa55-word"})
    bearer = auth_from_credentials({"token": "Unit-tok-123456"})
    header = auth_from_credentials({"header": "X-Key", "value": "Unit-key-123456"})

    shown = redact(f"{basic.headers} {bearer.headers} {header.headers}")
    for secret in ("Unit-pa55-word", "Unit-tok-123456", "Unit-key-123456"):
        assert secret not in shown
    assert basic.headers["Authorization"].split()[1] not in shown  # the base64 form too
    assert (basic.kind, bearer.kind, header.kind) == (
        "basic (user ana)",
        "bearer token",
        "header X-Key",
    )


def test_a_token_in_the_url_is_masked_in_describe() -> None:
    described = build({"url": "https://api.example.com/r?access_token=Unit-url-tok-1"}).describe()

    assert described["url"] == "https://api.example.com/r?access_token=***"


def test_params_join_the_url_query() -> None:
    described = build({"url": "https://api.example.com/r?a=1", "params": {"b": 2}}).describe()

    assert described["url"] == "https://api.example.com/r?a=1&b=2"


def test_the_api_dataset_is_read_only() -> None:
    assert APIDataSet.read_only


def test_json_paths_walk_objects_and_lists() -> None:
    document = {"data": {"rows": [{"id": 1}, {"id": 2}]}}

    assert json_path(document, "data.rows.1.id") == 2
    assert json_path(document, "data.rows.-1") == {"id": 2}
    with pytest.raises(LookupError, match="no 'items' at data of the JSON"):
        json_path(document, "data.items")
    with pytest.raises(LookupError, match=r"no '5' at data\.rows"):
        json_path(document, "data.rows.5")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://a/2>; rel="next", <https://a/9>; rel="last"', "https://a/2"),
        ('<https://a/9>; rel="last", <https://a/3>; rel=next', "https://a/3"),
        ('<https://a/4>; title="x"; rel="prev next"', "https://a/4"),
        ('<https://a/1>; rel="prev"', None),
        (None, None),
    ],
)
def test_the_next_link_is_read_from_a_link_header(header: str | None, expected: str) -> None:
    assert next_link_in_header(header) == expected


def test_pagination_settings_have_defaults() -> None:
    assert parse_pagination({"page_param": "page"}) == Pagination(page_param="page")
    assert parse_pagination(None) is None


def test_a_page_parameter_replaces_one_already_in_the_url() -> None:
    assert with_query("https://a/r?page=1&x=y", {"page": 2}) == "https://a/r?x=y&page=2"


def test_query_values_are_written_as_apis_expect() -> None:
    query = {"ids": [1, 2], "active": True, "q": "a b"}

    assert with_query("https://a/r", query) == "https://a/r?ids=1&ids=2&active=true&q=a+b"


def test_validators_prefer_the_etag() -> None:
    headers = {"etag": 'W/"7"', "last-modified": "Wed, 01 Jan 2020 00:00:00 GMT"}

    assert validators_signature(headers) == {"etag": 'W/"7"'}
    assert validators_signature({}) is None


def test_a_last_modified_too_close_to_now_is_not_trusted_alone() -> None:
    settled = {
        "last-modified": "Wed, 01 Jan 2020 00:00:00 GMT",
        "date": "Wed, 01 Jan 2020 00:00:05 GMT",
    }
    unsettled = {**settled, "date": "Wed, 01 Jan 2020 00:00:01 GMT"}

    assert validators_signature(settled) == {"last_modified": settled["last-modified"]}
    # Holding the server's Date, it differs at every look: the content decides meanwhile.
    assert validators_signature(unsettled) == {
        "last_modified": settled["last-modified"],
        "unsettled_at": unsettled["date"],
    }
