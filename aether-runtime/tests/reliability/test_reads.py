"""Inputs that change while a node reads them: what a node built from data that changed
between the run's look and its read is never called fresh, even once the data is put back."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from .conftest import assert_no_traceback

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]

MEDDLING_NODES = '''\
import pandas as pd


def meddle(rows):
    """Stands for another process rewriting the raw file while the run goes on."""
    with open("data/01_raw/numbers.csv", "w") as handle:
        handle.write("n\\n10\\n20\\n30\\n")
    return rows


def double_after(rows, factor, after):
    return rows.assign(n=rows["n"] * factor)
'''

MEDDLING_PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: meddle
        transformation: mini.meddling.meddle
        inputs: {rows: other}
        outputs: meddled
      - name: double
        transformation: mini.meddling.double_after
        inputs: {rows: numbers, factor: params:factor, after: meddled}
        outputs: doubled
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: doubled}
        outputs: total
default: main
"""


def verdicts(aether: Aether, project: Path) -> dict[str, str]:
    result = aether(project, "status", "--json")
    assert_no_traceback(result)
    return {a["name"]: a["status"] for a in json.loads(result.stdout)["assets"]}


def test_a_source_changed_between_the_look_and_the_read_and_put_back_is_not_fresh(
    make_project: MakeProject, aether: Aether
) -> None:
    """The raw file changes after the run looked at it and before the node read it (another
    node stands for the other process); then it is put back. The output built from the
    transient data is stale in `status`, and the next run rebuilds it from the data put back
    (it used to be called fresh for ever: recorded as built from the version first seen)."""
    project = make_project(
        catalog=lambda text: (
            text
            + "other:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/other.csv\n"
            + "meddled:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/meddled.csv\n"
        ),
        pipeline=MEDDLING_PIPELINE,
        files={"src/mini/meddling.py": MEDDLING_NODES, "data/01_raw/other.csv": "n\n0\n"},
    )
    raw = project / "data/01_raw/numbers.csv"
    original = raw.read_text()

    first = aether(project, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    total = project / "data/03_primary/total.csv"
    assert total.read_text().splitlines()[-1] == "120"  # built from the transient rows
    raw.write_text(original)  # put back

    statuses = verdicts(aether, project)
    assert statuses["doubled"] != "fresh" and statuses["total"] != "fresh", statuses
    dry = aether(project, "run", "--dry-run")
    assert "double" in dry.stdout, dry.stdout

    second = aether(project, "run", "--nodes", "double,total")
    assert second.returncode == 0, second.stdout + second.stderr
    assert total.read_text().splitlines()[-1] == "12"


def test_an_api_answering_the_read_otherwise_than_the_look_is_not_fresh(
    make_project: MakeProject, aether: Aether, httpserver: HTTPServer
) -> None:
    """An API without validators answers the run's look with one body and the node's read
    (in a parallel worker) with another, then the first again. The output is not called
    fresh, and the next run rebuilds it (it used to stay as built from the body it never
    read)."""
    answers = iter([[1, 2, 3], [5, 5, 5]])
    steady = [1, 2, 3]

    def respond(request: Request) -> Response:
        if request.method == "HEAD":  # a look at the headers: no body, no validators
            return Response("", content_type="application/json")
        rows = next(answers, steady)
        body = json.dumps({"data": [{"n": n} for n in rows]})
        return Response(body, content_type="application/json")

    httpserver.expect_request("/numbers").respond_with_handler(respond)
    url = httpserver.url_for("/numbers")
    project = make_project(
        catalog=lambda text: (
            f"numbers:\n  type: APIDataSet\n  url: {url}\n"
            "  load_args: {records: data}\n" + "doubled:" + text.split("doubled:", 1)[1]
        ),
    )
    parallel = ("--runner", "parallel", "--workers", "2")

    first = aether(project, "run", *parallel)
    assert first.returncode == 0, first.stdout + first.stderr
    total = project / "data/03_primary/total.csv"
    assert total.read_text().splitlines()[-1] == "30"  # built from the body of the read

    statuses = verdicts(aether, project)
    assert statuses["doubled"] != "fresh" and statuses["total"] != "fresh", statuses
    second = aether(project, "run", *parallel)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "double " in second.stdout and "succeeded" in second.stdout, second.stdout
    assert total.read_text().splitlines()[-1] == "12"
