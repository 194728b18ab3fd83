"""Incremental ``aether run``: only what is missing, stale or failed; early cutoff; memory."""

from __future__ import annotations

import json
import sqlite3

RAW = "data/01_raw/orders.csv"
CLEAN = "data/02_intermediate/clean_orders.parquet"
REVENUE = "data/08_reporting/daily_revenue.csv"
PARAMETERS = "conf/base/parameters.yml"
TEST_ORDER = "1999,tester,2026-01-07 10:00,42.0,EUR,true\n"
REAL_ORDER = "2000,dora,2026-01-07 11:00,42.0,EUR,false\n"


def _heads(project) -> list[tuple]:
    with sqlite3.connect(project / ".aether/state.db") as db:
        return sorted(db.execute("SELECT * FROM heads").fetchall())


def test_a_second_run_does_nothing(ran_orders) -> None:
    before = ran_orders.snapshot(CLEAN), ran_orders.snapshot(REVENUE)

    output = ran_orders.run_ok()

    assert "2 fresh" in output and "everything is fresh" in output
    assert (ran_orders.snapshot(CLEAN), ran_orders.snapshot(REVENUE)) == before


def test_force_rebuilds_every_node(ran_orders) -> None:
    before = ran_orders.statuses()

    output = ran_orders.run_ok("--force")

    assert "2 succeeded" in output
    after = ran_orders.statuses()
    # Every output recorded as made by this run (the same bytes are left in place: see
    # tests/integration/test_unchanged_outputs.py).
    for name in ("clean_orders", "daily_revenue"):
        assert after[name]["run_id"] != before[name]["run_id"]
    assert {e["status"] for e in after.values()} == {"fresh"}


def test_only_the_stale_part_is_rebuilt(ran_orders) -> None:
    before = ran_orders.snapshot(CLEAN)
    (ran_orders / REVENUE).unlink()

    output = ran_orders.run_ok()

    assert "daily_revenue succeeded" in output
    assert "clean_orders succeeded" not in output
    assert ran_orders.snapshot(CLEAN) == before
    assert (ran_orders / REVENUE).exists()


def test_dry_run_prints_the_plan_with_reasons_and_writes_nothing(ran_orders) -> None:
    ran_orders.append(RAW, REAL_ORDER)
    before = ran_orders.snapshot(CLEAN), ran_orders.snapshot(REVENUE), _heads(ran_orders)

    result = ran_orders.aether("run", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "2 to run" in result.stdout
    assert "input raw_orders has a new version" in result.stdout
    assert "upstream: clean_orders" in result.stdout
    after = ran_orders.snapshot(CLEAN), ran_orders.snapshot(REVENUE), _heads(ran_orders)
    assert after == before
    assert ran_orders.status_of("clean_orders")[0] == "stale"


def test_dry_run_on_a_project_never_run_creates_no_data(orders) -> None:
    result = orders.aether("run", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "never materialized" in result.stdout
    assert not (orders / CLEAN).exists() and not (orders / REVENUE).exists()


def test_early_cutoff_when_a_rebuilt_output_is_unchanged(ran_orders) -> None:
    revenue = ran_orders.snapshot(REVENUE)
    ran_orders.append(RAW, TEST_ORDER)  # a test order: cleaning drops it again

    output = ran_orders.run_ok()

    assert "clean_orders succeeded" in output
    assert "daily_revenue fresh: early cutoff" in output
    assert ran_orders.snapshot(REVENUE) == revenue
    assert {e["status"] for e in ran_orders.statuses().values()} == {"fresh"}
    assert "2 fresh" in ran_orders.run_ok()


def test_no_cutoff_when_the_rebuilt_output_changed(ran_orders) -> None:
    revenue = ran_orders.snapshot(REVENUE)
    ran_orders.append(RAW, REAL_ORDER)

    output = ran_orders.run_ok()

    assert "clean_orders succeeded" in output and "daily_revenue succeeded" in output
    assert ran_orders.snapshot(REVENUE)[0] != revenue[0]


def test_a_parameter_change_rebuilds_only_the_node_that_reads_it(ran_orders) -> None:
    clean = ran_orders.snapshot(CLEAN)
    ran_orders.edit(PARAMETERS, "currency: EUR", "currency: USD")

    output = ran_orders.run_ok()

    assert "daily_revenue succeeded" in output and "clean_orders succeeded" not in output
    assert ran_orders.snapshot(CLEAN) == clean
    assert "USD" in (ran_orders / REVENUE).read_text()


MEMORY_CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
"""


def test_memory_datasets_are_recomputed_when_a_consumer_needs_them(make_project, aether) -> None:
    project = make_project("memory_intermediate", catalog=MEMORY_CATALOG)
    assert aether(project, "run").returncode == 0
    assert "2 fresh" in aether(project, "run").stdout  # nothing stored is stale

    (project / "data/03_primary/total.csv").unlink()
    result = aether(project, "run")

    assert result.returncode == 0, result.stderr
    assert "double succeeded" in result.stdout and "total succeeded" in result.stdout
    assert (project / "data/03_primary/total.csv").read_text().split() == ["total", "12"]


def test_a_change_behind_an_in_memory_dataset_reaches_its_consumer(make_project, aether) -> None:
    project = make_project("memory_stale", catalog=MEMORY_CATALOG)
    assert aether(project, "run").returncode == 0

    (project / "conf/base/parameters.yml").write_text("factor: 3\n")
    status = aether(project, "status", "--json")
    plan = aether(project, "run", "--dry-run").stdout
    result = aether(project, "run")

    total = next(e for e in json.loads(status.stdout)["assets"] if e["name"] == "total")
    assert total["status"] == "stale"
    assert "doubled" in total["reason"]  # the in-memory input's producer would make new data
    assert "double" in plan and "total" in plan
    assert (project / "data/03_primary/total.csv").read_text().split() == ["total", "18"]
    assert result.returncode == 0
