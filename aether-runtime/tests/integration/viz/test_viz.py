"""`aether viz`: the JSON contract, Mermaid, and the offline HTML page in a real browser."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]
DATA_KINDS = ("dataset", "source")


@pytest.fixture
def project(orders_project: Path) -> Path:
    """A never-run copy of the orders example."""
    return orders_project


def test_json_lists_tasks_datasets_params_and_data_flow_edges(
    aether: Aether, project: Path
) -> None:
    result = aether(project, "viz", "--format", "json")
    assert result.returncode == 0, result.stderr
    dag = json.loads(result.stdout)
    assert dag["schema"] == "aether.dag/v1"
    kinds = {node["id"]: node["kind"] for node in dag["nodes"]}
    assert kinds == {
        "dataset:clean_orders": "dataset",
        "dataset:daily_revenue": "dataset",
        "dataset:raw_orders": "source",
        "param:cleaning.min_amount": "param",
        "param:report.currency": "param",
        "task:clean_orders": "task",
        "task:daily_revenue": "task",
    }
    edges = {(e["source"], e["target"]) for e in dag["edges"]}
    assert ("dataset:raw_orders", "task:clean_orders") in edges
    assert ("task:clean_orders", "dataset:clean_orders") in edges
    assert ("dataset:clean_orders", "task:daily_revenue") in edges
    task = next(n for n in dag["nodes"] if n["id"] == "task:clean_orders")
    assert task["location"] == "src/orders_demo/nodes/orders.py:10"
    assert dag["nodes"] == sorted(dag["nodes"], key=lambda n: n["id"])


def test_json_statuses_follow_runs(aether: Aether, project: Path) -> None:
    before = json.loads(aether(project, "viz", "--format", "json").stdout)
    statuses = {n["id"]: n.get("status") for n in before["nodes"]}
    assert statuses["dataset:clean_orders"] == "missing"
    assert aether(project, "run").returncode == 0
    after = json.loads(aether(project, "viz", "--format", "json").stdout)
    statuses = {n["id"]: n.get("status") for n in after["nodes"]}
    assert statuses["dataset:clean_orders"] == "fresh"
    assert statuses["task:daily_revenue"] == "fresh"


def test_mermaid_is_a_left_to_right_flowchart_with_status_classes(
    aether: Aether, project: Path
) -> None:
    result = aether(project, "viz", "--format", "mermaid")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum("-->" in line for line in lines) == 6
    assert any(line.endswith(":::missing") for line in lines)
    assert "classDef missing" in result.stdout


def test_unknown_format_is_bad_input(aether: Aether, project: Path) -> None:
    result = aether(project, "viz", "--format", "png")
    assert result.returncode == 2
    assert "Unknown format 'png'" in result.stderr


def test_html_is_self_contained_and_escapes_the_data(
    aether: Aether, project: Path, tmp_path: Path
) -> None:
    catalog = project / "conf" / "base" / "catalog.yml"
    catalog.write_text(
        catalog.read_text().replace(
            "Orders exported nightly by the shop", "'</script><script>alert(1)</script>'"
        )
    )
    page = tmp_path / "dag.html"
    result = aether(project, "viz", "--output", str(page))
    assert result.returncode == 0, result.stderr
    text = page.read_text()
    assert not re.search(r"""(src|href)=["']?https?:""", text)
    assert "</script><script>alert(1)" not in text
    payload = re.search(
        r'<script type="application/json" id="aether-dag">(.*?)</script>', text, re.S
    )
    assert payload is not None
    dag = json.loads(payload.group(1))
    raw = next(n for n in dag["nodes"] if n["id"] == "dataset:raw_orders")
    assert raw["description"] == "</script><script>alert(1)</script>"


# --- the aether.dag/v1 schema, --focus/--depth, Mermaid's limits -----------------------------


def _schema() -> dict[str, object]:
    from importlib import resources

    text = resources.files("aether.insight").joinpath("dag.schema.json").read_text("utf-8")
    return json.loads(text)


def test_json_follows_the_shipped_schema_with_code_locations(aether: Aether, project: Path) -> None:
    import jsonschema

    dag = json.loads(aether(project, "viz", "--format", "json").stdout)
    jsonschema.validate(dag, _schema())
    nodes = {n["id"]: n for n in dag["nodes"]}
    # Catalog entries point at their line in catalog.yml, transformations at their def.
    assert nodes["dataset:raw_orders"]["location"] == "conf/base/catalog.yml:3"
    assert nodes["dataset:raw_orders"]["filepath"] == "data/01_raw/orders.csv"
    assert nodes["task:daily_revenue"]["location"].startswith("src/orders_demo/")
    assert dag["edges"] == sorted(dag["edges"], key=lambda e: (e["source"], e["target"]))


def test_schema_refuses_what_is_not_a_dag() -> None:
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"schema": "aether.dag/v1", "pipeline": "p", "nodes": [{"id": "x"}], "edges": []},
            _schema(),
        )


def test_focus_draws_a_neighbourhood_at_the_given_depth(aether: Aether, project: Path) -> None:
    result = aether(project, "viz", "-f", "json", "--focus", "clean_orders", "--depth", "1")
    assert result.returncode == 0, result.stderr
    dag = json.loads(result.stdout)
    assert dag["focus"] == "dataset:clean_orders"
    assert {n["id"] for n in dag["nodes"]} == {
        "dataset:clean_orders",
        "task:clean_orders",
        "task:daily_revenue",
    }
    assert len(dag["edges"]) == 2
    deeper = aether(project, "viz", "-f", "mermaid", "--focus", "task:clean_orders")
    assert deeper.returncode == 0, deeper.stderr
    assert "daily_revenue" in deeper.stdout and "report.currency" not in deeper.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--focus", "clean_order"), "Unknown node 'clean_order' for --focus"),
        (("--focus", "clean_orders", "--depth", "-1"), "--depth must be 0 or more"),
        (("--depth", "3"), "--depth only applies with --focus"),  # was silently ignored
    ],
)
def test_bad_focus_is_one_line_and_exit_2(
    aether: Aether, project: Path, args: tuple[str, ...], message: str
) -> None:
    result = aether(project, "viz", "-f", "json", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if "clean_order'" in message:
        assert "did you mean 'clean_orders'?" in result.stderr


def test_mermaid_refuses_past_its_text_limit_and_escapes_labels() -> None:
    from aether.errors import AetherError
    from aether.insight.dag_view import to_mermaid

    def chain(count: int, name: str) -> dict[str, object]:
        nodes = [
            {"id": f"dataset:{name}{i}", "kind": "dataset", "name": f"{name}{i}"}
            for i in range(count)
        ]
        edges = [
            {"source": f"dataset:{name}{i}", "target": f"dataset:{name}{i + 1}"}
            for i in range(count - 1)
        ]
        return {"nodes": nodes, "edges": edges}

    with pytest.raises(AetherError, match="characters, more than Mermaid draws") as raised:
        to_mermaid(chain(400, "x" * 150))
    assert "--focus" in (raised.value.hint or "")
    text = to_mermaid(chain(2, 'a"<b>#'))
    assert "a#quot;#lt;b#gt;#35;0" in text and "<b>" not in text


# --- what the editor jumps to, and the checks' last results ----------------------------------


def _check_results(dag: dict[str, Any]) -> dict[str, Any]:
    return {n["id"]: n["check_results"] for n in dag["nodes"] if n["kind"] in DATA_KINDS}


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_json_points_tasks_at_pipeline_yml_and_params_at_their_key(
    aether: Aether, project: Path
) -> None:
    import jsonschema

    # A nested key overridden by the environment: its value, so its line, comes from there.
    (project / "conf" / "local" / "parameters.yml").write_text(
        "# local overrides\nreport:\n  # the report's currency\n  currency: USD\n"
    )
    dag = json.loads(aether(project, "viz", "--format", "json").stdout)
    jsonschema.validate(dag, _schema())
    nodes = {n["id"]: n for n in dag["nodes"]}
    pipeline = project / "conf" / "base" / "pipeline.yml"
    task = nodes["task:daily_revenue"]
    assert task["transformation"] == "orders_demo.nodes.reports.daily_revenue"
    assert task["location"] == "src/orders_demo/nodes/reports.py:8"
    line = _line_of(pipeline, "- name: daily_revenue")
    assert task["location_in_pipeline"] == f"conf/base/pipeline.yml:{line}"
    assert nodes["task:clean_orders"]["location_in_pipeline"] == (
        f"conf/base/pipeline.yml:{_line_of(pipeline, '- name: clean_orders')}"
    )
    base = project / "conf" / "base" / "parameters.yml"
    assert nodes["param:cleaning.min_amount"]["location"] == (
        f"conf/base/parameters.yml:{_line_of(base, 'min_amount:')}"
    )
    assert nodes["param:report.currency"]["location"] == "conf/local/parameters.yml:4"
    # A dataset is not a task: no pipeline location, and its own location is catalog.yml's.
    assert "location_in_pipeline" not in nodes["dataset:clean_orders"]


def test_json_carries_each_checks_last_result_without_loading_data(
    aether: Aether, project: Path
) -> None:
    import jsonschema

    catalog = project / "conf" / "base" / "catalog.yml"
    text = catalog.read_text()
    text = text.replace(
        "    description: Real orders with an amount, test orders removed\n",
        "    description: Real orders with an amount, test orders removed\n"
        "  checks:\n"
        "    - {check: not_null, columns: [amount]}\n"
        "    - {check: row_count, max: 1, severity: warn}\n",
    )
    text = text.replace(
        "    description: Revenue per day in the report currency\n",
        "    description: Revenue per day in the report currency\n"
        "  checks:\n"
        "    - {check: not_null, columns: [revenue]}\n",
    )
    catalog.write_text(text)
    before = json.loads(aether(project, "viz", "--format", "json").stdout)
    jsonschema.validate(before, _schema())
    never = _check_results(before)
    assert never["dataset:clean_orders"] == [
        {"name": "not_null(amount)", "severity": "error", "passed": None, "message": None,
         "checked_at": None},
        {"name": "row_count", "severity": "warn", "passed": None, "message": None,
         "checked_at": None},
    ]  # fmt: skip
    assert never["dataset:raw_orders"] == []
    assert aether(project, "run").returncode == 0
    # A changed spec has not been run as written yet: its old result does not count.
    catalog.write_text(catalog.read_text().replace("columns: [revenue]}", "columns: [day]}"))
    # Data gone: the results come from the state store, not from reading the data.
    (project / "data" / "02_intermediate" / "clean_orders.parquet").unlink()
    after = json.loads(aether(project, "viz", "--format", "json").stdout)
    jsonschema.validate(after, _schema())
    results = _check_results(after)
    passed, rows = results["dataset:clean_orders"]
    assert (passed["name"], passed["passed"]) == ("not_null(amount)", True)
    assert passed["message"] == "no null values in amount"
    assert (rows["name"], rows["severity"], rows["passed"]) == ("row_count", "warn", False)
    assert rows["message"].endswith("rows, expected at most 1")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", rows["checked_at"])
    assert results["dataset:daily_revenue"] == [
        {"name": "not_null(day)", "severity": "error", "passed": None, "message": None,
         "checked_at": None},
    ]  # fmt: skip


def test_schema_refuses_a_check_result_without_its_verdict() -> None:
    import jsonschema

    node = {
        "id": "dataset:a",
        "kind": "dataset",
        "name": "a",
        "check_results": [{"name": "not_null(x)", "severity": "error", "message": None}],
    }
    with pytest.raises(jsonschema.ValidationError, match="passed"):
        jsonschema.validate(
            {"schema": "aether.dag/v1", "pipeline": "p", "nodes": [node], "edges": []}, _schema()
        )
