"""Failure safety: write-audit-publish, failed heads keep the last good data, SIGKILL, the lock."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

RAW = "data/01_raw/orders.csv"
CLEAN = "data/02_intermediate/clean_orders.parquet"
REVENUE = "data/08_reporting/daily_revenue.csv"
CATALOG = "conf/base/catalog.yml"
REPORTS_PY = "src/orders_demo/nodes/reports.py"
REAL_ORDER = "2000,dora,2026-01-07 11:00,42.0,EUR,false\n"
BIG_ORDER = "2001,emil,2026-01-07 12:00,5000.0,EUR,false\n"
CLEAN_ENTRY = "clean_orders:\n  type: PandasParquetDataSet\n"

# daily_revenue waits at a gate when ORDERS_TEST_GATE is set: "<gate>.started" appears, then
# it waits (at most a minute) for "<gate>.go".
GATED = '''\
def daily_revenue(orders: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Revenue and order count per calendar day."""
    gate = os.environ.get("ORDERS_TEST_GATE")
    if gate:
        pathlib.Path(gate + ".started").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not pathlib.Path(gate + ".go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
'''


def _with_checks(project, checks: str) -> None:
    project.edit(CATALOG, CLEAN_ENTRY, CLEAN_ENTRY + f"  checks:\n{checks}")


def _set_checks(project, old: str, new: str) -> None:
    project.edit(CATALOG, old, new)


def _attempts(project) -> list[tuple[str, str, str]]:
    with sqlite3.connect(project / ".aether/state.db") as db:
        return db.execute("SELECT run_id, node, status FROM attempts ORDER BY id").fetchall()


def _gate(project) -> None:
    project.edit(
        REPORTS_PY,
        "import pandas as pd\n",
        "import os\nimport pathlib\nimport time\n\nimport pandas as pd\n",
    )
    project.edit(
        REPORTS_PY,
        "def daily_revenue(orders: pd.DataFrame, currency: str) -> pd.DataFrame:\n"
        '    """Revenue and order count per calendar day."""\n',
        GATED,
    )


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def _wait_for_text(path: Path, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while text not in (content := path.read_text(encoding="utf-8")):
        assert time.monotonic() < deadline, f"{text!r} never appeared in: {content}"
        time.sleep(0.05)
    return content


# checks: write-audit-publish -----------------------------------------------------------------
def test_a_failing_error_check_keeps_the_previous_good_file_and_fails_the_asset(orders) -> None:
    _with_checks(orders, "    - {check: range, column: amount, max: 1000}\n")
    orders.run_ok()
    clean, revenue = orders.snapshot(CLEAN), orders.snapshot(REVENUE)
    orders.append(RAW, BIG_ORDER)

    result = orders.aether("run")

    assert result.returncode == 1
    assert "check range(amount)" in result.stdout and "above 1000" in result.stdout
    assert "daily_revenue skipped" in result.stdout
    assert orders.snapshot(CLEAN) == clean  # byte-identical, not even rewritten
    assert orders.snapshot(REVENUE) == revenue
    found = orders.statuses()
    assert found["clean_orders"]["status"] == "failed"
    assert "above 1000" in found["clean_orders"]["reason"]
    assert found["daily_revenue"]["status"] == "stale"
    assert found["daily_revenue"]["reason"].startswith("upstream: clean_orders: ")
    assert not list((orders / "data/02_intermediate").glob(".*tmp*"))


def test_a_failed_asset_is_retried_and_recovers_when_the_data_is_fixed(orders) -> None:
    _with_checks(orders, "    - {check: range, column: amount, max: 1000}\n")
    orders.run_ok()
    good = (orders / RAW).read_text()
    orders.append(RAW, BIG_ORDER)
    assert orders.aether("run").returncode == 1
    assert orders.aether("run").returncode == 1  # still failing: retried, not skipped

    (orders / RAW).write_text(good + REAL_ORDER)
    output = orders.run_ok()

    assert "clean_orders succeeded" in output and "daily_revenue succeeded" in output
    assert {e["status"] for e in orders.statuses().values()} == {"fresh"}


def test_a_failing_warn_check_publishes_with_a_warning(orders) -> None:
    _with_checks(orders, "    - {check: range, column: amount, max: 1000, severity: warn}\n")
    orders.run_ok()
    orders.append(RAW, BIG_ORDER)

    result = orders.aether("run")

    assert result.returncode == 0, result.stdout
    assert (
        "5000" in (orders / REVENUE).read_text() or "2026-01-07" in (orders / REVENUE).read_text()
    )
    entry = orders.statuses()["clean_orders"]
    assert entry["status"] == "fresh"
    assert any("above 1000" in w for w in entry["warnings"])
    assert [c["passed"] for c in entry["checks"]] == [False]
    assert "warn: check range" in orders.aether("status").stdout


def test_a_changed_check_runs_on_stored_data_without_rebuilding(orders) -> None:
    _with_checks(orders, "    - {check: range, column: amount, max: 1000}\n")
    orders.run_ok()
    clean = orders.snapshot(CLEAN)

    _set_checks(orders, "max: 1000}", "max: 100}")  # the stored data now violates it
    result = orders.aether("run")

    assert result.returncode == 1
    assert "re-run on stored data" in result.stdout
    assert "clean_orders succeeded" not in result.stdout
    assert orders.snapshot(CLEAN) == clean
    entry = orders.statuses()["clean_orders"]
    assert entry["status"] == "failed"
    assert "above 100" in entry["reason"]


def test_a_changed_check_that_passes_keeps_the_asset_fresh_without_rebuilding(orders) -> None:
    _with_checks(orders, "    - {check: range, column: amount, max: 1000}\n")
    orders.run_ok()
    clean = orders.snapshot(CLEAN)

    _set_checks(orders, "max: 1000}", "max: 2000}")
    output = orders.run_ok()

    assert "succeeded" not in output
    assert orders.snapshot(CLEAN) == clean
    entry = orders.statuses()["clean_orders"]
    assert entry["status"] == "fresh"
    assert [c["passed"] for c in entry["checks"]] == [True]


def test_catalog_describe_shows_checks(orders) -> None:
    _with_checks(orders, "    - {check: not_null, columns: [order_id]}\n")

    result = orders.aether("catalog", "describe", "clean_orders")

    assert result.returncode == 0, result.stderr
    assert "not_null" in result.stdout


# node errors ---------------------------------------------------------------------------------
def test_a_node_that_raises_fails_its_asset_and_keeps_the_previous_version(ran_orders) -> None:
    revenue = ran_orders.snapshot(REVENUE)
    ran_orders.edit(
        REPORTS_PY,
        '    days = orders["ordered_at"]',
        '    raise ValueError("no revenue today")\n    days = orders["ordered_at"]',
    )

    result = ran_orders.aether("run")

    assert result.returncode == 1
    assert "no revenue today" in result.stdout + result.stderr
    assert "Resume with: aether run\n" in result.stdout  # what is fresh is skipped
    assert ran_orders.snapshot(REVENUE) == revenue
    entry = ran_orders.statuses()["daily_revenue"]
    assert entry["status"] == "failed"
    assert "no revenue today" in entry["reason"]
    assert entry["version"]  # the last good materialization is still known
    assert _attempts(ran_orders)[-1][1:] == ("daily_revenue", "failed")


# SIGKILL -------------------------------------------------------------------------------------
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_run_leaves_the_head_and_the_next_run_redoes_the_work(orders, tmp_path) -> None:
    _gate(orders)
    orders.run_ok()
    revenue = orders.snapshot(REVENUE)
    orders.append(RAW, REAL_ORDER)
    gate = tmp_path / "gate"

    child = orders.popen("run", log=tmp_path / "killed.log", env={"ORDERS_TEST_GATE": str(gate)})
    _wait_for(Path(str(gate) + ".started"))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)

    assert child.returncode == -signal.SIGKILL
    assert orders.snapshot(REVENUE) == revenue
    killed_run = _attempts(orders)[-1]
    assert killed_run[1:] == ("daily_revenue", "running")
    entry = orders.statuses()["daily_revenue"]
    assert entry["status"] != "fresh"  # never marked fresh
    assert entry["run_id"] != killed_run[0]
    assert orders.statuses()["clean_orders"]["status"] == "fresh"  # committed before the kill

    output = orders.run_ok()  # takes over the dead run's lock

    assert "daily_revenue succeeded" in output and "clean_orders succeeded" not in output
    statuses = {a[0]: a[2] for a in _attempts(orders) if a[1] == "daily_revenue"}
    assert statuses[killed_run[0]] == "aborted"
    assert orders.snapshot(REVENUE)[0] != revenue[0]
    assert {e["status"] for e in orders.statuses().values()} == {"fresh"}


# the project lock ----------------------------------------------------------------------------
def _hold_the_lock(orders, tmp_path: Path):
    """Start a run that holds the lock (its daily_revenue waits at a gate); yields it."""
    _gate(orders)
    gate = tmp_path / "gate"
    first = orders.popen("run", log=tmp_path / "first.log", env={"ORDERS_TEST_GATE": str(gate)})
    _wait_for(Path(str(gate) + ".started"))
    return first, Path(str(gate) + ".go")


def _stop(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


def test_a_second_run_waits_for_the_first_or_fails_with_no_wait(orders, tmp_path) -> None:
    first, go = _hold_the_lock(orders, tmp_path)
    second = None
    try:
        second = orders.popen("run", log=tmp_path / "second.log")
        waiting = _wait_for_text(tmp_path / "second.log", "waiting for run")
        refused = orders.aether("run", "--no-wait")
        assert second.poll() is None  # still waiting
        go.write_text("go")
        assert first.wait(timeout=60) == 0
        assert second.wait(timeout=60) == 0
    finally:
        _stop(first, second)

    assert f"(pid {first.pid} on host {socket.gethostname()}" in waiting
    assert refused.returncode == 1
    assert "locked by run" in refused.stderr and f"pid {first.pid}" in refused.stderr
    assert not (orders / ".aether/run.lock").exists()
    assert {e["status"] for e in orders.statuses().values()} == {"fresh"}


def test_a_run_that_waited_for_the_lock_plans_from_what_the_holder_did(orders, tmp_path) -> None:
    first, go = _hold_the_lock(orders, tmp_path)
    second = None
    try:
        second = orders.popen("run", log=tmp_path / "second.log")
        _wait_for_text(tmp_path / "second.log", "waiting for run")
        go.write_text("go")
        assert first.wait(timeout=60) == 0
        assert second.wait(timeout=60) == 0
    finally:
        _stop(first, second)

    assert "2 fresh" in (tmp_path / "second.log").read_text()


def test_a_dead_holders_lock_is_taken_over(ran_orders) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = ran_orders / ".aether/run.lock"
    info = {"pid": dead.pid, "host": socket.gethostname(), "run_id": "dead-run", "started_at": 1.0}
    lock.write_text(json.dumps(info))
    (ran_orders / REVENUE).unlink()

    result = ran_orders.aether("run", "--no-wait")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (ran_orders / REVENUE).exists()
    assert not lock.exists()


def test_a_live_holder_on_this_host_is_respected(ran_orders) -> None:
    lock = ran_orders / ".aether/run.lock"
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "run_id": "live-run",
        "started_at": time.time(),  # a holder writes its lock once started, never before
    }
    lock.write_text(json.dumps(info))

    result = ran_orders.aether("run", "--no-wait")

    assert result.returncode == 1
    assert "live-run" in result.stderr and f"pid {os.getpid()}" in result.stderr
    assert ran_orders.aether("status").returncode == 0  # status needs no lock
