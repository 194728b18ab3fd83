"""``aether reconcile``: keep assets current, on an interval or once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from aether.cli.output import console
from aether.errors import ConfigError

MIN_INTERVAL = 1.0
MAX_INTERVAL = 366 * 86400.0


def reconcile_command(
    project: Path | None, env: str | None, pipeline: str | None, interval: str, once: bool
) -> int:
    from aether.cli.output import option_duration
    from aether.run.reconcile import Reconciler, Tick

    seconds = option_duration(interval, "--interval")
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        # Below a second each pass starts as the last ends (a busy loop on the state store);
        # past the platform's time_t, the wait itself overflows after the first pass.
        raise ConfigError(
            f"--interval {interval!r} is outside 1s..366d",
            hint="pick an interval between a second and a year, e.g. 30s, 5m, 1h",
        )

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
