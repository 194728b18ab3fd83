"""``aether status``: every asset's status and why, as a table or JSON; ``--history``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aether.assets.memo import EvaluationMemo
    from aether.project.context import AetherContext

from aether.cli.output import console, print_json, print_table, table
from aether.verdicts import Status

_WORDS = {status: status.value for status in Status}
_WHEN = "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}"
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
    from aether.project.context import load_context

    if show_history:
        return history_command(load_context(project, env=env), window, as_json)
    from aether.assets.memo import EvaluationMemo
    from aether.support.collection import collection_paused

    form = "json" if as_json else "table"
    name = f"{pipeline or 'all'}-{form}"
    with collection_paused():  # a look runs none of the project's code
        memo = EvaluationMemo.before_loading(project, env)
        view = _remembered(memo, name, pipeline, form) or _evaluated(
            project, env, pipeline, form, memo
        )
    if as_json:
        print_json({"assets": view["assets"]})
    else:
        print_table(view["title"], _COLUMNS, view["rows"], {1: _STYLE})
    return 1 if exit_code and view["unwell"] else 0


def _remembered(
    memo: EvaluationMemo, name: str, pipeline: str | None, form: str
) -> dict[str, Any] | None:
    """What ``status`` prints, from the last evaluation and without loading the project, if
    nothing it depends on changed since (aether.assets.memo); None otherwise."""
    prior = memo.prior_now()
    if prior is None or prior.changed:
        return None
    memo.settle(prior)
    kept = _usable(memo.view(name, prior), form)
    if kept is not None:
        return kept
    verdicts = prior.verdicts()
    shown = prior.pipelines.get(pipeline) if pipeline is not None else None
    if verdicts is None or (pipeline is not None and shown is None):
        return None  # loading says which pipeline is not there
    statuses = [s for s in verdicts[0].values() if shown is None or s.name in shown]
    view = _view(statuses, form)
    memo.keep_view(name, view, prior.token)
    return view


def _evaluated(
    project: Path | None,
    env: str | None,
    pipeline: str | None,
    form: str,
    looked: EvaluationMemo | None,
) -> dict[str, Any]:
    from aether.assets.memo import EvaluationMemo
    from aether.insight.status_report import pipeline_status
    from aether.project.context import load_context

    ctx = load_context(project, env=env)
    memo = EvaluationMemo.for_context(ctx, looked=looked)
    view = _view(pipeline_status(ctx, pipeline, memo=memo), form)
    if memo.written is not None:  # this evaluation is remembered: so is what it printed
        memo.keep_view(f"{pipeline or 'all'}-{form}", view, memo.written)
    return view


def _view(statuses: list[Any], form: str) -> dict[str, Any]:
    """What ``status`` prints of ``statuses``, in plain values (kept for the next look)."""
    if form == "json":
        view: dict[str, Any] = {"assets": [s.as_dict() for s in statuses]}
    else:
        title, rows = _table(statuses)
        view = {"title": title, "rows": rows}
    view["unwell"] = any(s.status is not Status.FRESH for s in statuses)
    return view


def _usable(view: Any, form: str) -> dict[str, Any] | None:
    """A kept view of the shape this module keeps (a hand-edited file may hold anything:
    then the view is made again)."""
    if not isinstance(view, dict) or not isinstance(view.get("unwell"), bool):
        return None
    if form == "json":
        assets = view.get("assets")
        usable = isinstance(assets, list) and all(isinstance(a, dict) for a in assets)
        return view if usable else None
    rows = view.get("rows")
    if not isinstance(view.get("title"), str) or not isinstance(rows, list):
        return None
    # Cells are printed with str(): a row of the wrong length is all that could break.
    width = len(_COLUMNS)
    if not all(isinstance(row, list) and len(row) == width for row in rows):
        return None
    return view


def _table(statuses: list[Any]) -> tuple[str, list[list[str | None]]]:
    """The table's title and rows."""
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
        word = _WORDS[s.status]
        counts[word] = counts.get(word, 0) + 1
    title = f"{len(statuses)} assets: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    return title, rows


def history_command(ctx: AetherContext, window: str, as_json: bool) -> int:
    from aether.cli.output import option_duration
    from aether.insight.status_report import history
    from aether.support.durations import format_age

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
    # time.gmtime: a third of datetime.strftime's cost, for 10,000 rows.
    return _WHEN.format(*time.gmtime(stamp)[:6])
