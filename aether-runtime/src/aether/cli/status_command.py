"""``aether status``: every asset's status and why, as a table or JSON; ``--history``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aether.project import AetherContext

from aether.cli.output import console, print_json, print_table, table
from aether.verdicts import Status

_STYLE = {
    Status.FRESH.value: "green",
    Status.STALE.value: "yellow",
    Status.MISSING.value: "magenta",
    Status.FAILED.value: "red",
}


def status_command(
    project: Path | None,
    env: str | None,
    pipeline: str | None,
    as_json: bool,
    exit_code: bool,
    show_history: bool,
    window: str,
) -> int:
    from aether.project import load_context
    from aether.status import pipeline_status

    ctx = load_context(project, env=env)
    if show_history:
        return history_command(ctx, window, as_json)
    statuses = pipeline_status(ctx, pipeline)
    if as_json:
        print_json({"assets": [s.as_dict() for s in statuses]})
    else:
        rows = []
        for s in statuses:
            label = s.status.value + (" (source)" if s.is_source else "")
            detail = "" if s.reason is None else s.reason.text
            if s.warnings:
                detail = "; ".join(filter(None, [detail, *(f"warn: {w}" for w in s.warnings)]))
            rows.append([s.name, label, _when(s.last_materialized), s.run_id, detail])
        counts: dict[str, int] = {}
        for s in statuses:
            counts[s.status.value] = counts.get(s.status.value, 0) + 1
        title = f"{len(statuses)} assets: " + ", ".join(f"{n} {k}" for k, n in counts.items())
        columns = ["asset", "status", "materialized (UTC)", "run", "why"]
        print_table(title, columns, rows, {1: _STYLE})
    if exit_code and any(s.status is not Status.FRESH for s in statuses):
        return 1
    return 0


def history_command(ctx: AetherContext, window: str, as_json: bool) -> int:
    from aether.cli.output import option_duration
    from aether.durations import format_age
    from aether.status import history

    seconds = option_duration(window, "--window")
    with ctx.state_store() as store:
        records = history(store.transitions(), seconds)
    if as_json:
        print_json({"window_seconds": seconds, "assets": [r.as_dict() for r in records.values()]})
        return 0
    rows = []
    for record in sorted(records.values(), key=lambda r: -r.downtime):
        mttr = record.mean_time_to_recover
        rows.append(
            [
                record.asset,
                len(record.incidents),
                format_age(record.downtime) if record.downtime else "0s",
                format_age(mttr) if mttr is not None else "-",
                "; ".join(_incident(i, format_age) for i in record.incidents[-3:]),
            ]
        )
    title = f"Data downtime over the last {window}"
    columns = ["asset", "incidents", "downtime", "time to recover", "latest incidents"]
    console().print(table(title, columns, rows))
    return 0


def _incident(incident: Any, format_age: Any) -> str:
    length = "open" if incident.ended is None else format_age(incident.duration)
    return f"{incident.status} at {_when(incident.started)} ({length})"


def _when(stamp: float | None) -> str:
    if stamp is None:
        return ""
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
