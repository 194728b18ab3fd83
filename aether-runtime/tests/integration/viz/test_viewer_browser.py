"""The viewer in real headless Chromium (playwright-core from viewer/, no browser download).

viewer/test/drive.mjs opens a page made by ``aether viz --format html`` from file://, refuses
and records any http(s) request, waits for ``body[data-ready="true"]`` and reports what it
saw. Set ``AETHER_VIZ_SCREENSHOTS=1`` to refresh the screenshots of docs/reference/viz.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from aether.insight.dag_view import to_html

Aether = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[4]
DRIVER = ROOT / "viewer" / "test" / "drive.mjs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE = shutil.which("node")
SCREENSHOTS = ROOT / "docs" / "reference" / "viz"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None
    or NODE is None
    or not (ROOT / "viewer" / "node_modules" / "playwright-core").is_dir(),
    reason="needs Chromium, Node and `npm ci` in viewer/ (.ci/run installs them)",
)


def drive(page: Path, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(NODE), str(DRIVER), str(page), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "CHROMIUM": str(CHROMIUM)},
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["requests"] == []  # no network at all
    assert report["errors"] == []
    return report


def chain(count: int) -> dict[str, Any]:
    ids = [f"dataset:d{i:06d}" for i in range(count)]
    return {
        "schema": "aether.dag/v1",
        "pipeline": "chain",
        "nodes": [
            {"id": key, "kind": "dataset", "name": key[8:], "status": "fresh"} for key in ids
        ],
        "edges": [{"source": a, "target": b} for a, b in pairwise(ids)],
    }


def wide(count: int) -> dict[str, Any]:
    """Tasks in 50 dotted namespaces, each reading two earlier outputs."""
    nodes = []
    edges = []
    for i in range(count):
        nodes.append(
            {
                "id": f"task:ns{i % 50}.t{i}",
                "kind": "task",
                "name": f"ns{i % 50}.t{i}",
                "group": f"ns{i % 50}",
                "status": "stale",
                "reason": "code changed",
            }
        )
        for parent in (i // 2, i // 3):
            if parent < i:
                edges.append(
                    {"source": f"task:ns{parent % 50}.t{parent}", "target": f"task:ns{i % 50}.t{i}"}
                )
    return {"schema": "aether.dag/v1", "pipeline": "wide", "nodes": nodes, "edges": edges}


def test_example_page_draws_offline_left_to_right_and_stably(
    aether: Aether, orders_project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "dag.html"
    assert aether(orders_project, "viz", "--output", str(page)).returncode == 0
    assert page.stat().st_size <= 80_000
    shots = SCREENSHOTS if os.environ.get("AETHER_VIZ_SCREENSHOTS") else tmp_path
    first = drive(
        page, "--screenshot", str(shots / "dag.png"), "--click", "dataset:raw_orders", "--search",
        "revenue",
    )  # fmt: skip
    x = {key: pos[0] for key, pos in first["first"]["positions"].items()}
    assert len(x) == 7
    assert first["first"]["edges"] == 6
    assert first["canvasWidth"] > 600
    assert x["dataset:raw_orders"] < x["task:clean_orders"] < x["dataset:clean_orders"]
    assert x["dataset:clean_orders"] < x["task:daily_revenue"] < x["dataset:daily_revenue"]
    assert first["title"] == "raw_orders"
    assert first["details"]["type"] == "PandasCsvDataSet"
    assert first["details"]["filepath"] == "data/01_raw/orders.csv"
    assert first["details"]["location"] == "conf/base/catalog.yml:3"
    assert first["details"]["owner"] == "@acme/sales-data"
    assert first["details"]["status"] == "fresh"
    # On the HTML page a location is text: no button asks an editor to open it.
    assert first["buttons"] == ["focus"]
    assert set(first["hits"]) == {"dataset:daily_revenue", "task:daily_revenue"}
    # Same DAG, same positions: a reload does not move anything.
    again = drive(page)
    assert again["first"]["positions"] == first["first"]["positions"]


def test_focus_keeps_a_nodes_neighbourhood(
    aether: Aether, orders_project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "dag.html"
    assert aether(orders_project, "viz", "--output", str(page)).returncode == 0
    report = drive(page, "--focus", "task:daily_revenue")
    assert set(report["focused"]["positions"]) == {
        "task:daily_revenue",
        "dataset:clean_orders",
        "dataset:daily_revenue",
        "param:report.currency",
        "task:clean_orders",
    }


@pytest.mark.parametrize("count", [10_000, 100_000])
def test_long_chain_draws_collapsed_without_recursion(tmp_path: Path, count: int) -> None:
    page = tmp_path / "chain.html"
    page.write_text(to_html(chain(count)), encoding="utf-8")
    report = drive(page)
    drawn = report["first"]["positions"]
    assert 1 < len(drawn) <= 300  # bands of topological layers
    assert all(key.startswith("group:layer") for key in drawn)
    xs = [drawn[key][0] for key in sorted(drawn, key=lambda k: int(k.split()[-1].split("-")[0]))]
    assert xs == sorted(xs)


def test_five_thousand_nodes_start_collapsed_and_groups_expand(tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    page.write_text(to_html(wide(5_000)), encoding="utf-8")
    report = drive(page, "--expand", "group:ns7")
    assert len(report["first"]["positions"]) == 50
    assert all(key.startswith("group:ns") for key in report["first"]["positions"])
    expanded = set(report["expanded"]["positions"])
    assert len(expanded) == 49 + 100
    assert "task:ns7.t7" in expanded and "group:ns7" not in expanded


def test_extension_webview_page_draws_under_its_csp(
    aether: Aether, orders_project: Path, tmp_path: Path
) -> None:
    """The VS Code webview's page (vscode-aether/src/dagPanel.ts, compiled to out/ by the
    extension's build): nonce'd script by URL, no blob: worker allowed, so the viewer lays
    out on the page."""
    panel = ROOT / "vscode-aether" / "out" / "dagPanel.js"
    if not panel.is_file():
        pytest.skip("the extension is not built: cd vscode-aether && npm ci && npm run build")
    result = aether(orders_project, "viz", "--format", "json")
    assert result.returncode == 0, result.stderr
    viewer = ROOT / "aether-runtime" / "src" / "aether" / "insight" / "viewer.js"
    script = (
        "const {pageHtml} = require(process.argv[1]);"
        "const dag = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(pageHtml(dag, process.argv[2], 'file:', 'n0nce'));"
    )
    page = subprocess.run(
        [
            str(NODE),
            "-e",
            script,
            str(panel),
            viewer.as_uri(),
        ],
        input=result.stdout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "script-src 'nonce-n0nce'" in page
    (tmp_path / "webview.html").write_text(page, encoding="utf-8")
    (tmp_path / "same.json").write_text(result.stdout)
    report = drive(
        tmp_path / "webview.html", "--vscode", "--click", "task:clean_orders", "--pan", "37,-12",
        "--update", str(tmp_path / "same.json"),
    )  # fmt: skip
    assert len(report["first"]["positions"]) == 7
    assert report["details"]["location"] == "src/orders_demo/nodes/orders.py:10"
    # Laid out on the page (no worker here): an unchanged DAG redraws in place.
    before, after = report["beforeUpdate"], report["afterUpdate"]
    assert before["transform"] == after["transform"] == "translate(57,8) scale(1)"
    assert after["positions"] == before["positions"] == report["first"]["positions"]
    assert after["selected"] == ["task:clean_orders"]


# --- checks in the details panel, and the viewer inside a VS Code webview --------------------

CHECKS = (
    "  checks:\n"
    "    - {check: not_null, columns: [amount]}\n"
    "    - {check: row_count, max: 1, severity: warn}\n"
    "    - {check: unique, columns: [order_id]}\n"
)


def checked_page(aether: Aether, project: Path, page: Path) -> dict[str, Any]:
    """The example with three checks on clean_orders, run, then the third one changed (so
    never run as configured): the page written to ``page``, the DAG JSON returned."""
    catalog = project / "conf" / "base" / "catalog.yml"
    described = "    description: Real orders with an amount, test orders removed\n"
    catalog.write_text(catalog.read_text().replace(described, described + CHECKS))
    assert aether(project, "run").returncode == 0
    catalog.write_text(catalog.read_text().replace("columns: [order_id]", "columns: [customer]"))
    assert aether(project, "viz", "--output", str(page)).returncode == 0
    result = aether(project, "viz", "--format", "json")
    assert result.returncode == 0, result.stderr
    dag: dict[str, Any] = json.loads(result.stdout)
    return dag


def test_details_panel_marks_each_checks_last_result(
    aether: Aether, orders_project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "dag.html"
    checked_page(aether, orders_project, page)
    assert page.stat().st_size <= 80_000
    shots = SCREENSHOTS if os.environ.get("AETHER_VIZ_SCREENSHOTS") else tmp_path
    report = drive(
        page, "--click", "dataset:clean_orders", "--screenshot-details", str(shots / "details.png")
    )
    assert report["checks"] == [
        {"name": "not_null(amount)", "result": "passed", "mark": "✓",
         "message": "no null values in amount"},
        {"name": "row_count", "result": "failed", "mark": "✗",
         "message": "36 rows, expected at most 1"},
        {"name": "unique(customer)", "result": "never", "mark": "○", "message": "never run"},
    ]  # fmt: skip
    assert report["details"]["location"] == "conf/base/catalog.yml:21"
    assert report["buttons"] == ["focus"]


def test_webview_click_and_double_click_ask_the_editor_to_open(
    aether: Aether, orders_project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "dag.html"
    assert aether(orders_project, "viz", "--output", str(page)).returncode == 0
    report = drive(
        page, "--vscode", "--click", "task:clean_orders", "--open", "--open-pipeline",
        "--dblclick", "dataset:raw_orders",
    )  # fmt: skip
    assert report["buttons"] == ["open", "open-pipeline", "focus"]
    # Shown as text too, beside the buttons.
    assert report["details"]["location_in_pipeline"] == "conf/base/pipeline.yml:5"
    assert report["posted"] == [
        {"type": "open", "location": "src/orders_demo/nodes/orders.py:10"},
        {"type": "open", "location": "conf/base/pipeline.yml:5"},
        {"type": "open", "location": "conf/base/catalog.yml:3"},
    ]
    assert report["vscodeState"]["selected"] == "dataset:raw_orders"


def test_webview_update_keeps_the_viewport_selection_and_search(
    aether: Aether, orders_project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "dag.html"
    dag = checked_page(aether, orders_project, page)
    # The same graph, statuses changed (as after an edit): nothing may move.
    for node in dag["nodes"]:
        if node.get("status") == "fresh":
            node["status"], node["reason"] = "stale", "code changed"
    (tmp_path / "update.json").write_text(json.dumps(dag))
    report = drive(
        page, "--vscode", "--click", "dataset:clean_orders", "--search", "revenue",
        "--pan", "37,-12", "--update", str(tmp_path / "update.json"), "--rebuild",
    )  # fmt: skip
    before, after = report["beforeUpdate"], report["afterUpdate"]
    assert before["transform"] == "translate(57,8) scale(1)"  # panned from (20, 20)
    assert after["transform"] == before["transform"]
    assert after["positions"] == before["positions"]
    assert after["selected"] == before["selected"] == ["dataset:clean_orders"]
    assert after["hits"] == before["hits"] == ["dataset:daily_revenue", "task:daily_revenue"]
    # The update was drawn: new statuses on the nodes and in the details panel.
    assert "fresh" in before["classes"]["dataset:clean_orders"].split()
    assert "stale" in after["classes"]["dataset:clean_orders"].split()
    assert (before["details"]["status"], after["details"]["status"]) == ("fresh", "stale")
    # A webview hidden then shown is rebuilt from the state the viewer stored.
    assert report["vscodeState"]["viewport"] == {"x": 57, "y": 8, "k": 1}
    rebuilt = report["rebuilt"]
    assert rebuilt["transform"] == before["transform"]
    assert rebuilt["selected"] == ["dataset:clean_orders"]
    assert rebuilt["title"] == "clean_orders"
    assert rebuilt["search"] == "revenue" and rebuilt["hits"] == before["hits"]


def test_webview_update_without_the_selected_node_drops_the_selection(
    aether: Aether, orders_project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "dag.html"
    assert aether(orders_project, "viz", "--output", str(page)).returncode == 0
    dag = json.loads(aether(orders_project, "viz", "--format", "json").stdout)
    gone = {"dataset:daily_revenue", "task:daily_revenue", "param:report.currency"}
    dag["nodes"] = [n for n in dag["nodes"] if n["id"] not in gone]
    dag["edges"] = [e for e in dag["edges"] if not {e["source"], e["target"]} & gone]
    (tmp_path / "update.json").write_text(json.dumps(dag))
    report = drive(
        page, "--vscode", "--click", "dataset:daily_revenue", "--bad-update", "--update",
        str(tmp_path / "update.json"),
    )  # fmt: skip
    # What is not an aether.dag/v1 DAG (or has nodes or edges without their fields) is
    # ignored, and said so: the page stays drawn.
    assert report["badUpdate"] == {
        "statuses": ["Ignored an update that is not an aether.dag/v1 DAG"],
        "same": True,
    }
    assert report["beforeUpdate"]["selected"] == ["dataset:daily_revenue"]
    after = report["afterUpdate"]
    assert set(after["positions"]) == {
        "dataset:clean_orders",
        "dataset:raw_orders",
        "param:cleaning.min_amount",
        "task:clean_orders",
    }
    assert after["selected"] == []
    assert after["title"] == "Pipeline: orders"
    assert after["details"] == {}
    assert report["vscodeState"]["selected"] is None
