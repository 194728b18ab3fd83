"""`aether status` and `aether run --dry-run` never disagree (SPEC §5), for every dataset type.

Each case builds a project `numbers -> copy -> out`, runs it, then changes the data behind
Aether's back (the output, or the source for types that only read) and asks both. Where
status can observe the change cheaply it must say stale for the reason the plan gives;
where it cannot, its fresh verdict must carry the "as last observed" flag in `--json` and
in words; never a plain `fresh` that the dry run then contradicts.
"""

from __future__ import annotations

import json
import pickle
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug import Request, Response

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

NODES = """\
import pandas as pd


def copy(rows):
    return pd.DataFrame({"n": [int(n) for n in rows["n"]]})
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: copy
        transformation: mini.agree.copy
        inputs: {rows: numbers}
        outputs: out
default: main
"""

SOURCE_CSV = "numbers:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/numbers.csv\n"
OUT_CSV = "out:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/out.csv\n"

# Custom datasets as a user writes them: the documented minimum (no signature(), no
# content_hash()), and the same with a cheap signature().
CUSTOM = """\
import os

import pandas as pd

from aether.datasets import AbstractDataSet


class Lines(AbstractDataSet):
    def __init__(self, filepath):
        self._filepath = filepath

    def _load(self):
        return pd.read_csv(self._filepath)

    def _save(self, data):
        os.makedirs(os.path.dirname(self._filepath), exist_ok=True)
        data.to_csv(self._filepath, index=False)

    def _exists(self):
        return os.path.exists(self._filepath)

    def _describe(self):
        return {"filepath": self._filepath}


class SignedLines(Lines):
    def signature(self):
        if not os.path.exists(self._filepath):
            return None
        found = os.stat(self._filepath)
        return {"size": found.st_size, "mtime_ns": found.st_mtime_ns}
"""


@dataclass
class Case:
    """One dataset type: its catalog, how to change its data behind Aether's back, and what
    status can tell of that change (`stale`: it sees it; `as_last_observed`: it says it
    cannot tell cheaply; `blind`: neither status nor run can see it)."""

    catalog: str
    edit: Callable[[], None]
    expect: str
    local: dict[str, str] | None = None


def _sql(url: str, *statements: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def _table_out(con: str) -> tuple[str, dict[str, str]]:
    catalog = SOURCE_CSV + "out:\n  type: SQLTableDataSet\n  table_name: out\n  credentials: db\n"
    return catalog, {"credentials.yml": f"db: {{con: '{con}'}}\n"}


def _file_out(kind: str, root: Path) -> Case:
    path = root / "data" / "02_intermediate" / f"out.{kind}"
    edited = pd.DataFrame({"n": [7, 8]})
    writers: dict[str, tuple[str, Callable[[], None]]] = {
        "csv": ("PandasCsvDataSet", lambda: path.write_text("n\n7\n8\n")),
        "parquet": ("PandasParquetDataSet", lambda: edited.to_parquet(path)),
        "json": ("PandasJsonDataSet", lambda: edited.to_json(path)),
        "pickle": ("PickleDataSet", lambda: path.write_bytes(pickle.dumps(edited))),
    }
    kind_name, write = writers[kind]
    catalog = SOURCE_CSV + f"out:\n  type: {kind_name}\n  filepath: {path.relative_to(root)}\n"
    return Case(catalog, write, "stale")


def _no_etag_api(server: HTTPServer) -> dict[str, Any]:
    """An API that sends no validators: its body, changed by the test."""
    state: dict[str, Any] = {"body": {"data": [{"n": 1}, {"n": 2}]}}

    def answer(request: Request) -> Response:
        body = "" if request.method == "HEAD" else json.dumps(state["body"])
        return Response(body, content_type="application/json")

    server.expect_request("/numbers").respond_with_handler(answer)
    return state


@pytest.fixture
def case(request: pytest.FixtureRequest, make_project: Callable[..., Path], tmp_path: Path) -> Any:
    """(project, case) for the dataset type named by the parameter."""
    kind: str = request.param
    root = tmp_path / "project"
    files = {"src/mini/agree.py": NODES, "src/mini/custom.py": CUSTOM}
    if kind in ("csv", "parquet", "json", "pickle"):
        made = _file_out(kind, root)
    elif kind in ("sqlite_table", "duckdb_table"):
        engine = kind.removesuffix("_table")
        url = f"{engine}:///{tmp_path / f'target.{engine}'}"
        catalog, local = _table_out(url)
        made = Case(catalog, lambda: _sql(url, "UPDATE out SET n = 9"), "as_last_observed", local)
    elif kind == "postgresql_table":
        url = request.getfixturevalue("postgres_url")
        catalog, local = _table_out(url)
        made = Case(catalog, lambda: _sql(url, "UPDATE out SET n = 9"), "stale", local)
    elif kind == "sqlite_query_source":
        db = tmp_path / "source.db"
        _sql(f"sqlite:///{db}", "CREATE TABLE numbers (n int)", "INSERT INTO numbers VALUES (1)")
        catalog = (
            "numbers:\n  type: SQLQueryDataSet\n  sql: select n from numbers\n"
            "  credentials: db\n" + OUT_CSV
        )
        local = {"credentials.yml": f"db: {{con: 'sqlite:///{db}'}}\n"}
        edit = lambda: _sql(f"sqlite:///{db}", "UPDATE numbers SET n = 5")  # noqa: E731
        made = Case(catalog, edit, "as_last_observed", local)
    elif kind == "api_source_without_etag":
        server: HTTPServer = request.getfixturevalue("httpserver")
        api = _no_etag_api(server)
        url = server.url_for("/numbers")
        catalog = (
            f"numbers:\n  type: APIDataSet\n  url: {url}\n  load_args: {{records: data}}\n"
            + OUT_CSV
        )
        made = Case(catalog, lambda: api.update(body={"data": [{"n": 4}]}), "as_last_observed")
    elif kind == "s3_object":
        bucket = request.getfixturevalue("s3_bucket")
        creds = request.getfixturevalue("s3_credentials")
        endpoint = request.getfixturevalue("moto_endpoint")
        catalog = SOURCE_CSV + (
            f"out:\n  type: PandasCsvDataSet\n  filepath: s3://{bucket}/out.csv\n"
            "  credentials: lake\n"
        )
        local = {"credentials.yml": "lake: " + json.dumps(creds) + "\n"}

        def put() -> None:
            import boto3

            client = boto3.client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=creds["key"],
                aws_secret_access_key=creds["secret"],
                region_name="us-east-1",
            )
            client.put_object(Bucket=bucket, Key="out.csv", Body=b"n\n7\n")

        made = Case(catalog, put, "stale", local)
    elif kind == "delta_table":
        path = root / "data" / "02_intermediate" / "out_delta"
        catalog = SOURCE_CSV + f"out:\n  type: DeltaTableDataSet\n  filepath: {path}\n"

        def overwrite() -> None:
            from deltalake import write_deltalake

            write_deltalake(str(path), pd.DataFrame({"n": [7]}), mode="overwrite")

        made = Case(catalog, overwrite, "stale")
    elif kind in ("custom_signed", "custom_unsigned"):
        path = root / "data" / "02_intermediate" / "out.txt"
        cls = "SignedLines" if kind == "custom_signed" else "Lines"
        catalog = SOURCE_CSV + f"out:\n  type: mini.custom.{cls}\n  filepath: {path}\n"

        def rewrite() -> None:
            path.write_text("n\n7\n8\n9\n")

        made = Case(catalog, rewrite, "stale" if kind == "custom_signed" else "blind")
    else:  # pragma: no cover - a typo in the parameter list
        raise AssertionError(kind)
    project = make_project(
        "project", catalog=made.catalog, pipeline=PIPELINE, local=made.local, files=files
    )
    return project, made


def _status(aether: Callable[..., Any], project: Path) -> dict[str, dict[str, Any]]:
    result = aether(project, "status", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assets = json.loads(result.stdout)["assets"]
    # A reader of an older `--json` (no "observed" key) takes every verdict as observed now.
    return {asset["name"]: {"observed": "now", **asset} for asset in assets}


def _planned(aether: Callable[..., Any], project: Path) -> tuple[bool, str]:
    result = aether(project, "run", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"(\d+) to run", result.stdout)
    return (found is not None and int(found.group(1)) > 0), result.stdout


TYPES = [
    "csv",
    "parquet",
    "json",
    "pickle",
    "sqlite_table",
    "duckdb_table",
    "postgresql_table",
    "sqlite_query_source",
    "api_source_without_etag",
    "s3_object",
    "delta_table",
    "custom_signed",
    "custom_unsigned",
]


@pytest.mark.parametrize("case", TYPES, indirect=True)
def test_status_agrees_with_run_after_an_edit_behind_aethers_back(
    case: Any, aether: Callable[..., Any]
) -> None:
    project, made = case
    first = aether(project, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    before = _status(aether, project)["out"]
    assert before["status"] == "fresh", before

    made.edit()

    out = _status(aether, project)["out"]
    planned, plan = _planned(aether, project)
    # Never a plain fresh that the run then contradicts, nor a stale the run ignores.
    plain_fresh = out["status"] == "fresh" and out["observed"] == "now"
    assert not (plain_fresh and planned), (out, plan)
    assert (out["status"] == "stale") == (planned and out["observed"] == "now"), (out, plan)
    if made.expect == "stale":
        assert planned and out["status"] == "stale", (out, plan)
        assert out["reason"] in plan, (out, plan)  # the same reason, in both
    elif made.expect == "as_last_observed":
        assert planned, plan
        assert out["status"] == "fresh" and out["observed"] == "as_last_observed", out
        assert out["verdict"] == "fresh (as last observed: cannot tell cheaply)", out
        assert "aether run" in out["observed_note"], out
    else:  # blind: neither can see it, and both say so alike
        assert not planned and plain_fresh, (out, plan)
    # Even right after the run, a fresh that could not be checked said so.
    expected = "as_last_observed" if made.expect == "as_last_observed" else "now"
    assert before["observed"] == expected, before


def test_the_status_table_qualifies_a_fresh_it_cannot_check(
    make_project: Callable[..., Path], aether: Callable[..., Any], tmp_path: Path
) -> None:
    """In words too: the SQLite table edited by hand of issue 15, and what it feeds."""
    db = tmp_path / "target.db"
    catalog, local = _table_out(f"sqlite:///{db}")
    catalog += "total:\n  type: PandasCsvDataSet\n  filepath: data/03_primary/total.csv\n"
    pipeline = PIPELINE.replace(
        "default: main",
        "",
    ).rstrip() + (
        "\n      - name: again\n        transformation: mini.agree.copy\n"
        "        inputs: {rows: out}\n        outputs: total\ndefault: main\n"
    )
    project = make_project(
        "table",
        catalog=catalog,
        pipeline=pipeline,
        local=local,
        files={"src/mini/agree.py": NODES},
    )
    assert aether(project, "run").returncode == 0
    sqlite3.connect(db).close()

    statuses = _status(aether, project)
    assert statuses["total"]["observed"] == "as_last_observed", statuses["total"]
    assert statuses["total"]["observed_note"].startswith("out: "), statuses["total"]
    assert statuses["numbers"]["observed"] == "now"
    shown = aether(project, "status")
    assert shown.returncode == 0, shown.stderr
    out_row = next(line for line in shown.stdout.splitlines() if " out " in f" {line} ")
    assert "fresh (as last observed: cannot tell cheaply)" in out_row, shown.stdout
    assert "does not read all of it" in shown.stdout
