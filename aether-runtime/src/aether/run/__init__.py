"""A run in named steps, and `run_pipeline`, which chains them — the whole of a run.

`run_pipeline(request)` and `dry_run(request)` take a `RunRequest` (project, pipeline,
environment, `Selection`, `RunOptions`) and are what ``aether run`` calls; the steps:

1. `prepare_run` loads the project, selects the nodes and validates them (`RunSetup`);
2. `plan_run` decides what must rebuild and why, from the state store (`Plan`);
   `dry_run` stops there;
3. `execute_run` takes the project lock, plans again on the state it finds, runs the
   plan (`execute_plan`) and records statuses and transitions (`RunResult`).

This is the library behind ``aether run``; it returns data and raises AetherErrors, and
never prints.
"""

from __future__ import annotations

from aether.run.chain import dry_run, run_pipeline
from aether.run.execution import RunOptions, execute_plan, execute_run, plan_run
from aether.run.logging_setup import RedactingFilter, configure_logging
from aether.run.preparation import RunSetup, Selection, prepare_run, select_nodes
from aether.run.request import RunRequest

__all__ = [
    "RedactingFilter",
    "RunOptions",
    "RunRequest",
    "RunSetup",
    "Selection",
    "configure_logging",
    "dry_run",
    "execute_plan",
    "execute_run",
    "plan_run",
    "prepare_run",
    "run_pipeline",
    "select_nodes",
]
