"""APIDataSet against a real local HTTP server (pytest-httpserver): requests, retries,
authentication, pagination, errors and the signatures the staleness engine relies on."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aether import APIDataSet, DataSetError

TOKEN = "tok-S3cret-value-42"
OLD = "Wed, 01 Jan 2020 00:00:00 GMT"


def dataset(server: HTTPServer, path: str = "/rates", **arguments: Any) -> APIDataSet:
    """An APIDataSet on `server` whose waits are recorded in `.waits`, not slept."""
    made = APIDataSet(url=server.url_for(path), **arguments)
    made.name = "rates"
    made.waits = []  # type: ignore[attr-defined]
    made.client.sleep = made.waits.append  # type: ignore[attr-defined]
    return made


def requests_made(server: HTTPServer, method: str | None = None) -> list[Request]:
    return [request for request, _ in server.log if method in (None, request.method)]


@pytest.fixture
def other_server() -> Iterator[HTTPServer]:
    """A second server: another origin (another port) than `httpserver`."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    server.stop()


# -- answers ------------------------------------------------------------------------------


def test_load_returns_the_parsed_json(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates", query_string="base=EUR").respond_with_json(
        {"EUR": 1, "USD": 1.1}
    )

    assert dataset(httpserver, params={"base": "EUR"}).load() == {"EUR": 1, "USD": 1.1}


def test_records_become_a_dataframe(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json(
        {"data": {"items": [{"ccy": "USD", "rate": 1.1}, {"ccy": "GBP", "rate": 0.9}]}}
    )

    frame = dataset(httpserver, load_args={"records": "data.items"}).load()

    assert list(frame.columns) == ["ccy", "rate"]
    assert frame["ccy"].tolist() == ["USD", "GBP"]


def test_a_json_body_is_sent_with_the_method(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search", method="POST", json={"q": "eur"}).respond_with_json([1, 2])

    assert dataset(httpserver, "/search", method="post", json={"q": "eur"}).load() == [1, 2]


def test_records_that_are_not_there_are_an_error_naming_the_path(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"data": {}})

    with pytest.raises(DataSetError, match=r"no 'items' at data of the JSON") as error:
        dataset(httpserver, load_args={"records": "data.items"}).load()
    assert "'rates'" in error.value.message


def test_a_body_that_is_not_json_says_what_it_was(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_data(
        "<html>Please log in</html>", content_type="text/html"
    )

    with pytest.raises(DataSetError) as error:
        dataset(httpserver).load()

    message = error.value.message
    assert "Dataset 'rates'" in message and "text/html, not JSON" in message
    assert "Please log in" in message and error.value.exit_code == 1


# -- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "header", "expected"),
    [
        ({"token": TOKEN}, "Authorization", f"Bearer {TOKEN}"),
        (
            {"username": "ana", "password": "pa55-word-9"},
            "Authorization",
            "Basic " + base64.b64encode(b"ana:pa55-word-9").decode(),
        ),
        ({"header": "X-Api-Key", "value": "key-123456"}, "X-Api-Key", "key-123456"),
    ],
    ids=["bearer", "basic", "header"],
)
def test_credentials_become_the_header_the_api_expects(
    httpserver: HTTPServer, credentials: dict[str, str], header: str, expected: str
) -> None:
    httpserver.expect_request("/rates", headers={header: expected}).respond_with_json({"ok": 1})

    assert dataset(httpserver, credentials=credentials).load() == {"ok": 1}


def test_secrets_stay_out_of_describe_repr_and_errors(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_data(
        f"bad token {TOKEN}", status=401, content_type="text/plain"
    )
    made = dataset(
        httpserver,
        params={"api_key": "query-key-77", "base": "EUR"},
        headers={"X-Api-Token": "header-tok-88", "Accept-Language": "en"},
        credentials={"token": TOKEN},
    )

    with pytest.raises(DataSetError) as error:
        made.load()

    shown = f"{made.describe()} {made!r} {error.value}"
    for secret in (TOKEN, "query-key-77", "header-tok-88"):
        assert secret not in shown
    assert "HTTP 401" in error.value.message and "api_key=***" in error.value.message
    assert made.describe()["auth"] == "bearer token"
    assert made.describe()["headers"] == ["Accept-Language", "X-Api-Token"]


def test_credentials_are_not_sent_to_a_next_link_on_another_origin(
    httpserver: HTTPServer, other_server: HTTPServer
) -> None:
    elsewhere = other_server.url_for("/page2")
    httpserver.expect_request("/rates").respond_with_json({"items": [{"n": 1}], "next": elsewhere})
    other_server.expect_request("/page2").respond_with_json({"items": [{"n": 2}]})

    made = dataset(
        httpserver,
        credentials={"token": TOKEN},
        headers={"X-Api-Key": "key-123456", "X-Trace": "t1"},
        pagination={"next_link": "next"},
        load_args={"records": "items"},
    )

    assert made.load()["n"].tolist() == [1, 2]
    (sent,) = requests_made(other_server)
    assert "Authorization" not in sent.headers and "X-Api-Key" not in sent.headers
    assert sent.headers["X-Trace"] == "t1"
    assert requests_made(httpserver)[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_redirect_keeps_credentials_at_home_only(
    httpserver: HTTPServer, other_server: HTTPServer
) -> None:
    httpserver.expect_request("/rates").respond_with_response(
        Response(status=302, headers={"Location": "/moved"})
    )
    httpserver.expect_request("/moved").respond_with_response(
        Response(status=302, headers={"Location": other_server.url_for("/final")})
    )
    other_server.expect_request("/final").respond_with_json({"ok": 1})

    assert dataset(httpserver, credentials={"token": TOKEN}).load() == {"ok": 1}

    moved = [r for r in requests_made(httpserver) if r.path == "/moved"]
    assert moved[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in requests_made(other_server)[0].headers


# -- retries ------------------------------------------------------------------------------


def test_a_503_is_retried_after_a_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/rates").respond_with_data("busy", status=503)
    httpserver.expect_oneshot_request("/rates").respond_with_data("busy", status=503)
    httpserver.expect_request("/rates").respond_with_json({"ok": 1})
    made = dataset(httpserver, retries=3, backoff=0.5)

    assert made.load() == {"ok": 1}
    assert made.waits == [0.5, 1.0]  # type: ignore[attr-defined]
    assert len(requests_made(httpserver)) == 3


def test_a_429_waits_as_long_as_retry_after_asks_within_a_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/rates").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_oneshot_request("/rates").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "86400"}
    )
    httpserver.expect_request("/rates").respond_with_json({"ok": 1})
    made = dataset(httpserver, backoff=0.5)

    assert made.load() == {"ok": 1}
    assert made.waits == [7.0, 60.0]  # type: ignore[attr-defined]


def test_a_404_is_not_retried_and_names_the_status(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_data("no such rates", status=404)
    made = dataset(httpserver, retries=3)

    with pytest.raises(DataSetError) as error:
        made.load()

    assert len(requests_made(httpserver)) == 1 and made.waits == []  # type: ignore[attr-defined]
    assert "HTTP 404: no such rates" in error.value.message
    assert httpserver.url_for("/rates") in error.value.message


def test_retries_give_up_with_the_last_status(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_data("down", status=502)
    made = dataset(httpserver, retries=2, backoff=0.1)

    with pytest.raises(DataSetError, match="HTTP 502 after 3 attempts: down"):
        made.load()
    assert made.waits == [0.1, 0.2]  # type: ignore[attr-defined]


def test_an_unreachable_server_names_host_and_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    made = APIDataSet(url=f"http://127.0.0.1:{port}/rates?token=abcdef123", retries=1)
    made.name = "rates"
    made.client.sleep = lambda seconds: None

    with pytest.raises(DataSetError) as error:
        made.load()

    message = error.value.message
    assert f"cannot reach 127.0.0.1:{port}" in message and "connection refused" in message
    assert "after 2 attempts" in message and "abcdef123" not in message


# -- pagination ---------------------------------------------------------------------------


def test_pages_are_followed_by_a_next_link_in_the_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates", query_string="").respond_with_json(
        {"data": [{"n": 1}], "links": {"next": "/rates?cursor=b"}}
    )
    httpserver.expect_request("/rates", query_string="cursor=b").respond_with_json(
        {"data": [{"n": 2}], "links": {"next": None}}
    )

    made = dataset(
        httpserver, pagination={"next_link": "links.next"}, load_args={"records": "data"}
    )

    assert made.load()["n"].tolist() == [1, 2]


def test_pages_are_followed_by_the_link_header(httpserver: HTTPServer) -> None:
    second = httpserver.url_for("/rates") + "?page=2"
    httpserver.expect_request("/rates", query_string="").respond_with_json(
        [{"n": 1}], headers={"Link": f'<{second}>; rel="next", <{second}>; rel="last"'}
    )
    httpserver.expect_request("/rates", query_string="page=2").respond_with_json([{"n": 2}])

    assert dataset(httpserver, pagination={"next_link": "header"}).load() == [{"n": 1}, {"n": 2}]


def test_numbered_pages_stop_at_an_empty_page(httpserver: HTTPServer) -> None:
    for page, items in (("1", [{"n": 1}]), ("2", [{"n": 2}]), ("3", [])):
        httpserver.expect_request("/rates", query_string=f"page={page}").respond_with_json(
            {"items": items}
        )

    made = dataset(
        httpserver, pagination={"page_param": "page", "start": 1}, load_args={"records": "items"}
    )

    assert made.load()["n"].tolist() == [1, 2]


def test_a_server_that_never_stops_hits_max_pages(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"items": [1]})
    made = dataset(
        httpserver,
        pagination={"page_param": "page", "max_pages": 3},
        load_args={"records": "items"},
    )

    with pytest.raises(DataSetError, match=r"still had pages after 3 \(pagination.max_pages\)"):
        made.load()
    assert len(requests_made(httpserver)) == 3


def test_a_next_link_back_to_a_read_page_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"items": [1], "next": "/rates"})
    made = dataset(httpserver, pagination={"next_link": "next"}, load_args={"records": "items"})

    with pytest.raises(DataSetError, match="leads back to"):
        made.load()


# -- signatures and content hashes --------------------------------------------------------


def test_the_signature_is_the_etag_from_a_head_request(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"v": 1}, headers={"ETag": '"v1"'})
    made = dataset(httpserver)

    assert made.signature() == {"etag": '"v1"'}
    assert [r.method for r in requests_made(httpserver)] == ["HEAD"]
    assert made.content_hash_is_costly


def test_the_signature_is_last_modified_without_an_etag(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"v": 1}, headers={"Last-Modified": OLD})

    assert dataset(httpserver).signature() == {"last_modified": OLD}


def test_no_validators_means_no_signature(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"v": 1})
    made = dataset(httpserver)

    assert made.signature() is None
    assert made.exists()


def test_a_gone_resource_has_no_signature_and_does_not_exist(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_data("", status=404)
    made = dataset(httpserver)

    assert made.signature() is None
    assert not made.exists()


def test_when_head_is_refused_a_conditional_get_is_used(httpserver: HTTPServer) -> None:
    def answer(request: Request) -> Response:
        if request.method == "HEAD":
            return Response(status=405)
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response('{"v": 1}', headers={"ETag": '"v1"'}, content_type="application/json")

    httpserver.expect_request("/rates").respond_with_handler(answer)
    made = dataset(httpserver)

    assert made.signature() == {"etag": '"v1"'}
    assert made.signature() == {"etag": '"v1"'}

    methods = [(r.method, r.headers.get("If-None-Match")) for r in requests_made(httpserver)]
    assert methods == [("HEAD", None), ("GET", None), ("GET", '"v1"')]  # HEAD asked once


def test_the_content_hash_covers_every_page(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates", query_string="page=1").respond_with_json({"i": [1]})
    httpserver.expect_request("/rates", query_string="page=2").respond_with_json({"i": [2]})
    httpserver.expect_request("/rates", query_string="page=3").respond_with_json({"i": []})
    paginated = {"pagination": {"page_param": "page"}, "load_args": {"records": "i"}}

    first = dataset(httpserver, **paginated).content_hash()
    httpserver.clear()
    httpserver.expect_request("/rates", query_string="page=1").respond_with_json({"i": [1]})
    httpserver.expect_request("/rates", query_string="page=2").respond_with_json({"i": [3]})
    httpserver.expect_request("/rates", query_string="page=3").respond_with_json({"i": []})

    assert first.startswith("sha256:")
    assert dataset(httpserver, **paginated).content_hash() != first


def test_a_body_hashed_then_loaded_is_downloaded_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"v": 1}, headers={"ETag": '"v1"'})
    made = dataset(httpserver)

    made.signature()
    made.content_hash()
    assert made.load() == {"v": 1}

    assert len(requests_made(httpserver, "GET")) == 1


def test_a_body_whose_etag_moved_is_downloaded_again(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_json({"v": 1}, headers={"ETag": '"v1"'})
    made = dataset(httpserver)
    made.content_hash()
    httpserver.clear()
    httpserver.expect_request("/rates").respond_with_json({"v": 2}, headers={"ETag": '"v2"'})

    assert made.load() == {"v": 2}


def test_without_validators_a_load_takes_the_observed_body_once(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/rates").respond_with_json({"v": 1})
    httpserver.expect_request("/rates").respond_with_json({"v": 2})
    made = dataset(httpserver)

    made.content_hash()  # the run observing its source downloads {"v": 1}
    assert made.load() == {"v": 1}  # the node reads the version that was recorded
    assert made.load() == {"v": 2}  # a later load asks again
