"""The reconciliation loop: observe sources, rebuild what is stale, report what waits.

Each tick evaluates statuses in this process (cheap: no user code, hashing only what
changed). When something needs rebuilding it runs ``aether run`` in a fresh process, so
code edited since the loop started is the code that runs. Overdue assets whose sources did
not change are reported ("waiting on raw_orders (unchanged 2d)"), not rebuilt in a loop.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from aether.assets.planner import plan_project_run
from aether.insight.status_report import evaluate, waiting_on
from aether.project.context import load_context


@dataclass
class Tick:
    """What one reconciliation pass saw and did."""

    started: float
    planned: list[str] = field(default_factory=list)
    waiting: dict[str, list[str]] = field(default_factory=dict)
    exit_code: int | None = None  # of the run, when one was needed


def reconcile_once(
    project: Path | None,
    pipeline: str | None,
    env: str | None,
    run_command: Callable[[list[str]], int] | None = None,
) -> Tick:
    """One pass: plan from current statuses; run if anything is missing, stale or failed."""
    tick = Tick(time.time())
    ctx = load_context(project, env=env)
    selected = ctx.pipeline(pipeline)
    with ctx.state_store() as store:
        # Like a run, it reads the sources a look cannot judge: it decides whether to run.
        evaluation = evaluate(ctx, store, record=True, reobserve=True)
    plan = plan_project_run(ctx, selected, selected, evaluation)
    tick.planned = [p.node.name for p in plan.to_run]
    for status in evaluation.statuses.values():
        if status.overdue:
            tick.waiting[status.name] = waiting_on(evaluation, status.name)
    if tick.planned:
        command = [sys.executable, "-m", "aether", "run", "--project", str(ctx.project_path)]
        command += ["--pipeline", selected.name]
        if env:
            command += ["--env", env]
        tick.exit_code = (run_command or _run_child)(command)
    return tick


class Reconciler:
    """Runs :func:`reconcile_once` every ``interval`` seconds until stopped.

    SIGINT/SIGTERM stop it cleanly: a run in progress is asked to stop (SIGINT) and awaited,
    so its atomic writes and state commits finish or roll back as designed.
    """

    def __init__(
        self,
        project: Path | None,
        pipeline: str | None,
        env: str | None,
        interval: float,
        on_tick: Callable[[Tick], None],
    ) -> None:
        self.project, self.pipeline, self.env = project, pipeline, env
        self.interval = interval
        self.on_tick = on_tick
        self.stopping = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None

    def run(self, once: bool = False) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        worst = 0
        try:
            while not self.stopping.is_set():
                tick = reconcile_once(self.project, self.pipeline, self.env, self._run_child)
                worst = max(worst, tick.exit_code or 0)
                self.on_tick(tick)
                if once:
                    return tick.exit_code or 0
                self.stopping.wait(self.interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0 if self.stopping.is_set() else worst

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signal.SIGINT)

    def _run_child(self, command: list[str]) -> int:
        self._child = subprocess.Popen(command)
        try:
            return self._child.wait()
        finally:
            self._child = None


def _run_child(command: list[str]) -> int:
    return subprocess.call(command)
