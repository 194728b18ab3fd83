"""`run_pipeline`: a run's steps (`prepare_run`, then `execute_run` or `dry_run`) chained in
one call, with the keyword arguments `aether run` has options for."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, overload

from aether.engine.events import RunListener
from aether.engine.plan import Plan, RunReporter, RunResult
from aether.engine.runners import create_runner
from aether.project.context import AetherContext
from aether.run.execution import RunOptions, execute_run
from aether.run.execution import dry_run as dry_run_step  # `dry_run` is an argument here
from aether.run.preparation import Selection, prepare_run


@overload
def run_pipeline(
    project_path: str | Path | None = None,
    pipeline: str | None = None,
    *,
    env: str | None = None,
    params: Mapping[str, Any] | None = None,
    runner: str = "sequential",
    max_workers: int | None = None,
    nodes: Iterable[str] = (),
    from_nodes: Iterable[str] = (),
    to_nodes: Iterable[str] = (),
    tags: Iterable[str] = (),
    force: bool = False,
    dry_run: Literal[False] = False,
    track: bool = True,
    wait_for_lock: bool = True,
    on_lock_wait: Callable[[Any], None] | None = None,
    reporter: RunReporter | None = None,
    context: AetherContext | None = None,
    listeners: Iterable[RunListener] = (),
) -> RunResult: ...


@overload
def run_pipeline(
    project_path: str | Path | None = None,
    pipeline: str | None = None,
    *,
    env: str | None = None,
    params: Mapping[str, Any] | None = None,
    runner: str = "sequential",
    max_workers: int | None = None,
    nodes: Iterable[str] = (),
    from_nodes: Iterable[str] = (),
    to_nodes: Iterable[str] = (),
    tags: Iterable[str] = (),
    force: bool = False,
    dry_run: Literal[True],
    track: bool = True,
    wait_for_lock: bool = True,
    on_lock_wait: Callable[[Any], None] | None = None,
    reporter: RunReporter | None = None,
    context: AetherContext | None = None,
    listeners: Iterable[RunListener] = (),
) -> Plan: ...


def run_pipeline(
    project_path: str | Path | None = None,
    pipeline: str | None = None,
    *,
    env: str | None = None,
    params: Mapping[str, Any] | None = None,
    runner: str = "sequential",
    max_workers: int | None = None,
    nodes: Iterable[str] = (),
    from_nodes: Iterable[str] = (),
    to_nodes: Iterable[str] = (),
    tags: Iterable[str] = (),
    force: bool = False,
    dry_run: bool = False,
    track: bool = True,
    wait_for_lock: bool = True,
    on_lock_wait: Callable[[Any], None] | None = None,
    reporter: RunReporter | None = None,
    context: AetherContext | None = None,
    listeners: Iterable[RunListener] = (),
) -> RunResult | Plan:
    """Run a project's pipeline, as `aether run` does: only what is missing, stale or failed.

    Args:
        project_path: The project folder; None looks upward from the current directory.
        pipeline: The pipeline to run; None runs the default one.
        env: The configuration environment (default: `AETHER_ENV`, else `local`).
        params: Overrides of existing parameters by dotted key (`{"cleaning.min_amount": 10}`).
        runner: `sequential` or `parallel` (worker processes).
        max_workers: Worker processes of the parallel runner (default: one per CPU).
        nodes: Run these nodes only.
        from_nodes: Run these nodes and everything downstream of them.
        to_nodes: Run these nodes and everything upstream of them.
        tags: Run the nodes that have one of these tags.
        force: Rebuild every selected node, stale or not.
        dry_run: Return the plan instead of running it (`dry_run()` has one return type).
        track: False runs everything and remembers nothing (no state store, no lock).
        wait_for_lock: Wait while another run holds the project lock; False raises `LockError`.
        on_lock_wait: Called once, with who holds the lock, when the run starts waiting.
        reporter: Receives progress events (see `RunReporter`).
        context: An already loaded context; `project_path`, `env` and `params` are ignored.
        listeners: Receive every event of the run, in order (see `RunListener` and the
            events page); what one raises is logged and the run goes on.

    Returns:
        A `RunResult` (a failed node does not raise: check `succeeded`), or with `dry_run` a `Plan`.

    Raises:
        AetherError: The project, its configuration, the selection or the runner is wrong.
    """
    selection = Selection(tuple(nodes), tuple(from_nodes), tuple(to_nodes), tuple(tags))
    options = RunOptions(
        runner, max_workers, force, track, wait_for_lock, on_lock_wait, reporter, tuple(listeners)
    )
    return _run_steps(project_path, pipeline, env, params, context, selection, options, dry_run)


def _run_steps(
    project_path: str | Path | None,
    pipeline: str | None,
    env: str | None,
    params: Mapping[str, Any] | None,
    context: AetherContext | None,
    selection: Selection,
    options: RunOptions,
    plan_only: bool,
) -> RunResult | Plan:
    setup = prepare_run(
        project_path, pipeline, env=env, params=params, selection=selection, context=context
    )
    # A bad --runner/--workers is refused before any state is touched, and after the
    # project's own mistakes (which `prepare_run` reports first).
    create_runner(options.runner, options.max_workers)
    if plan_only:
        return dry_run_step(setup, force=options.force, track=options.track)
    return execute_run(setup, options)
