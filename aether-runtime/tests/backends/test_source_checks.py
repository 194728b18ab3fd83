"""Data-quality checks on a source (SPEC §5) work on a database table and an API like on a
file: new source data failing an error-level check holds back every node that reads it, the
last good outputs stay, and the source is shown failed with the check's message."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CHECKS = "  checks:\n    - {check: not_null, columns: [n]}\n"


def _sqlite_source(make_project, tmp_path: Path) -> tuple[Path, Path]:
    database = tmp_path / "source.db"
    with sqlite3.connect(database) as db:
        db.execute("create table numbers (n int)")
        db.execute("insert into numbers values (1), (2), (3)")

    def catalog(text: str) -> str:
        source = "numbers:\n  type: SQLTableDataSet\n  table_name: numbers\n  credentials: db\n"
        return source + CHECKS + "doubled:" + text.split("doubled:", 1)[1]

    credentials = f"db:\n  con: sqlite:///{database}\n"
    return make_project(catalog=catalog, local={"credentials.yml": credentials}), database


def _status(aether, project: Path) -> dict[str, dict]:
    shown = json.loads(aether(project, "status", "--json").stdout)
    return {a["name"]: a for a in shown["assets"]}


def test_a_failing_check_on_a_sql_source_holds_back_its_readers(
    make_project, aether, tmp_path: Path
) -> None:
    project, database = _sqlite_source(make_project, tmp_path)
    assert aether(project, "run").returncode == 0
    total = (project / "data/03_primary/total.csv").read_text()
    with sqlite3.connect(database) as db:
        db.execute("insert into numbers values (null)")

    result = aether(project, "run")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "double  skipped" in result.stdout and "not_null" in result.stdout
    assert (project / "data/03_primary/total.csv").read_text() == total
    numbers = _status(aether, project)["numbers"]
    assert numbers["status"] == "failed" and "not_null" in numbers["reason"]


def test_a_failing_check_on_an_api_source_holds_back_its_readers(
    make_project, aether, httpserver: HTTPServer
) -> None:
    body = {"data": [{"n": 1}, {"n": 2}]}

    def answer(request: Request) -> Response:
        etag = f'"{len(body["data"])}"'
        return Response(json.dumps(body), headers={"ETag": etag}, content_type="application/json")

    httpserver.expect_request("/numbers").respond_with_handler(answer)

    def catalog(text: str) -> str:
        url = httpserver.url_for("/numbers")
        source = f"numbers:\n  type: APIDataSet\n  url: {url}\n  load_args: {{records: data}}\n"
        return source + CHECKS + "doubled:" + text.split("doubled:", 1)[1]

    project = make_project(catalog=catalog)
    assert aether(project, "run").returncode == 0
    body["data"].append({"n": None})  # a new ETag, and a null

    result = aether(project, "run")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "double  skipped" in result.stdout
    assert (project / "data/03_primary/total.csv").read_text().splitlines()[-1] == "6"
    assert _status(aether, project)["numbers"]["status"] == "failed"
