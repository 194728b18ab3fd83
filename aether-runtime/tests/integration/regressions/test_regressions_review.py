"""Regressions found in review: each test reproduces a defect that once got through."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]
CATALOG = "conf/base/catalog.yml"


@pytest.fixture
def project(orders_project: Path) -> Path:
    """A never-run copy of the orders example."""
    return orders_project


def edit(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new))


def statuses(aether: Aether, project: Path) -> dict[str, dict]:
    result = aether(project, "status", "--json")
    assert result.returncode == 0, result.stderr
    return {entry["name"]: entry for entry in json.loads(result.stdout)["assets"]}


def test_a_source_check_judges_new_source_data_and_blocks_its_readers(
    aether: Aether, project: Path
) -> None:
    edit(project, CATALOG, "description: Orders exported nightly by the shop\n", (
        "description: Orders exported nightly by the shop\n"
        "  checks:\n    - {check: row_count, max: 45}\n"
    ))  # fmt: skip
    assert aether(project, "run").returncode == 0
    clean = (project / "data/02_intermediate/clean_orders.parquet").read_bytes()
    raw = project / "data/01_raw/orders.csv"
    good = raw.read_text()
    raw.write_text(
        good + "".join(f"{2000 + i},ana,2026-02-01 10:00,10.0,EUR,false\n" for i in range(10))
    )

    blocked = aether(project, "run")

    assert blocked.returncode == 1
    assert "row_count" in blocked.stdout and "50 rows" in blocked.stdout
    assert (project / "data/02_intermediate/clean_orders.parquet").read_bytes() == clean
    assert statuses(aether, project)["raw_orders"]["status"] == "failed"
    raw.write_text(good)  # the data is fixed: the old result must not stick
    assert aether(project, "run").returncode == 0
    assert statuses(aether, project)["raw_orders"]["status"] == "fresh"


def test_code_changes_are_seen_with_a_custom_source_dir(aether: Aether, project: Path) -> None:
    (project / "src").rename(project / "python")
    (project / "pyproject.toml").write_text('[tool.aether]\nsource_dir = "python"\n')
    assert aether(project, "run").returncode == 0
    edit(project, "python/orders_demo/nodes/reports.py", ".round(2)", ".round(1)")

    entry = statuses(aether, project)["daily_revenue"]

    assert entry["status"] == "stale"
    assert "code changed in daily_revenue" in entry["reason"]


def test_a_memory_dataset_declared_in_the_catalog_stays_in_memory(
    aether: Aether, project: Path
) -> None:
    edit(project, CATALOG, "clean_orders:\n  type: PandasParquetDataSet\n"
         "  filepath: data/02_intermediate/clean_orders.parquet\n",
         "clean_orders:\n  type: MemoryDataSet\n")  # fmt: skip

    parallel = aether(project, "run", "--runner", "parallel")
    again = aether(project, "run")

    assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    assert again.returncode == 0
    assert "fresh" in again.stdout and "succeeded" not in again.stdout
    assert statuses(aether, project)["daily_revenue"]["status"] == "fresh"


def test_secrets_stay_out_of_listings_errors_and_caches(aether: Aether, project: Path) -> None:
    edit(project, CATALOG, "daily_revenue:\n", (
        "ftp_copy:\n  type: PandasCsvDataSet\n"
        "  filepath: ftp://bob:FTPPASSW0RD@127.0.0.1:1/x.csv\n\ndaily_revenue:\n"
    ))  # fmt: skip
    (project / "conf/local/credentials.yml").write_text("s3: {secret: SUPERSECRET123}\n")
    (project / "conf/base/alerts.yml").write_text(
        "webhook: {url: hooks.example.com/services/XOXSECRETTOKEN}\n"
    )

    listing = aether(project, "catalog", "list")
    validate = aether(project, "validate")
    aether(project, "status")

    assert "FTPPASSW0RD" not in listing.stdout + listing.stderr
    assert "ftp://bob:***@" in listing.stdout
    assert validate.returncode == 2
    assert "must start with http:// or https://" in validate.stderr
    assert "XOXSECRETTOKEN" not in validate.stdout + validate.stderr
    cached = [p.read_bytes() for p in (project / ".aether").rglob("*") if p.is_file()]
    assert cached and not any(b"SUPERSECRET123" in blob for blob in cached)


def test_a_partial_run_does_not_treat_a_failed_upstream_asset_as_a_source(
    aether: Aether, project: Path
) -> None:
    assert aether(project, "run").returncode == 0
    edit(
        project,
        "src/orders_demo/nodes/orders.py",
        "kept = orders.dropna",
        "raise RuntimeError('boom')\n        kept = orders.dropna",
    )
    assert aether(project, "run").returncode == 1

    aether(project, "run", "--nodes", "daily_revenue", "--params", "report.currency=USD")

    assert statuses(aether, project)["clean_orders"]["status"] == "failed"
    state = sqlite_rows(project, "SELECT asset FROM sources")
    assert ("clean_orders",) not in state


def sqlite_rows(project: Path, query: str) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(project / ".aether" / "state.db") as db:
        return db.execute(query).fetchall()


def test_a_home_relative_path_does_not_depend_on_the_working_directory(
    aether: Aether, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    edit(project, CATALOG, "filepath: data/08_reporting/daily_revenue.csv",
         "filepath: ~/reports/daily_revenue.csv")  # fmt: skip
    result = aether(project / "data", "run", env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert (home / "reports" / "daily_revenue.csv").is_file()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["run", "--runner", "parallel", "--workers", "0"], "--workers must be 1 or more"),
        ("logging", ["run"], "logging.yml is not a valid logging configuration"),
        ("pyproject", ["run"], "[tool.aether]"),
        (None, ["viz", "--output", "README/x/dag.html"], "Cannot write"),
    ],
    ids=["workers", "logging-yml", "tool-aether", "viz-output"],
)
def test_bad_input_gets_one_line_and_exit_2(
    aether: Aether, project: Path, setup, args, message
) -> None:
    if setup == "logging":
        (project / "conf/base/logging.yml").write_text(
            "version: 1\nhandlers: {h: {class: nope.Nope}}\n"
        )
    if setup == "pyproject":
        (project / "pyproject.toml").write_text('[tool]\naether = "x"\n')
    (project / "README").write_text("a file where a folder is needed")

    result = aether(project, *args)

    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_a_failed_nodes_traceback_in_the_sequential_runner(
    aether: Aether, project: Path
) -> None:
    edit(
        project,
        "src/orders_demo/nodes/reports.py",
        "    days = orders",
        "    raise RuntimeError('boom')\n    days = orders",
    )

    result = aether(project, "run", debug=True)

    assert result.returncode == 1
    assert "traceback of node daily_revenue" in result.stderr
    assert "reports.py" in result.stderr and "RuntimeError: boom" in result.stderr
