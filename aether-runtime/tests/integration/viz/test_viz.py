"""`aether viz`: the JSON contract, Mermaid, and the offline HTML page in a real browser."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]


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
