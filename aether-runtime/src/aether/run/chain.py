"""`run_pipeline` and `dry_run`: a run's steps (`prepare_run`, then `execute_run` or the
plan alone) chained for one `RunRequest` — the front door every caller uses, `aether run`
included."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, overload

from aether.engine.events import RunListener
from aether.engine.plan import Plan, RunReporter, RunResult
from aether.engine.runners import create_runner
from aether.project.context import AetherContext
from aether.run import shortcut
from aether.run.execution import RunOptions, execute_run
from aether.run.execution import dry_run as plan_setup
from aether.run.preparation import RunSetup, prepare_run
from aether.run.request import RunRequest


@overload
def run_pipeline(request: RunRequest, /) -> RunResult: ...


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
    project_path: RunRequest | str | Path | None = None,
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

    Give it a `RunRequest` (`run_pipeline(request)`), or the same things as keywords (a
    convenience that builds the request): `run_pipeline("path", "orders", force=True)`.
    A run with nothing to do may be answered from the note the last same run left, without
    loading the project (see `RunRequest.answer_from_memo`).

    Args:
        project_path: A `RunRequest` (then give nothing else), or the project folder; None
            looks upward from the current directory.
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
        dry_run: Deprecated (it changes the return type): call `dry_run()`, which returns
            the `Plan`.
        track: False runs everything and remembers nothing (no state store, no lock).
        wait_for_lock: Wait while another run holds the lock; False raises `LockError`.
        on_lock_wait: Called once, with who holds the lock, when the run starts waiting.
        reporter: Receives progress events (see `RunReporter`).
        context: An already loaded context (then leave `project_path`, `env` and `params`
            out: a `TypeError` says so).
        listeners: Receive every event of the run, in order (see `RunListener` and the
            events page); what one raises is logged and the run goes on.

    Returns:
        A `RunResult` (a failed node does not raise: check `succeeded`).

    Raises:
        AetherError: The project, its configuration, the selection or the runner is wrong.
    """
    if context is not None and (
        isinstance(project_path, (str, Path)) or env is not None or params is not None
    ):
        # Dropping them quietly would run on other parameters than the caller asked for.
        raise TypeError(
            "run_pipeline(context=...) runs an already loaded project: its env and params "
            "were applied by load_context(); leave project_path, env and params out, or "
            "pass the project's path instead of its context"
        )
    asked = RunRequest.for_project(
        context if context is not None else _path_or_none(project_path),
        pipeline,
        env=env,
        params=params,
        nodes=nodes,
        from_nodes=from_nodes,
        to_nodes=to_nodes,
        tags=tags,
        runner=runner,
        max_workers=max_workers,
        force=force,
        track=track,
        wait_for_lock=wait_for_lock,
        on_lock_wait=on_lock_wait,
        reporter=reporter,
        listeners=listeners,
    )
    if isinstance(project_path, RunRequest):
        if dry_run or asked != RunRequest():
            raise TypeError("run_pipeline(request) takes the RunRequest alone, no keywords")
        return _run(project_path)
    if dry_run:
        warnings.warn(
            "run_pipeline(..., dry_run=True) is deprecated: call aether.run.dry_run(...), "
            "which returns the Plan (run_pipeline always returns a RunResult)",
            DeprecationWarning,
            stacklevel=2,
        )
        return _plan(asked)
    return _run(asked)


def dry_run(
    request: RunRequest | RunSetup, *, force: bool | None = None, track: bool | None = None
) -> Plan:
    """The plan a run would execute now, with reasons; nothing runs and no lock is taken.

    Args:
        request: What to plan: a `RunRequest` (its `options.force` and `options.track`
            apply), or the `RunSetup` `prepare_run()` returned.
        force: Plan every selected node, stale or not (default: the request's, else False).
        track: False plans every selected node, as an untracked run would do (default: the
            request's, else True).

    Returns:
        The plan, with the nodes to run (in order) and those left alone, each with a reason.

    Raises:
        AetherError: The project, its configuration, the selection or the runner is wrong,
            or the transformation of a node to run cannot be imported.
    """
    if isinstance(request, RunSetup):
        return plan_setup(request, force=bool(force), track=True if track is None else track)
    options = request.options
    return _plan(
        RunRequest(
            request.project,
            request.pipeline,
            request.env,
            request.params,
            request.selection,
            RunOptions(
                options.runner,
                options.max_workers,
                options.force if force is None else force,
                options.track if track is None else track,
            ),
        )
    )


def _path_or_none(project: RunRequest | str | Path | None) -> str | Path | None:
    return None if isinstance(project, RunRequest) else project


def _run(request: RunRequest) -> RunResult:
    started = time.perf_counter()
    options = request.options
    create_runner(options.runner, options.max_workers)  # a bad runner: refused before anything
    memo, key = None, ""
    if request.may_answer_from_memo():
        key = shortcut.request_key(request.pipeline, request.params, request.selection)
        memo, known = shortcut.look_first(
            request.project_path, request.env, request.params, key, started,
            answer=not options.force and not options.load_versions,
        )  # fmt: skip
        if known is not None:
            return known
    outcome = execute_run(_prepare(request), options)
    if memo is not None:
        shortcut.remember(outcome, key, memo)
    return outcome


def _plan(request: RunRequest) -> Plan:
    options = request.options
    setup = _prepare(request)
    # A bad runner is refused after the project's own mistakes, as a run would refuse it.
    create_runner(options.runner, options.max_workers)
    setup.ctx.catalog.pin_versions(options.load_versions)
    force = options.force or bool(options.load_versions)
    return plan_setup(setup, force=force, track=options.track)


def _prepare(request: RunRequest) -> RunSetup:
    return prepare_run(
        request.project_path,
        request.pipeline,
        env=request.env,
        params=request.params,
        selection=request.selection,
        context=request.context,
    )
