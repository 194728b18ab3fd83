"""``aether lineage`` trees and ``aether reconcile`` (once, and a loop stopped by SIGTERM)."""

from __future__ import annotations

import json
import signal
import sys
import time

import pytest

RAW = "data/01_raw/orders.csv"
REVENUE = "data/08_reporting/daily_revenue.csv"
REPORTS_PY = "src/orders_demo/nodes/reports.py"


# lineage -------------------------------------------------------------------------------------
def test_upstream_lineage_is_a_tree_down_to_the_source(orders) -> None:
    result = orders.aether("lineage", "daily_revenue")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("daily_revenue asset")
    assert "clean_orders asset  via node daily_revenue" in lines[1]
    assert "raw_orders source  via node clean_orders" in lines[2]
    assert lines[2].index("raw_orders") > lines[1].index("clean_orders")  # nested


def test_downstream_lineage_lists_what_depends_on_a_source(orders) -> None:
    result = orders.aether("lineage", "raw_orders", "--downstream")

    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.index("raw_orders") < text.index("clean_orders") < text.index("daily_revenue")


def test_lineage_json(orders) -> None:
    up = json.loads(orders.aether("lineage", "daily_revenue", "--json").stdout)
    down = json.loads(orders.aether("lineage", "raw_orders", "--downstream", "--json").stdout)

    assert up == {
        "direction": "upstream",
        "dataset": "daily_revenue",
        "children": [
            {
                "dataset": "clean_orders",
                "node": "daily_revenue",
                "children": [{"dataset": "raw_orders", "node": "clean_orders"}],
            }
        ],
    }
    assert down["direction"] == "downstream"
    assert down["children"][0]["dataset"] == "clean_orders"
    assert down["children"][0]["children"][0] == {
        "dataset": "daily_revenue",
        "node": "daily_revenue",
    }


def test_an_unknown_asset_suggests_the_nearest_name(orders) -> None:
    result = orders.aether("lineage", "daily_revenu")

    assert result.returncode == 2
    assert "no dataset 'daily_revenu'" in result.stderr
    assert "did you mean 'daily_revenue'?" in result.stderr


# reconcile -----------------------------------------------------------------------------------
def test_reconcile_once_rebuilds_what_is_stale(ran_orders) -> None:
    ran_orders.append(RAW, "2000,dora,2026-01-07 11:00,42.0,EUR,false\n")
    revenue = ran_orders.snapshot(REVENUE)

    result = ran_orders.aether("reconcile", "--once")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuilt clean_orders, daily_revenue (ok)" in result.stdout
    assert "Run " in result.stdout  # the child `aether run` printed its summary
    assert ran_orders.snapshot(REVENUE) != revenue
    assert {e["status"] for e in ran_orders.statuses().values()} == {"fresh"}


def test_reconcile_once_runs_current_code_in_a_child_process(ran_orders) -> None:
    ran_orders.edit(
        REPORTS_PY, 'report["currency"] = currency', 'report["currency"] = currency.lower()'
    )

    result = ran_orders.aether("reconcile", "--once")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuilt daily_revenue (ok)" in result.stdout
    assert ",eur" in (ran_orders / REVENUE).read_text()


def test_reconcile_once_with_nothing_to_do(ran_orders) -> None:
    result = ran_orders.aether("reconcile", "--once")

    assert result.returncode == 0
    assert "all assets current" in result.stdout


def test_reconcile_once_exits_with_the_failed_runs_code(ran_orders) -> None:
    ran_orders.edit(
        REPORTS_PY,
        '    days = orders["ordered_at"]',
        '    raise ValueError("broken")\n    days = orders["ordered_at"]',
    )

    result = ran_orders.aether("reconcile", "--once")

    assert result.returncode == 1
    assert "rebuilt daily_revenue (exit 1)" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_the_reconcile_loop_stops_cleanly_on_sigterm(ran_orders, tmp_path) -> None:
    log = tmp_path / "reconcile.log"
    loop = ran_orders.popen("reconcile", "--interval", "1s", log=log)
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("all assets current") < 2:  # it loops
            assert loop.poll() is None, f"reconcile ended early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no second pass in 60 s:\n{log.read_text()}"
            time.sleep(0.1)
        loop.send_signal(signal.SIGTERM)
        code = loop.wait(timeout=10)
    finally:
        if loop.poll() is None:
            loop.kill()
            loop.wait()

    assert code == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def test_the_reconcile_loop_rebuilds_what_goes_stale_while_it_runs(ran_orders, tmp_path) -> None:
    log = tmp_path / "reconcile.log"
    loop = ran_orders.popen("reconcile", "--interval", "1s", log=log)
    try:
        deadline = time.monotonic() + 60
        while "all assets current" not in log.read_text():
            assert time.monotonic() < deadline, f"no first pass in 60 s:\n{log.read_text()}"
            time.sleep(0.1)
        (ran_orders / REVENUE).unlink()
        while "rebuilt daily_revenue (ok)" not in log.read_text():
            assert loop.poll() is None and time.monotonic() < deadline, (
                f"reconcile ended or did not rebuild daily_revenue in 60 s:\n{log.read_text()}"
            )
            time.sleep(0.1)
        loop.send_signal(signal.SIGINT)
        assert loop.wait(timeout=10) == 0
    finally:
        if loop.poll() is None:
            loop.kill()
            loop.wait()

    assert (ran_orders / REVENUE).exists()
