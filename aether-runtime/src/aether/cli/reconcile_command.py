"""``aether reconcile``: keep assets current, on an interval or once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from aether.cli.output import console


def reconcile_command(
    project: Path | None, env: str | None, pipeline: str | None, interval: str, once: bool
) -> int:
    from aether.cli.output import option_duration
    from aether.reconcile import Reconciler, Tick

    seconds = option_duration(interval, "--interval")

    def report(tick: Tick) -> None:
        stamp = datetime.fromtimestamp(tick.started).strftime("%H:%M:%S")
        if tick.planned:
            outcome = "ok" if tick.exit_code == 0 else f"exit {tick.exit_code}"
            console().print(f"{stamp} rebuilt {', '.join(tick.planned)} ({outcome})", markup=False)
        else:
            console().print(f"{stamp} all assets current", markup=False)
        for asset, sources in tick.waiting.items():
            console().print(
                f"{stamp} {asset} is overdue: waiting on {', '.join(sources) or 'its inputs'}",
                markup=False,
            )

    reconciler = Reconciler(project, pipeline, env, seconds, report)
    return reconciler.run(once=once)
