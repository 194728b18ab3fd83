"""``aether status``: every asset's status and why, as a table or JSON; ``--history``."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aether.project import AetherContext

from aether.cli.output import console, print_json, print_table, table
from aether.verdicts import Status

_COLUMNS = ["asset", "status", "materialized (UTC)", "run", "why"]
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

    if show_history:
        return history_command(load_context(project, env=env), window, as_json)
    form = "json" if as_json else "table"
    view = _cached_view(project, env, pipeline, form) or _evaluated_view(
        project, env, pipeline, form
    )
    if as_json:
        print_json({"assets": view["assets"]})
    else:
        print_table(view["title"], _COLUMNS, view["rows"], {1: _STYLE})
    return 1 if exit_code and view["unwell"] else 0


def _cached_view(project: Path | None, env: str | None, pipeline: str | None, form: str) -> Any:
    """What the last look computed, if nothing it depends on changed (aether.status_cache)."""
    from aether import status_cache
    from aether.project import choose_env, find_project_root, read_settings

    root = find_project_root(project)
    settings = read_settings(root)
    chosen_env, _ = choose_env(env, settings)
    source_dir = str(settings.get("source_dir", "src"))
    return status_cache.read(root, chosen_env, f"{pipeline or 'all'}-{form}", source_dir)


def _evaluated_view(
    project: Path | None, env: str | None, pipeline: str | None, form: str
) -> dict[str, Any]:
    from aether import status_cache
    from aether.project import load_context
    from aether.status import pipeline_status

    looked_at = time.time()
    ctx = load_context(project, env=env)
    statuses = pipeline_status(ctx, pipeline)
    view = _json_view(statuses) if form == "json" else _table_view(statuses)
    view["unwell"] = any(s.status is not Status.FRESH for s in statuses)
    status_cache.write(ctx, f"{pipeline or 'all'}-{form}", statuses, view, looked_at=looked_at)
    return view


def _json_view(statuses: list[Any]) -> dict[str, Any]:
    return {"assets": [s.as_dict() for s in statuses]}


def _table_view(statuses: list[Any]) -> dict[str, Any]:
    """The table's title and rows (only what the table shows: cheaper than the JSON)."""
    rows = []
    counts: dict[str, int] = {}
    for s in statuses:
        label = s.status.value + (" (source)" if s.is_source else "")
        detail = "" if s.reason is None else s.reason.text
        if s.warnings:
            detail = "; ".join(filter(None, [detail, *(f"warn: {w}" for w in s.warnings)]))
        rows.append([s.name, label, _when(s.last_materialized), s.run_id, detail])
        counts[s.status.value] = counts.get(s.status.value, 0) + 1
    title = f"{len(statuses)} assets: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    return {"title": title, "rows": rows}


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
