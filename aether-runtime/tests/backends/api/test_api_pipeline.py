"""A pipeline whose source is an HTTP API, through the CLI: the API's ETag decides what
rebuilds, a failing or unreachable API fails the run cleanly, secrets never show, and the
API cannot be a node's output."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "tok-S3cret-value-42"
CREDENTIALS = f"rates_api: {{token: {TOKEN}}}\n"


class RatesApi:
    """The API behind `numbers`: a JSON body and its ETag, changed by the test."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.body: dict[str, Any] = {"data": [{"n": 1}, {"n": 2}, {"n": 3}]}
        self.etag = '"v1"'
        self.status = 200
        server.expect_request("/numbers").respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response("who are you?", status=401)
        if self.status != 200:
            return Response(f"failed, your token was {TOKEN}", status=self.status)
        text = "" if request.method == "HEAD" else json.dumps(self.body)
        return Response(text, headers={"ETag": self.etag}, content_type="application/json")

    def gets(self) -> int:
        """GET requests so far (bodies downloaded), then forget them."""
        count = sum(1 for request, _ in self.server.log if request.method == "GET")
        self.server.clear_log()
        return count


def api_catalog(url: str, extra: str = "") -> Callable[[str], str]:
    """The fixture project's catalog with `numbers` read from the API at `url`."""
    source = f"numbers:\n  type: APIDataSet\n  url: {url}\n  credentials: rates_api\n"
    source += "  load_args: {records: data}\n" + extra
    return lambda catalog: source + "doubled:" + catalog.split("doubled:", 1)[1]


@pytest.fixture
def api(httpserver: HTTPServer) -> RatesApi:
    return RatesApi(httpserver)


@pytest.fixture
def project(make_project: Callable[..., Path], api: RatesApi) -> Path:
    url = api.server.url_for("/numbers")
    return make_project("api", catalog=api_catalog(url), local={"credentials.yml": CREDENTIALS})


def ran(result: Any) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return str(result.stdout)


def total(project: Path) -> str:
    return (project / "data/03_primary/total.csv").read_text().split()[1]


def test_a_new_etag_rebuilds_what_depends_on_the_api(aether, project: Path, api: RatesApi) -> None:
    first = ran(aether(project, "run"))
    assert "double" in first and "total" in first and total(project) == "12"
    api.gets()

    assert "everything is fresh" in ran(aether(project, "run"))
    assert api.gets() == 0  # unchanged ETag: no body downloaded

    api.body, api.etag = {"data": [{"n": 10}]}, '"v2"'
    assert "everything is fresh" not in ran(aether(project, "run"))
    assert total(project) == "20"
    assert api.gets() == 1  # observed once at the start, reused by the node that loads it

    statuses = json.loads(ran(aether(project, "status", "--json")))["assets"]
    assert {a["name"]: a["status"] for a in statuses} == {
        "numbers": "fresh",
        "doubled": "fresh",
        "total": "fresh",
    }


def test_a_new_etag_over_the_same_body_rebuilds_nothing(
    aether, project: Path, api: RatesApi
) -> None:
    ran(aether(project, "run"))
    api.etag = '"v1-again"'

    assert "everything is fresh" in ran(aether(project, "run"))


def test_an_api_error_fails_the_run_without_its_secrets(
    aether, project: Path, api: RatesApi
) -> None:
    ran(aether(project, "run"))
    api.body, api.etag, api.status = {"data": [{"n": 5}]}, '"v3"', 403

    result = aether(project, "run", debug=True)

    assert result.returncode == 1
    assert "numbers" in result.stderr and "HTTP 403" in result.stderr
    assert total(project) == "12"  # the last good output stays
    leaks = [result.stdout, result.stderr]
    written = [p for p in project.rglob("*") if p.is_file() and p.name != "credentials.yml"]
    leaks += [path.read_bytes().decode("utf-8", "replace") for path in written]
    assert not [text for text in leaks if TOKEN in text]
    with sqlite3.connect(project / ".aether" / "state.db") as db:
        dumped = "\n".join(db.iterdump())
    assert TOKEN not in dumped


def test_an_unreachable_api_names_host_and_port(aether, make_project: Callable[..., Path]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    catalog = api_catalog(f"http://127.0.0.1:{port}/numbers", extra="  retries: 0\n")
    project = make_project("down", catalog=catalog, local={"credentials.yml": CREDENTIALS})

    result = aether(project, "run")

    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert f"cannot reach 127.0.0.1:{port}" in output and "refused, after 1 attempt" in output
    assert "double  skipped" in result.stdout  # held back; the rest of the run goes on
    assert not (project / "data/03_primary/total.csv").exists()


def test_the_api_as_a_node_output_is_refused_before_running(
    aether, make_project: Callable[..., Path], api: RatesApi
) -> None:
    url = api.server.url_for("/numbers")
    rates = f"rates:\n  type: APIDataSet\n  url: {url}\n  credentials: rates_api\n"
    project = make_project(
        "output",
        catalog=lambda catalog: catalog + rates,
        pipeline=lambda pipeline: pipeline.replace("outputs: doubled", "outputs: rates"),
        local={"credentials.yml": CREDENTIALS},
    )

    result = aether(project, "run")

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "rates" in lines[0]
    assert api.gets() == 0
