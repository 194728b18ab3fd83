"""OpenLineage events from `aether run`: the real CLI on a small project, events written to
a JSON-lines file or POSTed to a real local HTTP server, each validated against the
OpenLineage JSON schema vendored in tests/fixtures/openlineage (no network)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage"
EVENTS_FILE = "data/09_lineage/events.jsonl"
FILE_LINEAGE = f"namespace: shop\ntransport: {{type: file, path: {EVENTS_FILE}}}\n"
TOKEN = "tok-Marquez-5ecret-42"
PASSWORD = "pa55-Inline-Secret-77"

CATALOG_WITH_COLUMNS = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
  metadata:
    columns:
      n: {description: The number twice}
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
"""

FAILING_PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: explode
        transformation: mini.nodes.boom
        inputs: {rows: doubled}
        outputs: total
default: main
"""


# --- the schema -------------------------------------------------------------------


def _registry() -> Registry:
    resources = []
    for path in sorted(SPEC.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)  # every $ref resolves here, offline


REGISTRY = _registry()


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SPEC / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())


EVENT = _validator("OpenLineage.json")
PARENT_FACET = _validator("ParentRunFacet.json")
SCHEMA_FACET = _validator("SchemaDatasetFacet.json")
ERROR_FACET = _validator("ErrorMessageRunFacet.json")
JOB_TYPE_FACET = _validator("JobTypeJobFacet.json")


def assert_valid(event: dict[str, Any]) -> None:
    """The event against the core spec, and each facet Aether sends against its own."""
    EVENT.validate(event)
    uuid.UUID(event["run"]["runId"])  # `format: uuid` is only checked when asked for
    facets = event["run"]["facets"]
    assert set(facets) <= {"parent", "errorMessage"}, "a facet this test does not validate"
    if "parent" in facets:
        PARENT_FACET.validate({"parent": facets["parent"]})
    if "errorMessage" in facets:
        ERROR_FACET.validate({"errorMessage": facets["errorMessage"]})
    assert set(event["job"]["facets"]) == {"jobType"}
    JOB_TYPE_FACET.validate({"jobType": event["job"]["facets"]["jobType"]})
    for dataset in event["inputs"] + event["outputs"]:
        if "schema" in dataset["facets"]:
            SCHEMA_FACET.validate({"schema": dataset["facets"]["schema"]})


def test_the_validator_refuses_an_event_the_spec_refuses() -> None:
    """The vendored schema does check: a run id that is no UUID and a missing field fail."""
    event = {
        "eventType": "START",
        "eventTime": "2026-01-01T00:00:00+00:00",
        "producer": "https://pypi.org/project/aether-data/1.0/",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "not-a-uuid"},
        "job": {"namespace": "shop"},
    }
    assert not EVENT.is_valid(event)  # job.name is missing
    event["job"]["name"] = "main.double"
    assert EVENT.is_valid(event) or not FormatChecker().conforms("not-a-uuid", "uuid")
    bad_parent = {"parent": {"_producer": "x", "_schemaURL": "y", "run": {}, "job": {}}}
    assert not PARENT_FACET.is_valid(bad_parent)


# --- helpers ---------------------------------------------------------------------


def read_events(project: Path) -> list[dict[str, Any]]:
    path = project / EVENTS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["job"]["name"], e["eventType"]) for e in events]


def aether_run_id(project: Path) -> str:
    """The id of the project's last run, as `aether status --json` would give it."""
    import sqlite3

    with sqlite3.connect(project / ".aether" / "state.db") as db:
        (run_id,) = db.execute("select run_id from runs order by started_at desc").fetchone()
    return str(run_id)


def warnings_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if "OpenLineage" in line]


@dataclass
class Received:
    """What the local lineage server got: one (path, headers, body) per request."""

    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 201


@pytest.fixture
def lineage_server() -> Iterator[tuple[str, Received]]:
    """A real HTTP server on loopback (a thread of the test process), answering every POST
    with `received.status` and keeping what it got."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.requests.append((self.path, dict(self.headers.items()), body))
            self.send_response(received.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def http_lineage(url: str, *, credentials: str | None = None, timeout: float = 2) -> str:
    more = f", credentials: {credentials}" if credentials else ""
    return f"namespace: shop\ntransport: {{type: http, url: '{url}', timeout: {timeout}{more}}}\n"


# --- file transport ----------------------------------------------------------------


def test_a_run_appends_start_and_complete_for_each_node_and_its_parent_run(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "file_transport", catalog=CATALOG_WITH_COLUMNS, local={"lineage.yml": FILE_LINEAGE}
    )

    result = aether(project, "run")

    assert result.returncode == 0, result.stderr
    events = read_events(project)
    assert summary(events) == [
        ("main", "START"),
        ("main.double", "START"),
        ("main.double", "COMPLETE"),
        ("main.total", "START"),
        ("main.total", "COMPLETE"),
        ("main", "COMPLETE"),
    ]
    for event in events:
        assert_valid(event)
        assert event["job"]["namespace"] == "shop"
    run_id = aether_run_id(project)
    parent_id = events[0]["run"]["runId"]
    aether_runs = uuid.UUID("4c7a1a52-4c5e-4d8e-9a57-2f0f5a1e7d31")
    assert parent_id == str(uuid.uuid5(aether_runs, run_id))  # derived, not random
    assert events[1]["run"]["runId"] == str(uuid.uuid5(aether_runs, f"{run_id}/double"))
    for event in events[1:-1]:
        assert event["run"]["facets"]["parent"]["run"]["runId"] == parent_id
        assert event["run"]["facets"]["parent"]["job"] == {"namespace": "shop", "name": "main"}
    complete = events[2]
    assert [(d["namespace"], d["name"]) for d in complete["inputs"]] == [
        ("file", str((project / "data/01_raw/numbers.csv").resolve()))
    ]
    (doubled,) = complete["outputs"]
    assert doubled["name"] == str((project / "data/02_intermediate/doubled.csv").resolve())
    assert doubled["facets"]["schema"]["fields"] == [
        {"name": "n", "type": "int64", "ordinal_position": 1, "description": "The number twice"}
    ]
    # The next node reads it: its schema comes from what the state store recorded.
    (read,) = events[3]["inputs"]
    assert read["facets"]["schema"]["fields"][0]["name"] == "n"
    assert events[3]["outputs"][0]["facets"] == {}  # START: not written yet, no schema


def test_a_run_with_nothing_to_do_sends_nothing(make_project: MakeProject, aether: Aether) -> None:
    """Nodes that do not run get no event, and neither does a run that runs none."""
    project = make_project("noop", local={"lineage.yml": FILE_LINEAGE})
    assert aether(project, "run").returncode == 0
    before = read_events(project)

    again = aether(project, "run")

    assert again.returncode == 0, again.stderr
    assert read_events(project) == before
    (project / "data/01_raw/numbers.csv").write_text("n\n1\n2\n3\n4\n", encoding="utf-8")
    assert aether(project, "run", "--nodes", "double").returncode == 0
    assert summary(read_events(project)[len(before) :]) == [
        ("main", "START"),
        ("main.double", "START"),
        ("main.double", "COMPLETE"),
        ("main", "COMPLETE"),
    ]


def test_a_failing_node_sends_fail_and_the_run_is_a_failure(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "failing", pipeline=FAILING_PIPELINE, local={"lineage.yml": FILE_LINEAGE}
    )

    result = aether(project, "run")

    assert result.returncode == 1
    events = read_events(project)
    assert summary(events) == [
        ("main", "START"),
        ("main.double", "START"),
        ("main.double", "COMPLETE"),
        ("main.explode", "START"),
        ("main.explode", "FAIL"),
        ("main", "FAIL"),
    ]
    for event in events:
        assert_valid(event)
    assert events[4]["outputs"][0]["facets"] == {}  # nothing was written
    error = events[4]["run"]["facets"]["errorMessage"]
    assert "boom on purpose" in error["message"]
    assert error["programmingLanguage"] == "PYTHON"
    assert events[4]["job"]["facets"]["jobType"]["jobType"] == "NODE"
    assert events[5]["job"]["facets"]["jobType"]["jobType"] == "PIPELINE"


def test_an_untracked_parallel_run_sends_events_too(make_project: MakeProject) -> None:
    """Without a state store (no recorded schemas) and with worker processes: the events
    are sent by the parent process, from the run's own event stream."""
    from aether.run import run_pipeline

    project = make_project("untracked", local={"lineage.yml": FILE_LINEAGE})

    result = run_pipeline(project, track=False, runner="parallel", max_workers=2)

    assert result.succeeded
    assert sorted(summary(read_events(project))) == sorted(
        [("main", "START"), ("main", "COMPLETE")]
        + [(f"main.{n}", kind) for n in ("double", "total") for kind in ("START", "COMPLETE")]
    )
    for event in read_events(project):
        assert_valid(event)


# --- HTTP transport -----------------------------------------------------------------


def test_events_are_posted_to_the_marquez_endpoint_with_the_bearer_token(
    make_project: MakeProject, aether: Aether, lineage_server: tuple[str, Received]
) -> None:
    url, received = lineage_server
    project = make_project(
        "http_transport",
        local={
            "lineage.yml": http_lineage(url, credentials="marquez"),
            "credentials.yml": f"marquez: {{token: {TOKEN}}}\n",
        },
    )

    result = aether(project, "run")

    assert result.returncode == 0, result.stderr
    assert len(received.requests) == 6
    for path, headers, body in received.requests:
        assert path == "/api/v1/lineage"
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["Content-Type"] == "application/json"
        assert_valid(json.loads(body))
    assert warnings_of(result) == []
    assert TOKEN not in result.stdout + result.stderr


def test_a_missing_credentials_set_is_refused_before_any_node_runs(
    make_project: MakeProject, aether: Aether, lineage_server: tuple[str, Received]
) -> None:
    url, received = lineage_server
    project = make_project(
        "no_credentials", local={"lineage.yml": http_lineage(url, credentials="marquez")}
    )

    result = aether(project, "run")

    assert result.returncode == 2
    assert "conf/local/lineage.yml uses credentials 'marquez'" in result.stderr
    assert not (project / "data/02_intermediate/doubled.csv").exists()
    assert not (project / ".aether" / "state.db").exists()  # refused before any state
    assert received.requests == []
    validated = aether(project, "validate")  # and validate says so before any run
    assert validated.returncode == 2
    assert "conf/local/lineage.yml uses credentials 'marquez'" in validated.stderr


def test_an_endpoint_answering_500_is_retried_once_then_warned_about_and_the_run_succeeds(
    make_project: MakeProject, aether: Aether, lineage_server: tuple[str, Received]
) -> None:
    url, received = lineage_server
    received.status = 500
    project = make_project("http_500", local={"lineage.yml": http_lineage(url)})

    result = aether(project, "run")

    assert result.returncode == 0, result.stderr
    assert (project / "data/03_primary/total.csv").exists()
    assert len(received.requests) == 2  # the first event and its one retry; then no more
    assert received.requests[0][2] == received.requests[1][2]
    (warning,) = warnings_of(result)
    assert f"127.0.0.1:{url.rsplit(':', 1)[1]} answered HTTP 500, retried once" in warning


def test_an_endpoint_refusing_connections_never_fails_the_run(
    make_project: MakeProject, aether: Aether
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    project = make_project(
        "refused", local={"lineage.yml": http_lineage(f"http://127.0.0.1:{port}")}
    )

    result = aether(project, "run")

    assert result.returncode == 0, result.stderr
    (warning,) = warnings_of(result)
    assert f"127.0.0.1:{port} unreachable" in warning
    assert "retried once" in warning


def test_an_endpoint_that_never_answers_costs_two_timeouts_and_the_run_succeeds(
    make_project: MakeProject, aether: Aether
) -> None:
    """A black hole: connections are taken (by the kernel) but never answered."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        port = hole.getsockname()[1]
        project = make_project(
            "black_hole",
            local={"lineage.yml": http_lineage(f"http://127.0.0.1:{port}", timeout=0.5)},
        )

        result = aether(project, "run", timeout=60)

    assert result.returncode == 0, result.stderr
    (warning,) = warnings_of(result)
    assert f"127.0.0.1:{port} unreachable (no answer within 0.5s), retried once" in warning


def test_a_server_dribbling_its_answer_is_cut_off_at_the_timeout(
    make_project: MakeProject, aether: Aether
) -> None:
    """The socket timeout bounds each read, not the answer: a server sending its body a
    byte at a time (each well within the timeout) must not hold the run for hours."""
    stop = threading.Event()

    class Dribbler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not stop.is_set():
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                stop.wait(0.1)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Dribbler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        project = make_project(
            "dribble",
            local={"lineage.yml": http_lineage(f"http://127.0.0.1:{port}", timeout=0.5)},
        )
        started = time.monotonic()

        result = aether(project, "run", timeout=60)

        elapsed = time.monotonic() - started
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    (warning,) = warnings_of(result)
    assert f"127.0.0.1:{port} unreachable (no answer within 0.5s), retried once" in warning
    assert elapsed < 20  # two cut attempts and the run itself; unbounded before


def test_a_password_inline_in_the_url_is_sent_as_basic_auth_and_never_shown(
    make_project: MakeProject, aether: Aether, lineage_server: tuple[str, Received]
) -> None:
    url, received = lineage_server
    received.status = 503  # so the warning (which names the host) is printed too
    inline = url.replace("http://", f"http://bob:{PASSWORD}@")
    project = make_project("inline_password", local={"lineage.yml": http_lineage(inline)})

    result = aether(project, "--debug", "run")

    assert result.returncode == 0, result.stderr
    assert received.requests, "the server was reached"
    assert received.requests[0][1]["Authorization"].startswith("Basic ")
    assert len(warnings_of(result)) == 1
    assert PASSWORD not in result.stdout + result.stderr
    written = [p for folder in (".aether", "data") for p in (project / folder).rglob("*")]
    assert any(p.name == "state.db" for p in written)
    for path in written:
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


# --- bad lineage.yml ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "namespce: shop\ntransport: {type: file, path: x.jsonl}\n",
            "unknown key 'namespce'",
        ),
        ("namespace: shop\ntransport: {type: htp, url: http://x}\n", "unknown transport type"),
        ("namespace: shop\ntransport: {type: http}\n", "transport http needs `url:`"),
        ("namespace: shop\ntransport: {type: file, pth: x.jsonl}\n", "unknown key 'pth'"),
        ("transport: {type: file, path: x.jsonl}\n", "`namespace:`"),
        ("namespace: shop\ntransport: {path: x.jsonl}\n", "`transport:` needs `type:`"),
        (  # a port out of range raised a traceback from urllib when the run started
            "namespace: shop\ntransport: {type: http, url: 'http://h:99999'}\n",
            "transport http `url:` must be an http:// or https:// URL with a host",
        ),
    ],
)
def test_a_malformed_lineage_file_is_refused_before_any_node_runs(
    make_project: MakeProject, aether: Aether, text: str, expected: str
) -> None:
    project = make_project("bad_lineage", local={"lineage.yml": text})

    result = aether(project, "run")

    assert result.returncode == 2
    assert expected in result.stderr
    assert "conf/local/lineage.yml" in result.stderr
    assert not (project / "data/02_intermediate/doubled.csv").exists()


def test_did_you_mean_answers_a_misspelt_key_and_transport_type(
    make_project: MakeProject, aether: Aether
) -> None:
    key = make_project("typo_key", local={"lineage.yml": "namespce: shop\n"})
    kind = make_project(
        "typo_kind", local={"lineage.yml": "namespace: s\ntransport: {type: htp, url: x}\n"}
    )

    assert "did you mean 'namespace'?" in aether(key, "run").stderr
    assert "did you mean 'http'?" in aether(kind, "run").stderr


def test_validate_reports_a_malformed_lineage_file(
    make_project: MakeProject, aether: Aether
) -> None:
    """`aether validate` (so `make lint` and CI) catches it before any run does."""
    project = make_project(
        "validate_lineage", envs={"prod": {"lineage.yml": "namespace: s\ntransport: {type: htp}\n"}}
    )

    assert aether(project, "validate").returncode == 0  # local has no lineage.yml
    result = aether(project, "validate", "--env", "prod")

    assert result.returncode == 2
    assert "conf/prod/lineage.yml: unknown transport type 'htp'" in result.stderr


def test_a_secret_in_a_failed_nodes_error_is_masked_in_the_event(
    make_project: MakeProject, aether: Aether
) -> None:
    secret = "db-Pa55word-in-an-error"
    leaky = FAILING_PIPELINE.replace("mini.nodes.boom", "mini.leaky.boom")
    project = make_project(
        "leaky_error",
        pipeline=leaky,
        local={
            "lineage.yml": FILE_LINEAGE,
            "credentials.yml": f"warehouse: {{password: {secret}}}\n",
        },
        files={
            "src/mini/leaky.py": (
                f"def boom(rows):\n    raise ValueError('login refused for {secret}')\n"
            )
        },
    )

    assert aether(project, "run").returncode == 1

    failed = read_events(project)[4]
    assert failed["eventType"] == "FAIL"
    assert "login refused for ***" in failed["run"]["facets"]["errorMessage"]["message"]
    assert secret not in (project / EVENTS_FILE).read_text(encoding="utf-8")


def test_a_folder_as_the_file_transport_path_is_refused_before_any_node_runs(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "folder_path",
        local={"lineage.yml": "namespace: shop\ntransport: {type: file, path: data}\n"},
    )

    result = aether(project, "run")

    assert result.returncode == 2
    assert "conf/local/lineage.yml: transport file `path:` data is a folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project / "data/02_intermediate/doubled.csv").exists()
    validated = aether(project, "validate")  # said before any run too
    assert validated.returncode == 2 and "`path:` data is a folder" in validated.stderr


def test_a_url_without_a_secret_is_not_masked_as_one() -> None:
    """Only a URL holding a password or token is a secret: masking a plain one garbled
    every later message quoting its host (a lone `http://h` masked `http://host...`)."""
    from aether.lineage.config import parse_lineage
    from aether.support.redaction import redact

    plain = "http://lineage-plain.example:5000"
    parse_lineage({"namespace": "s", "transport": {"type": "http", "url": plain}}, "x.yml")
    assert redact(f"see {plain}/ui") == f"see {plain}/ui"
    inline = "http://bob:Inline-pa55-Word@lineage-secret.example"
    parse_lineage({"namespace": "s", "transport": {"type": "http", "url": inline}}, "x.yml")
    assert "Inline-pa55-Word" not in redact(f"see {inline} and Inline-pa55-Word")


@pytest.mark.parametrize("runner", ["sequential", "parallel"])
def test_a_run_stopped_by_a_signal_aborts_its_node_and_its_parent_run(
    make_project: MakeProject,
    aether_in_background: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
    runner: str,
) -> None:
    """A signal unwinds the run without `RunFinished`: the parent run must still end
    (ABORT), or a consumer shows it running for ever."""
    import signal

    started = tmp_path / f"{runner}.started"
    waiting = FAILING_PIPELINE.replace("mini.nodes.boom", "mini.slow.wait")
    project = make_project(
        f"interrupted_{runner}",
        pipeline=waiting,
        local={"lineage.yml": FILE_LINEAGE},
        files={
            "src/mini/slow.py": (
                "import os, pathlib, time\n"
                "def wait(rows):\n"
                "    pathlib.Path(os.environ['STARTED']).write_text('1')\n"
                "    time.sleep(60)\n"
                "    return rows\n"
            )
        },
    )
    process = aether_in_background(
        project, "run", "--runner", runner, env={"STARTED": str(started)}
    )
    deadline = time.monotonic() + 60
    while not started.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), process.communicate()
    time.sleep(0.2)  # the node is in its sleep

    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)

    assert process.returncode == 130
    events = read_events(project)
    assert summary(events)[-2:] == [("main.explode", "ABORT"), ("main", "ABORT")]
    for event in events:
        assert_valid(event)
