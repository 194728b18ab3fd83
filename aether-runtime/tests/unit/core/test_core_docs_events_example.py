"""The complete listener of docs/events.md runs as printed: its code block is executed and
the listener follows a real run of a small project."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from aether.run import run_pipeline

PAGE = Path(__file__).resolve().parents[4] / "docs" / "events.md"


def _example() -> str:
    found = re.search(r'```python title="json_lines.py"\n(.*?)\n```', PAGE.read_text(), re.S)
    assert found, "docs/events.md lost its json_lines.py example"
    return found.group(1)


def test_the_pages_json_lines_listener_follows_a_run(make_project) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_example(), str(PAGE), "exec"), namespace)
    stream = io.StringIO()

    result = run_pipeline(make_project("docs_example"), listeners=[namespace["JsonLines"](stream)])

    assert result.succeeded
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "RunStarted",
        "NodeStarted",
        "OutputsStaged",
        "OutputsPublished",
        "NodeSucceeded",
        "NodeStarted",
        "OutputsStaged",
        "OutputsPublished",
        "NodeSucceeded",
        "AssetsEvaluated",
        "RunFinished",
    ]
    assert {line["run_id"] for line in lines} == {result.run_id}
    assert lines[0]["to_run"] == ["double", "total"]
    assert lines[1]["why"] == "missing: doubled: never materialized"
    assert lines[1]["kind"] == "verdict"
    assert lines[4]["status"] == "succeeded"
    assert lines[-1]["succeeded"] is True


def test_the_pages_first_example_runs_as_printed(make_project, capsys) -> None:
    """The page's opening snippet (a listener printing each finished node, given as a
    keyword and inside a RunRequest) runs on a real project once its path is filled in."""
    first = re.search(r"```python\n(.*?)\n```", PAGE.read_text(), re.S)
    assert first, "docs/events.md lost its opening example"
    project = make_project("docs_first_example")
    code = first.group(1).replace('"path/to/project"', repr(str(project)))
    namespace: dict[str, Any] = {}

    exec(compile(code, str(PAGE), "exec"), namespace)

    assert namespace["result"].succeeded
    # the first run built both nodes; the second found them fresh and left them alone,
    # which is no node event (nothing happened to them)
    assert capsys.readouterr().out.splitlines() == ["double succeeded", "total succeeded"]
