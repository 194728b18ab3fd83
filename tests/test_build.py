"""Build and run a generated project against this checkout's runtime (slow: installs packages).

The project is generated with copier (cookiecutter renders the same files: test_render.py)
with `aether_runtime_path` pointing at ../aether-runtime, then driven only through its make
targets, as a user would.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import RUNTIME_PATH, bake_with_copier, project_env
from .test_render import DATA_LAYERS

pytestmark = pytest.mark.slow


def make(project: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["make", *targets], cwd=project, env=project_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, f"make {' '.join(targets)} failed:\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A generated project after `make test`, with the seconds from copy to green."""
    started = time.perf_counter()
    project = bake_with_copier(
        template_repo,
        tmp_path_factory.mktemp("built") / "orders-project",
        {"project_name": "Orders Project", "aether_runtime_path": str(RUNTIME_PATH)},
    )
    tests = make(project, "test")
    return {"project": project, "tests": tests, "seconds": time.perf_counter() - started}


def test_make_test_is_green_out_of_the_box(built, record_property):
    record_property("copy_to_green_make_test_seconds", round(built["seconds"], 1))
    lines = built["tests"].stdout.strip().splitlines()
    summary = next(line for line in reversed(lines) if re.search(r"\d+ (passed|failed)", line))
    assert " passed" in summary and "failed" not in summary and "error" not in summary
    print(f"copier copy -> green make test: {built['seconds']:.1f}s ({summary.strip('= ')})")


def test_make_lint_passes(built):
    make(built["project"], "lint")


def test_make_run_writes_the_parquet_table_and_the_report(built):
    project = built["project"]

    make(project, "run")

    raw = pd.read_csv(project / "data/01_raw/orders.csv")
    clean = pd.read_parquet(project / "data/02_intermediate/clean_orders.parquet")
    report = pd.read_csv(project / "data/08_reporting/daily_revenue.csv")
    assert len(clean) == 36  # 40 raw orders, 2 without an amount, 2 test orders
    assert clean["amount"].notna().all() and "is_test" not in clean.columns
    assert list(report.columns) == ["day", "orders", "revenue", "currency"]
    assert len(report) == raw["ordered_at"].str[:10].nunique() == 13
    assert report["orders"].sum() == 36
    assert report["revenue"].sum() == pytest.approx(clean["amount"].sum())


def test_make_status_and_viz_show_the_materialized_assets(built):
    project = built["project"]
    make(project, "run")

    status = json.loads(make(project, "--silent", "status", "ARGS=--json").stdout)
    make(project, "viz")

    assert {a["name"]: a["status"] for a in status["assets"]} == {
        "raw_orders": "fresh",
        "clean_orders": "fresh",
        "daily_revenue": "fresh",
    }
    page = (project / "data/08_reporting/dag.html").read_text()
    assert "clean_orders" in page and "daily_revenue" in page


def test_make_docs_builds_the_site_strictly(built):
    project = built["project"]

    make(project, "docs")

    reference = (project / "site" / "reference" / "index.html").read_text()
    assert "CleanOrders" in reference and "daily_revenue" in reference


def test_make_help_is_the_default_and_lists_every_target(built):
    listing = make(built["project"]).stdout

    for target in ("install", "run", "test", "lint", "format", "docs", "viz", "status", "update"):
        assert f"make {target}" in listing


def test_make_clean_keeps_the_raw_data(built):
    project = built["project"]
    make(project, "run")
    assert (project / "data/02_intermediate/clean_orders.parquet").exists()

    make(project, "clean")

    assert (project / "data/01_raw/orders.csv").exists()
    data = project / "data"
    left = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    kept = {f"{layer}/.gitkeep" for layer in DATA_LAYERS}
    assert left == {"README.md", "01_raw/orders.csv", *kept}  # every layer folder stays
    assert not (project / ".aether").exists()
