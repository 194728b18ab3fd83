"""``aether status``: every asset's status and why, as a table or JSON; ``--history``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aether.project import AetherContext
    from aether.status_cache import Look

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
    from aether import status_cache

    form = "json" if as_json else "table"
    name = f"{pipeline or 'all'}-{form}"
    look = status_cache.look_at(project, env)  # before anything is evaluated
    view = _usable(status_cache.answer(look, name), form) or _evaluated_view(
        look, project, env, pipeline, form
    )
    if as_json:
        print_json({"assets": view["assets"]})
    else:
        print_table(view["title"], _COLUMNS, view["rows"], {1: _STYLE})
    return 1 if exit_code and view["unwell"] else 0


def _usable(view: Any, form: str) -> dict[str, Any] | None:
    """A cached view of the shape this module stores (a hand-edited cache file may hold
    anything: then the project is evaluated)."""
    if not isinstance(view, dict) or not isinstance(view.get("unwell"), bool):
        return None
    if form == "json":
        assets = view.get("assets")
        usable = isinstance(assets, list) and all(isinstance(a, dict) for a in assets)
        return view if usable else None
    rows = view.get("rows")
    if not isinstance(view.get("title"), str) or not isinstance(rows, list):
        return None
    cells = [cell for row in rows if isinstance(row, list) for cell in row]
    if len(cells) != len(rows) * len(_COLUMNS) or not all(_is_cell(c) for c in cells):
        return None
    return view


def _is_cell(cell: Any) -> bool:
    return cell is None or isinstance(cell, str)


def _evaluated_view(
    look: Look, project: Path | None, env: str | None, pipeline: str | None, form: str
) -> dict[str, Any]:
    from aether import status_cache
    from aether.project import load_context
    from aether.status import pipeline_status

    ctx = load_context(project, env=env)
    look = look.with_data(ctx)
    statuses = pipeline_status(ctx, pipeline)
    view = _json_view(statuses) if form == "json" else _table_view(statuses)
    view["unwell"] = any(s.status is not Status.FRESH for s in statuses)
    status_cache.write(ctx, f"{pipeline or 'all'}-{form}", statuses, view, look)
    return view


def _json_view(statuses: list[Any]) -> dict[str, Any]:
    return {"assets": [s.as_dict() for s in statuses]}


def _table_view(statuses: list[Any]) -> dict[str, Any]:
    """The table's title and rows (only what the table shows: cheaper than the JSON)."""
    rows = []
    counts: dict[str, int] = {}
    for s in statuses:
        label = s.verdict + (" (source)" if s.is_source else "")
        detail = "" if s.reason is None else s.reason.text
        if s.as_last_observed is not None and s.as_last_observed not in s.warnings:
            detail = "; ".join(filter(None, [detail, s.as_last_observed]))
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
