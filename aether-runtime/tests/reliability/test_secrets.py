"""Secrets are redacted everywhere by value (issue 7, item 5).

The project below keeps a password in ``conf/local/credentials.yml`` and a token in an
environment variable that credentials.yml references with ``${env:...}``. A careless custom
dataset hands both to its node as a "connection" and returns them from ``_describe()``; the
node logs the password and raises with the whole connection in its message. Every case
drives the real CLI and looks for both values in every output and every file Aether keeps.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from .conftest import assert_no_secret, assert_no_traceback, assert_unchanged, error_line, snapshot

PASSWORD = "s3cr3t-Hunter2-XYZ"  # literal in credentials.yml
TOKEN = "tok-Env-9f8e7d6c5b"  # in the environment, referenced by ${env:WAREHOUSE_TOKEN}
HOST = "db.internal.example"  # public: must still show
ENV = {"WAREHOUSE_TOKEN": TOKEN}

CREDENTIALS = f"""\
warehouse:
  host: {HOST}
  port: 5432
  password: {PASSWORD}
  token: ${{env:WAREHOUSE_TOKEN}}
"""

LEAKY = '''\
"""A warehouse dataset and node written without a thought for secrets."""

import logging
import os

import pandas as pd

from aether import AbstractDataSet


class WarehouseDataSet(AbstractDataSet):
    def __init__(self, table, credentials=None):
        self.table = table
        self.credentials = credentials or {}

    def _load(self):
        return dict(self.credentials)  # the "connection" the node receives

    def _save(self, data):
        raise NotImplementedError

    def _exists(self):
        return True

    def _describe(self):
        return {"table": self.table, "connection": dict(self.credentials)}


def connect(conn):
    logging.getLogger("mini.leaky").warning("connecting with password %s", conn["password"])
    if os.environ.get("WAREHOUSE_UP"):
        return pd.DataFrame({"n": [1]})
    raise ConnectionError(f"login refused for {conn}")


def token_check(data):
    return False, f"rows rejected by the API (token {os.environ['WAREHOUSE_TOKEN']})"
'''

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
warehouse:
  type: mini.leaky.WarehouseDataSet
  table: sales
  credentials: warehouse
loaded:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/loaded.csv
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
  checks: [{check: mini.leaky.token_check}]
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: connect
        transformation: mini.leaky.connect
        inputs: {conn: warehouse}
        outputs: loaded
  checked:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
default: main
"""


@pytest.fixture
def leaky(make_project: Callable[..., Path]) -> Callable[..., Path]:
    """``leaky(scenario, **files)``: the project above, plus any extra files."""

    def make(scenario: str, **files: str) -> Path:
        return make_project(
            scenario,
            catalog=CATALOG,
            pipeline=PIPELINE,
            local={"credentials.yml": CREDENTIALS},
            files={"src/mini/leaky.py": LEAKY, **files},
        )

    return make


def _no_secret(project: Path, *results: Any) -> None:
    assert_no_secret(PASSWORD, project, *results)
    assert_no_secret(TOKEN, project, *results)


def _data(project: Path) -> dict[str, str]:
    """The project's files, minus Aether's own records (state, logs, reports)."""
    return {
        name: digest
        for name, digest in snapshot(project, include_state=False).items()
        if not name.startswith(("logs/", "data/08_reporting/", "viz."))
    }


def _failed_run(project: Path, aether: Callable[..., Any]) -> Any:
    """Run the leaky node: it fails (exit 1) and its output is neither written nor lost."""
    before = _data(project)
    result = aether(project, "run", "--force", env=ENV)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_unchanged(before, _data(project))
    return result


def _materialized_then_failed(project: Path, aether: Callable[..., Any]) -> Any:
    """A good run, then a failed one: the asset is `failed` and its error is recorded."""
    good = aether(project, "run", env={**ENV, "WAREHOUSE_UP": "1"})
    assert good.returncode == 0, good.stdout + good.stderr
    return _failed_run(project, aether)


def test_a_node_exception_quoting_credentials_is_masked(leaky, aether) -> None:
    """A node's own exception text never shows a credential value, on screen or in state."""
    project = leaky("node_error")

    result = _failed_run(project, aether)

    assert_no_traceback(result)
    assert "login refused" in result.stdout and "***" in result.stdout
    assert HOST in result.stdout  # public keys stay readable
    _no_secret(project, result)


def test_a_node_exception_in_a_parallel_worker_is_masked(leaky, aether) -> None:
    """Under --runner parallel, the worker registers the credentials and masks them too."""
    project = leaky("node_error_parallel")
    before = _data(project)

    result = aether(project, "run", "--runner", "parallel", env=ENV)

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "login refused" in result.stdout and "***" in result.stdout
    assert_unchanged(before, _data(project))
    _no_secret(project, result)


def test_the_debug_traceback_of_a_node_is_masked(leaky, aether) -> None:
    """--debug shows the node's traceback, with every credential value masked."""
    project = leaky("debug_traceback")
    before = _data(project)

    result = aether(project, "--debug", "run", env=ENV)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "ConnectionError: login refused" in result.stderr
    assert_unchanged(before, _data(project))
    _no_secret(project, result)


def test_the_state_database_records_the_error_masked(leaky, aether) -> None:
    """state.db keeps the failed attempt's error, masked: its bytes hold no secret."""
    project = leaky("state_bytes")

    result = _materialized_then_failed(project, aether)

    with sqlite3.connect(project / ".aether" / "state.db") as db:
        texts = [str(row) for table in ("attempts", "heads") for row in _rows(db, table)]
    assert any("login refused" in text and "***" in text for text in texts), texts
    _no_secret(project, result)


def test_status_json_shows_the_failure_masked(leaky, aether) -> None:
    """`status --json` gives the failure's reason, masked."""
    project = leaky("status_json")
    run = _materialized_then_failed(project, aether)
    before = _data(project)  # status records what it observes in state.db

    result = aether(project, "status", "--json", env=ENV)

    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    loaded = next(a for a in json.loads(result.stdout)["assets"] if a["name"] == "loaded")
    assert loaded["status"] == "failed" and "***" in loaded["reason"]
    assert_unchanged(before, _data(project))
    _no_secret(project, run, result)


def test_a_custom_describe_returning_credentials_is_masked(leaky, aether) -> None:
    """`catalog describe` and `catalog list` mask what a custom `_describe()` returns."""
    project = leaky("custom_describe")
    before = snapshot(project)

    table = aether(project, "catalog", "describe", "warehouse", env=ENV)
    as_json = aether(project, "catalog", "describe", "warehouse", "--json", env=ENV)
    listing = aether(project, "catalog", "list", "--json", env=ENV)

    for result in (table, as_json, listing):
        assert result.returncode == 0, result.stderr
        assert_no_traceback(result)
    connection = json.loads(as_json.stdout)["connection"]
    assert connection == {"host": HOST, "port": 5432, "password": "***", "token": "***"}
    assert HOST in table.stdout
    assert_unchanged(before, snapshot(project))
    _no_secret(project, table, as_json, listing)


def test_a_failing_check_message_quoting_a_secret_is_masked(leaky, aether) -> None:
    """A check's message is masked on screen and in state (the failed check blocks publish)."""
    project = leaky("check_message")
    before = _data(project)

    result = aether(project, "run", "--pipeline", "checked", env=ENV)
    status = aether(project, "status", "--json", "--pipeline", "checked", env=ENV)

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "rows rejected by the API (token ***)" in result.stdout
    with sqlite3.connect(project / ".aether" / "state.db") as db:
        stored = [str(row) for row in _rows(db, "check_results")]
    assert any("(token ***)" in row for row in stored), stored
    assert_unchanged(before, _data(project))
    _no_secret(project, result, status)


def test_an_alert_webhook_payload_is_masked(leaky, aether, httpserver: HTTPServer) -> None:
    """The alert webhook receives the failure's reason masked."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    url = httpserver.url_for("/hook")
    project = leaky("alert_payload", **{"conf/base/alerts.yml": f"webhook: {{url: '{url}'}}\n"})

    result = _materialized_then_failed(project, aether)

    assert len(httpserver.log) == 1, [r[0].get_data(as_text=True) for r in httpserver.log]
    body = httpserver.log[0][0].get_data(as_text=True)
    alerts = json.loads(body)["alerts"]
    assert alerts[0]["asset"] == "loaded" and "***" in alerts[0]["reason"]
    assert PASSWORD not in body and TOKEN not in body
    _no_secret(project, result)


def test_viz_in_every_format_is_masked(leaky, aether) -> None:
    """`viz` HTML, JSON and Mermaid carry the failure's reason masked."""
    project = leaky("viz_formats")
    run = _materialized_then_failed(project, aether)

    page = aether(project, "viz", env=ENV)
    data = aether(project, "viz", "--format", "json", "--output", "viz.json", env=ENV)
    mermaid = aether(project, "viz", "--format", "mermaid", env=ENV)

    for result in (page, data, mermaid):
        assert result.returncode == 0, result.stderr
        assert_no_traceback(result)
    dag = json.loads((project / "viz.json").read_text())
    loaded = next(n for n in dag["nodes"] if n["id"] == "dataset:loaded")
    assert "***" in loaded["reason"]
    assert (project / "data/08_reporting/dag.html").is_file()
    _no_secret(project, run, page, data, mermaid)


def test_secrets_recorded_by_an_older_aether_are_masked_when_shown(leaky, aether) -> None:
    """A state.db written before masking existed (a secret in clear in a head's error) is
    still masked by `status --json` and every `viz` format: the sinks mask on their own."""
    project = leaky("old_state")
    _materialized_then_failed(project, aether)
    with sqlite3.connect(project / ".aether" / "state.db") as db:
        db.execute("UPDATE heads SET error = ? WHERE asset = 'loaded'", (f"old {PASSWORD}",))
    before = _data(project)

    status = aether(project, "status", "--json", env=ENV)
    page = aether(project, "viz", env=ENV)
    data = aether(project, "viz", "--format", "json", "--output", "viz.json", env=ENV)
    mermaid = aether(project, "viz", "--format", "mermaid", env=ENV)

    for result in (status, page, data, mermaid):
        assert result.returncode == 0, result.stderr
        assert_no_traceback(result)
        assert PASSWORD not in result.stdout + result.stderr
    assert "old ***" in status.stdout and "old ***" in (project / "viz.json").read_text()
    for written in (project / "viz.json", project / "data/08_reporting/dag.html"):
        assert PASSWORD not in written.read_text()
    assert_unchanged(before, _data(project))


def test_logs_written_by_a_node_are_masked(leaky, aether) -> None:
    """A log file configured in logging.yml never receives a secret, even from user code."""
    logging_yml = """\
version: 1
disable_existing_loggers: false
handlers:
  file: {class: logging.FileHandler, filename: logs/aether.log, level: INFO}
root: {level: INFO, handlers: [file]}
"""
    project = leaky("log_file", **{"conf/base/logging.yml": logging_yml, "logs/.keep": ""})

    result = _failed_run(project, aether)

    logged = (project / "logs" / "aether.log").read_text()
    assert "connecting with password ***" in logged
    _no_secret(project, result)


def test_validate_warns_about_a_url_secret_in_conf_base(leaky, aether) -> None:
    """`validate` warns (file:line, exit code unchanged) about a URL secret written in
    conf/base, without printing it, and the parsed-YAML cache does not keep it."""
    secret = "api-Token-5544332211"
    parameters = f"factor: 2\nexport_url: https://api.example.org/v1?token={secret}\n"
    project = leaky("validate_url_secret", **{"conf/base/parameters.yml": parameters})
    before = snapshot(project)

    result = aether(project, "validate", env=ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "conf/base/parameters.yml:2" in warnings[0]
    assert " — " in warnings[0]
    assert_unchanged(before, snapshot(project))
    assert_no_secret(secret, project, result)
    _no_secret(project, result)


def test_the_yaml_cache_never_keeps_a_url_password(leaky, aether) -> None:
    """A catalog with a URL password in clear is parsed but never cached under .aether/."""
    secret = "ftp-Pass-778899"
    catalog = CATALOG + f"archive:\n  type: PandasCsvDataSet\n  filepath: ftp://bob:{secret}@h/x\n"
    project = leaky("yaml_cache", **{"conf/base/catalog.yml": catalog})
    before = snapshot(project)

    result = aether(project, "catalog", "list", env=ENV)

    assert result.returncode == 0, result.stderr
    assert "ftp://bob:***@h/x" in result.stdout
    assert any((project / ".aether" / "cache").glob("yaml-*.json"))  # other files are cached
    assert_unchanged(before, snapshot(project))
    assert_no_secret(secret, project, result)


def test_a_missing_credential_error_names_the_key_but_no_value(leaky, aether) -> None:
    """Bad input that involves credentials: one error line, exit 2, no secret in it."""
    catalog = CATALOG.replace("credentials: warehouse", "credentials: warehous")
    project = leaky("missing_credential", **{"conf/base/catalog.yml": catalog})
    before = snapshot(project)

    result = aether(project, "run", env=ENV)

    line = error_line(result)
    assert "'warehous'" in line and "warehouse" in line  # lists the defined keys
    assert_unchanged(before, snapshot(project))
    _no_secret(project, result)


def _rows(db: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    return db.execute(f"SELECT * FROM {table}").fetchall()
