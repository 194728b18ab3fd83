"""Secrets from secret managers (``${secret:env:...}``, ``${secret:file:...}`` in
credentials.yml) are read at run time and never shown or kept (issue 9, item 3).

The project is the leaky one of ``test_secrets.py``: a careless dataset hands its credential
set to a node as a "connection", the node logs the password and raises with the whole
connection in its message. Here the set holds no value at all, only references: the
password comes from the environment, the token from a file under the project.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    assert_no_secret,
    assert_no_traceback,
    assert_refused,
    assert_unchanged,
    snapshot,
)
from .test_secrets import CATALOG, LEAKY, PIPELINE

PASSWORD = "env-Pa55word-7c6b5a"  # in the environment
TOKEN = "file-Token-0a9b8c7d"  # in secrets/warehouse_token
HOST = "db.internal.example"
ENV = {"SHOP_DB_PASSWORD": PASSWORD}

CREDENTIALS = f"""\
warehouse:
  host: {HOST}
  port: 5432
  password: ${{secret:env:SHOP_DB_PASSWORD}}
  token: ${{secret:file:secrets/warehouse_token}}
"""

LOGGING = """\
version: 1
disable_existing_loggers: false
handlers:
  file: {class: logging.FileHandler, filename: logs/aether.log, level: INFO}
root: {level: INFO, handlers: [file]}
"""


@pytest.fixture
def managed(make_project: Callable[..., Path]) -> Callable[..., Path]:
    """``managed(scenario, credentials=..., **files)``: the project above."""

    def make(scenario: str, credentials: str = CREDENTIALS, **files: str) -> Path:
        return make_project(
            scenario,
            catalog=CATALOG,
            pipeline=PIPELINE,
            local={"credentials.yml": credentials},
            files={
                "src/mini/leaky.py": LEAKY,
                "secrets/warehouse_token": f"{TOKEN}\n",
                "conf/base/logging.yml": LOGGING,
                "logs/.keep": "",
                **files,
            },
        )

    return make


def _no_secret(project: Path, *results: Any) -> None:
    assert_no_secret(PASSWORD, project, *results)
    assert_no_secret(TOKEN, project, *results)


def _state_texts(project: Path) -> list[str]:
    with sqlite3.connect(project / ".aether" / "state.db") as db:
        return [
            str(row)
            for table in ("attempts", "heads")
            for row in db.execute(f"SELECT * FROM {table}").fetchall()
        ]


def test_secrets_read_from_env_and_file_reach_the_node_and_are_never_kept(managed, aether) -> None:
    """A run reads both secrets (the node gets them), then the failure it records, the
    log file, `status --json` and state.db show them masked; the host stays readable."""
    project = managed("env_and_file")
    good = aether(project, "run", env={**ENV, "WAREHOUSE_UP": "1"})
    assert good.returncode == 0, good.stdout + good.stderr

    failed = aether(project, "run", "--force", env=ENV)
    status = aether(project, "status", "--json", env=ENV)

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert_no_traceback(failed)
    assert "login refused" in failed.stdout and HOST in failed.stdout
    assert "'password': '***', 'token': '***'" in failed.stdout  # both were read, then masked
    assert "connecting with password ***" in (project / "logs" / "aether.log").read_text()
    loaded = next(a for a in json.loads(status.stdout)["assets"] if a["name"] == "loaded")
    assert loaded["status"] == "failed" and "***" in loaded["reason"]
    assert any("login refused" in text for text in _state_texts(project))
    _no_secret(project, good, failed, status)


def test_secrets_are_masked_in_parallel_workers(managed, aether) -> None:
    """Under --runner parallel the workers get the secrets already read, and mask them."""
    project = managed("parallel")

    result = aether(project, "run", "--runner", "parallel", env=ENV)

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "'password': '***', 'token': '***'" in result.stdout
    _no_secret(project, result)


@pytest.mark.parametrize(
    ("scenario", "credentials", "env", "culprits"),
    [
        ("missing_env", CREDENTIALS, {}, ("'SHOP_DB_PASSWORD'", "'env'", "'warehouse'")),
        (
            "missing_file",
            CREDENTIALS.replace("secrets/warehouse_token", "secrets/gone"),
            ENV,
            ("'secrets/gone'", "'file'", "'warehouse'"),
        ),
        (
            "unknown_provider",
            CREDENTIALS.replace("secret:env:", "secret:vualt:"),
            ENV,
            ("'vualt'", "aether.secrets", "env, file"),
        ),
        (
            "malformed",
            CREDENTIALS.replace("${secret:env:SHOP_DB_PASSWORD}", "${secret:env}"),
            ENV,
            ("Malformed secret reference", "${secret:env}", "'warehouse'"),
        ),
    ],
)
def test_a_secret_that_cannot_be_read_stops_the_run_before_any_node(
    managed, aether, scenario: str, credentials: str, env: dict[str, str], culprits: tuple[str]
) -> None:
    """A secret that is missing, of an unknown provider or malformed: exit 2, one line
    naming the provider, the secret and the set (never a value), nothing run or written."""
    project = managed(scenario, credentials)
    before = snapshot(project)

    result = aether(project, "run", env=env)

    assert_refused(result, project, before, *culprits)
    _no_secret(project, result)


def test_validate_lists_every_secret_problem_without_showing_a_value(managed, aether) -> None:
    """`validate` reports an unknown provider and a malformed reference in any set, and a
    secret of a used set that cannot be read; it prints no secret."""
    credentials = CREDENTIALS + "unused:\n  key: ${secret:aws}\n  other: ${secret:vualt:k}\n"
    project = managed("validate", credentials.replace("secrets/warehouse_token", "secrets/gone"))
    before = snapshot(project)

    result = aether(project, "validate", env=ENV)

    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, result.stderr
    assert any("Malformed secret reference '${secret:aws}'" in line for line in errors)
    assert any("'secrets/gone' not found by provider 'file'" in line for line in errors)
    assert_unchanged(before, snapshot(project))
    _no_secret(project, result)


def test_a_secret_reference_outside_credentials_yml_is_refused(managed, aether) -> None:
    """`${secret:...}` in catalog.yml: exit 2, file and line, told to move it."""
    catalog = CATALOG + "api:\n  type: PandasCsvDataSet\n  filepath: ${secret:env:X}\n"
    project = managed("outside_credentials", **{"conf/base/catalog.yml": catalog})
    before = snapshot(project)

    result = aether(project, "run", env=ENV)

    line = assert_refused(result, project, before, "conf/base/catalog.yml:", "credentials.yml")
    assert "may only be used in credentials.yml" in line
