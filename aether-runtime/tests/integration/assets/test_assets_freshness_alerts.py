"""Freshness on data time, overdue assets that wait for their sources, history, alerts."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from aether.state.sqlite import SQLiteStateStore

RAW = "data/01_raw/orders.csv"
REVENUE = "data/08_reporting/daily_revenue.csv"
CATALOG = "conf/base/catalog.yml"
REPORTS_PY = "src/orders_demo/nodes/reports.py"
REVENUE_ENTRY = "daily_revenue:\n  type: PandasCsvDataSet\n"
TWO_DAYS = 2 * 86400
BREAK = (
    '    days = orders["ordered_at"]',
    '    raise ValueError("broken")\n    days = orders["ordered_at"]',
)


def _freshness(project, asset_entry: str, spec: str) -> None:
    project.edit(CATALOG, asset_entry, asset_entry + f"  freshness: {spec}\n")


def _backdate_source(project, seconds: float) -> None:
    """Pretend raw_orders' current version was first seen ``seconds`` ago."""
    with SQLiteStateStore(project / ".aether/state.db") as store:
        seen = store.source_observations(["raw_orders"])["raw_orders"]
        store.record_source_observation(
            "raw_orders", seen.version, seen.signature, seen.first_seen - seconds, seen.observed_at
        )


def _backdate_history(project, seconds: float) -> None:
    """Pretend every state change recorded so far happened ``seconds`` earlier."""
    with closing(sqlite3.connect(project / ".aether/state.db")) as db, db:
        db.execute("UPDATE transitions SET at = at - ?", (seconds,))


def _overdue_revenue(orders):
    _freshness(orders, REVENUE_ENTRY, "{warn_after: 1h, error_after: 1d}")
    assert orders.aether("status").returncode == 0  # first sight of raw_orders
    _backdate_source(orders, TWO_DAYS)
    orders.run_ok()  # materialized from 2-day-old data
    return orders


def test_an_asset_built_from_old_data_is_overdue_and_not_rebuilt(orders) -> None:
    _overdue_revenue(orders)
    revenue = orders.snapshot(REVENUE)

    found = orders.statuses()
    output = orders.run_ok()

    assert found["daily_revenue"]["status"] == "stale"
    assert found["daily_revenue"]["reason"] == "overdue: data is 2d old (error_after 1d)"
    assert found["clean_orders"]["status"] == "fresh"  # no freshness declared
    assert "succeeded" not in output
    assert orders.snapshot(REVENUE) == revenue
    assert orders.aether("status", "--exit-code").returncode == 1


def test_reconcile_reports_what_an_overdue_asset_waits_on(orders) -> None:
    _overdue_revenue(orders)

    result = orders.aether("reconcile", "--once")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "daily_revenue is overdue: waiting on raw_orders (unchanged 2d)" in result.stdout
    assert "all assets current" in result.stdout  # nothing rebuilt in a loop


def test_new_source_data_ends_the_wait(orders) -> None:
    _overdue_revenue(orders)
    orders.append(RAW, "2000,dora,2026-01-07 11:00,42.0,EUR,false\n")

    output = orders.run_ok()

    assert "daily_revenue succeeded" in output
    assert {e["status"] for e in orders.statuses().values()} == {"fresh"}


def test_an_old_source_with_freshness_is_overdue_itself(orders) -> None:
    _freshness(orders, "raw_orders:\n  type: PandasCsvDataSet\n", "{error_after: 1d}")
    orders.run_ok()
    _backdate_source(orders, 3 * 86400)

    found = orders.statuses()

    assert found["raw_orders"]["status"] == "stale"
    assert found["raw_orders"]["reason"].startswith("overdue: data is 3d old")
    assert found["clean_orders"]["status"] == "fresh"  # overdue is not a change upstream


def test_warn_after_only_warns(orders) -> None:
    _freshness(orders, REVENUE_ENTRY, "{warn_after: 1m}")
    assert orders.aether("status").returncode == 0  # first sight of raw_orders
    _backdate_source(orders, 120)  # the data is 2 minutes old: no waiting for it to age
    orders.run_ok()

    entry = orders.statuses()["daily_revenue"]

    assert entry["status"] == "fresh"
    assert any("warn_after 1m" in w for w in entry["warnings"])


def test_a_freshness_duration_that_is_not_understood_is_a_config_error(orders) -> None:
    orders.run_ok()
    _freshness(orders, REVENUE_ENTRY, "{error_after: soon}")

    result = orders.aether("status")

    assert result.returncode == 2
    assert "soon" in result.stderr and "30m, 1h" in result.stderr


# history -------------------------------------------------------------------------------------
def test_history_shows_an_incident_with_its_downtime_after_failure_and_recovery(ran_orders) -> None:
    ran_orders.edit(REPORTS_PY, *BREAK)
    assert ran_orders.aether("run").returncode == 1
    _backdate_history(ran_orders, 120)  # failed for 2 minutes, without waiting for them
    ran_orders.edit(REPORTS_PY, BREAK[1], BREAK[0])
    ran_orders.run_ok()

    data = json.loads(ran_orders.aether("status", "--history", "--json").stdout)
    table = ran_orders.aether("status", "--history", "--window", "1d").stdout

    records = {r["asset"]: r for r in data["assets"]}
    revenue = records["daily_revenue"]
    assert [i["status"] for i in revenue["incidents"]] == ["failed"]
    incident = revenue["incidents"][0]
    assert incident["ended"] is not None and incident["seconds"] >= 120
    assert revenue["downtime_seconds"] >= 120
    assert revenue["mean_time_to_recover_seconds"] >= 120
    assert records["clean_orders"]["incidents"] == []
    assert data["window_seconds"] == 7 * 86400
    assert "Data downtime over the last 1d" in table
    assert "failed at" in table


def test_an_ongoing_incident_is_open(ran_orders) -> None:
    ran_orders.edit(REPORTS_PY, *BREAK)
    assert ran_orders.aether("run").returncode == 1

    data = json.loads(ran_orders.aether("status", "--history", "--json").stdout)

    revenue = next(r for r in data["assets"] if r["asset"] == "daily_revenue")
    assert revenue["incidents"][-1]["ended"] is None
    assert "(open)" in ran_orders.aether("status", "--history").stdout


# alerts --------------------------------------------------------------------------------------
SECRET_PATH = "/hooks/T0KEN-RECOGNISABLE-4242"


def _webhook(project, server: HTTPServer, events: str = "") -> str:
    url = server.url_for(SECRET_PATH)
    on = f", on: [{events}]" if events else ""
    (project / "conf/base/alerts.yml").write_text(f"webhook: {{url: '{url}'{on}}}\n")
    return url


def test_a_failing_run_posts_the_asset_and_event_to_the_webhook(
    ran_orders, httpserver: HTTPServer
) -> None:
    received: list[dict] = []

    def handler(request: Request) -> Response:
        received.append(json.loads(request.get_data()))
        return Response("ok")

    httpserver.expect_request(SECRET_PATH, method="POST").respond_with_handler(handler)
    _webhook(ran_orders, httpserver)
    ran_orders.edit(REPORTS_PY, *BREAK)

    assert ran_orders.aether("run").returncode == 1

    assert len(received) == 1
    alerts = received[0]["alerts"]
    assert received[0]["project"] == "orders"
    assert [(a["asset"], a["event"], a["status"]) for a in alerts] == [
        ("daily_revenue", "failed", "failed")
    ]
    assert "broken" in alerts[0]["reason"]


def test_nothing_is_posted_when_nothing_went_down(ran_orders, httpserver: HTTPServer) -> None:
    httpserver.expect_request(SECRET_PATH, method="POST").respond_with_data("ok")
    _webhook(ran_orders, httpserver)
    ran_orders.append(RAW, "2000,dora,2026-01-07 11:00,42.0,EUR,false\n")

    ran_orders.run_ok()

    assert httpserver.log == []


def test_a_webhook_answering_500_fails_nothing_and_its_url_is_never_printed(
    orders, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(SECRET_PATH, method="POST").respond_with_data("no", status=500)
    url = _webhook(orders, httpserver, "failed, recovered")

    good = orders.aether("run")
    orders.edit(REPORTS_PY, *BREAK)
    bad = orders.aether("run")

    assert good.returncode == 0, good.stdout + good.stderr
    assert bad.returncode == 1  # the node's failure, not the webhook's
    assert len(httpserver.log) == 2
    for result in (good, bad):
        output = result.stdout + result.stderr
        assert "HTTP 500" in output
        assert url not in output and "T0KEN" not in output


def test_an_unreachable_webhook_fails_nothing(orders) -> None:
    (orders / "conf/base/alerts.yml").write_text(
        "webhook: {url: 'http://127.0.0.1:9/T0KEN-secret', on: [recovered]}\n"
    )

    result = orders.aether("run")

    assert result.returncode == 0, result.stderr
    assert "unreachable" in result.stdout + result.stderr
    assert "T0KEN" not in result.stdout + result.stderr


def test_validate_reports_a_bad_freshness_duration_before_any_run(orders) -> None:
    _freshness(orders, REVENUE_ENTRY, "{error_after: soon}")

    result = orders.aether("validate")

    assert result.returncode == 2
    assert "daily_revenue" in result.stderr and "'soon'" in result.stderr
