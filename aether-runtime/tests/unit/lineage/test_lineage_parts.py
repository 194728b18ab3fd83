"""aether.lineage's parts: lineage.yml checked, datasets named the OpenLineage way (never
with a password), the HTTP endpoint's URL, run ids as UUIDs, the file transport's lines."""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from aether.catalog import DataCatalog
from aether.engine.events import (
    NodeAborted,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunEvent,
    RunFinished,
)
from aether.engine.plan import NodeResult, NodeStatus, RunResult
from aether.errors import ConfigError
from aether.lineage.config import FileTransportConfig, HttpTransportConfig, parse_lineage
from aether.lineage.events import DatasetName, run_uuid
from aether.lineage.listener import LineageListener, endpoint_url
from aether.lineage.naming import DatasetNamer
from aether.lineage.transport import DeliveryFailed, FileTransport, HttpTransport
from aether.pipeline import Input, Node
from aether.support import redaction
from aether.verdicts import ReasonKind, because

WHERE = "conf/local/lineage.yml"
SECRET = "Hunter2-db-Secret-9"


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of its own for each test (a process otherwise keeps its secrets)."""
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


# --- lineage.yml -------------------------------------------------------------------


def test_a_file_transport_and_an_http_transport_are_read() -> None:
    file = parse_lineage({"namespace": "shop", "transport": {"type": "file", "path": "x"}}, WHERE)
    http = parse_lineage(
        {
            "namespace": "shop",
            "transport": {"type": "http", "url": "https://m.example", "credentials": "marquez"},
        },
        WHERE,
    )

    assert file.transport == FileTransportConfig("x")
    assert http.transport == HttpTransportConfig("https://m.example", credentials="marquez")
    assert http.where == WHERE


@pytest.mark.parametrize(
    ("transport", "message"),
    [
        ({"type": "http", "url": "ftp://host"}, "http:// or https://"),
        ({"type": "http", "url": "https://"}, "with a host"),
        ({"type": "http", "url": "https://h", "timeout": 0}, "`timeout:`"),
        ({"type": "http", "url": "https://h", "timeout": 600}, "at most 60"),
        ({"type": "http", "url": "https://h", "credentials": ["a"]}, "`credentials:`"),
        ({"type": "file", "path": ""}, "needs `path:`"),
        ({"path": "x"}, "`transport:` needs `type:`"),
    ],
)
def test_bad_transport_values_are_refused_naming_the_file(
    transport: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_lineage({"namespace": "shop", "transport": transport}, WHERE)

    assert message in caught.value.message
    assert caught.value.message.startswith(WHERE)


def test_a_url_password_is_registered_for_masking_as_soon_as_it_is_read() -> None:
    url = f"https://bob:{SECRET}@marquez.example"
    parse_lineage({"namespace": "s", "transport": {"type": "http", "url": url}}, WHERE)

    assert SECRET not in redaction.redact(f"failed: {SECRET} at {url}")


# --- naming ----------------------------------------------------------------------------


def namer(tmp_path: Path, entries: dict[str, Any], credentials: Any = None) -> DatasetNamer:
    catalog = DataCatalog.from_config(entries, credentials=credentials, project_path=tmp_path)
    return DatasetNamer(catalog, tmp_path, "shop")


def test_files_objects_tables_and_apis_are_named_by_where_they_live(tmp_path: Path) -> None:
    name = namer(
        tmp_path,
        {
            "local": {"type": "PandasCsvDataSet", "filepath": "data/./01_raw/a.csv"},
            "object": {"type": "PandasParquetDataSet", "filepath": "s3a://Bucket/k/x.parquet"},
            "table": {"type": "SQLTableDataSet", "table_name": "orders", "credentials": "db"},
            "lite": {"type": "SQLTableDataSet", "table_name": "Orders", "credentials": "file"},
            "api": {"type": "APIDataSet", "url": "https://api.example:8443/v1/rates?key=abc"},
            "scratch": {"type": "MemoryDataSet"},
        },
        credentials={
            "db": {"con": f"postgresql+psycopg://bob:{SECRET}@DB.example/sales?sslmode=require"},
            "file": {"con": "sqlite:///data/shop.db"},
        },
    )

    assert name("local") == DatasetName("file", f"{tmp_path.resolve()}/data/01_raw/a.csv")
    assert name("object") == DatasetName("s3://bucket", "k/x.parquet")
    assert name("table") == DatasetName("postgres://db.example:5432", "sales.public.orders")
    assert name("lite") == DatasetName(f"sqlite://{tmp_path.resolve()}/data/shop.db", "main.orders")
    assert name("api") == DatasetName("https://api.example:8443", "/v1/rates")
    assert name("scratch") == DatasetName("shop", "scratch")  # in memory: the project's
    assert name("undeclared") == DatasetName("shop", "undeclared")
    assert SECRET not in json.dumps([name(n).__dict__ for n in ("table", "lite")])


# --- events and transports ----------------------------------------------------------


def test_run_ids_are_uuids_derived_from_the_aether_run_and_node() -> None:
    assert run_uuid("20260101T000000Z-abc123") == run_uuid("20260101T000000Z-abc123")
    assert run_uuid("r", "a") != run_uuid("r", "b") != run_uuid("r")
    assert uuid.UUID(run_uuid("r", "a")).version == 5


@pytest.mark.parametrize(
    ("url", "endpoint", "expected"),
    [
        ("http://localhost:5000", "api/v1/lineage", "http://localhost:5000/api/v1/lineage"),
        ("http://h/base/", "/api/v1/lineage", "http://h/base/api/v1/lineage"),
        ("http://h/events?api_key=x", "", "http://h/events?api_key=x"),
        ("http://h/?api_key=x", "api/v1/lineage", "http://h/api/v1/lineage?api_key=x"),
    ],
)
def test_the_endpoint_goes_under_the_url_path(url: str, endpoint: str, expected: str) -> None:
    assert endpoint_url(url, endpoint) == expected


def test_an_inline_password_leaves_the_url_for_a_basic_header() -> None:
    transport = HttpTransport(f"http://bob:{SECRET}@lineage.example:5000/api", {}, 1.0)

    assert transport.url == "http://lineage.example:5000/api"
    assert transport.target == "lineage.example:5000"
    assert transport.headers["Authorization"].startswith("Basic ")
    assert "***" in redaction.redact(transport.headers["Authorization"])


def test_the_file_transport_appends_whole_lines_from_many_writers(tmp_path: Path) -> None:
    """Each event is one write on a file opened for appending: concurrent writers (threads
    here, processes alike) never interleave their lines."""
    transport = FileTransport(tmp_path / "deep" / "events.jsonl", "events.jsonl")
    big = "x" * 100_000  # larger than any pipe buffer: one write still keeps it whole

    def write(writer: int) -> None:
        for number in range(20):
            transport.send({"writer": writer, "number": number, "padding": big})

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = (tmp_path / "deep" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 80
    assert {(e["writer"], e["number"]) for e in map(json.loads, lines)} == {
        (w, n) for w in range(4) for n in range(20)
    }


def test_a_line_cut_short_by_an_earlier_write_does_not_swallow_the_next_event(
    tmp_path: Path,
) -> None:
    """A full disk can take part of a write: the next run's first event goes on a line of
    its own, so every whole event stays readable."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"whole":1}\n{"cut":')

    FileTransport(path, "events.jsonl").send({"next": 2})

    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == ['{"whole":1}', '{"cut":', '{"next":2}']


def test_a_short_write_is_a_failed_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, data[: len(data) // 2]))

    with pytest.raises(DeliveryFailed, match="wrote part of an event"):
        FileTransport(tmp_path / "events.jsonl", "events.jsonl").send({"x": "y" * 100})


# --- the listener ---------------------------------------------------------------------


class Kept:
    """A transport keeping what it is given; it fails from the `fail_from`-th event on."""

    target = "kept"

    def __init__(self, fail_from: int | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail_from = fail_from

    def send(self, event: Any) -> None:
        if self.fail_from is not None and len(self.events) >= self.fail_from:
            raise DeliveryFailed("kept answered HTTP 500, retried once")
        self.events.append(dict(event))


def listener(tmp_path: Path, transport: Kept) -> LineageListener:
    catalog = DataCatalog.from_config({}, project_path=tmp_path)
    return LineageListener(transport, DatasetNamer(catalog, tmp_path, "shop"), "shop", "main")


def feed(target: LineageListener, *events: RunEvent) -> None:
    for event in events:
        target.on_event(event)


NODE = Node("load", "mini.nodes.load", inputs=(Input(None, "raw"),), outputs=("clean",))


def test_an_interrupted_node_and_its_run_end_with_abort(tmp_path: Path) -> None:
    kept = Kept()
    aborted = NodeResult(
        "load", NodeStatus.ABORTED, reason=because(ReasonKind.INTERRUPTED, signal="SIGTERM")
    )

    feed(
        listener(tmp_path, kept),
        NodeStarted("r1", 1.0, NODE, because(ReasonKind.FORCED)),
        NodeAborted("r1", 2.0, aborted),
        RunFinished("r1", 3.0, RunResult("r1", "main", [aborted])),
    )

    assert [(e["job"]["name"], e["eventType"]) for e in kept.events] == [
        ("main", "START"),
        ("main.load", "START"),
        ("main.load", "ABORT"),
        ("main", "ABORT"),
    ]
    assert kept.events[1]["inputs"] == [{"namespace": "shop", "name": "raw", "facets": {}}]


def test_a_node_never_started_sends_nothing(tmp_path: Path) -> None:
    kept = Kept()
    skipped = NodeResult("load", NodeStatus.SKIPPED)

    feed(
        listener(tmp_path, kept),
        NodeSkipped("r1", 1.0, skipped),
        RunFinished("r1", 2.0, RunResult("r1", "main", [skipped])),
    )

    assert kept.events == []


def test_after_a_failed_delivery_one_warning_and_nothing_more_is_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kept = Kept(fail_from=1)
    done = NodeResult("load", NodeStatus.SUCCEEDED)

    feed(
        listener(tmp_path, kept),
        NodeStarted("r1", 1.0, NODE, because(ReasonKind.FORCED)),
        NodeSucceeded("r1", 2.0, done),
        RunFinished("r1", 3.0, RunResult("r1", "main", [done])),
    )

    assert len(kept.events) == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "aether.lineage"]
    assert warnings == [
        "OpenLineage events not delivered: kept answered HTTP 500, retried once; "
        "the run goes on without sending more"
    ]


def test_a_file_that_cannot_be_written_is_a_failed_delivery_naming_it(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    transport = FileTransport(tmp_path / "taken" / "events.jsonl", "taken/events.jsonl")

    with pytest.raises(DeliveryFailed, match=r"cannot append to taken/events.jsonl \("):
        transport.send({"eventType": "START"})
