"""A run in named steps, and `run_pipeline`, which chains them — the whole of a run.

1. `prepare_run` loads the project, selects the nodes and validates them (`RunSetup`);
2. `plan_run` decides what must rebuild and why, from the state store (`Plan`);
   `dry_run` stops there;
3. `execute_run` takes the project lock, plans again on the state it finds, runs the
   plan (`execute_plan`) and records statuses and transitions (`RunResult`).

This is the library behind ``aether run``; it returns data and raises AetherErrors, and
never prints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

from aether.alerts import read_webhook, send_alerts
from aether.assets.evaluation import AssetEvaluator
from aether.assets.planner import plan_project_run
from aether.assets.status import Evaluation
from aether.assets.tracking import AssetTracker, record_transitions
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import Plan, PlannedNode, RunReporter, RunResult, Tracker, plan_all
from aether.engine.publication import remove_abandoned_copies, repair_interrupted_publishes
from aether.engine.runners import create_runner
from aether.engine.validation import (
    check_locations,
    check_selection,
    check_transformations,
    validate_pipeline,
)
from aether.errors import ConfigError, PipelineError
from aether.pipeline import Pipeline
from aether.project import AetherContext, check_parameters, load_context, read_logging_config
from aether.redaction import redact
from aether.state.base import StateStore
from aether.state.lock import ProjectLock


@dataclass(frozen=True)
class Selection:
    """Which nodes of a pipeline to run: every given filter must hold (they intersect).

    An empty selection (the default) selects every node.

    Attributes:
        nodes: These nodes only.
        from_nodes: These nodes and everything downstream of them.
        to_nodes: These nodes and everything upstream of them.
        tags: The nodes that have one of these tags.
    """

    nodes: tuple[str, ...] = ()
    from_nodes: tuple[str, ...] = ()
    to_nodes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSetup:
    """A loaded, validated run, as [`prepare_run()`][aether.run.prepare_run] returns it.

    Attributes:
        ctx: The project's context.
        home: The pipeline named for the run (or the default one).
        selected: The nodes of `home` the selection chose.
        project: The union of every pipeline, on which staleness is decided.
    """

    ctx: AetherContext
    home: Pipeline
    selected: Pipeline
    project: Pipeline


@dataclass(frozen=True)
class RunOptions:
    """How to execute a run (see [`execute_run()`][aether.run.execute_run]).

    Attributes:
        runner: `sequential` or `parallel` (worker processes).
        max_workers: Worker processes of the parallel runner (default: one per CPU).
        force: Rebuild every selected node, stale or not.
        track: False runs everything and remembers nothing (no state store, no lock).
        wait_for_lock: Wait while another run holds the project lock; False refuses
            at once with a `LockError`.
        on_lock_wait: Called once, with who holds the lock, when the run starts waiting.
        reporter: Receives progress events (the CLI draws them).
    """

    runner: str = "sequential"
    max_workers: int | None = None
    force: bool = False
    track: bool = True
    wait_for_lock: bool = True
    on_lock_wait: Callable[[Any], None] | None = None
    reporter: RunReporter | None = None


def prepare_run(
    project_path: str | Path | None = None,
    pipeline: str | None = None,
    *,
    env: str | None = None,
    params: Mapping[str, Any] | None = None,
    selection: Selection = Selection(),
    context: AetherContext | None = None,
) -> RunSetup:
    """Load the project (or take `context`), select the nodes and validate them.

    A bad pipeline, catalog or selection is refused here, before any state is touched.

    Args:
        project_path: The project folder; None looks upward from the current directory.
        pipeline: The pipeline to run; None runs the default one.
        env: The configuration environment (default: `AETHER_ENV`, else `local`).
        params: Parameter overrides by dotted key, as `--params` gives them.
        selection: Which nodes of the pipeline to run (default: all).
        context: An already loaded context; `project_path`, `env` and `params` are then
            ignored.

    Returns:
        The loaded, validated run, for `dry_run()` or `execute_run()`.

    Raises:
        AetherError: The project, its configuration or the selection is wrong (a
            `ConfigError`, `CatalogError` or `PipelineError`).
    """
    ctx = context or load_context(project_path, env=env, params=params)
    home = ctx.pipeline(pipeline)
    project = ctx.project_pipeline()  # staleness is decided on every pipeline at once
    selected = select_nodes(
        home,
        nodes=selection.nodes,
        from_nodes=selection.from_nodes,
        to_nodes=selection.to_nodes,
        tags=selection.tags,
    )
    check_parameters(selected, ctx.params)
    # Transformations are imported only for the nodes that will run (after planning), so a
    # run with nothing to do never pays for importing pandas and the project's code.
    validate_pipeline(project, ctx.catalog, import_code=False)
    check_locations(ctx.catalog, ctx.pipelines.values())  # every pipeline's writers count
    check_selection(selected, home, ctx.catalog)
    return RunSetup(ctx, home, selected, project)


def plan_run(setup: RunSetup, evaluation: Evaluation, *, force: bool = False) -> Plan:
    """What the run must rebuild and why, given `evaluation` (of the whole project).

    Args:
        setup: What `prepare_run()` returned.
        evaluation: The statuses of every asset of the project, as an `AssetEvaluator`
            returns them.
        force: Run every selected node, stale or not.
    """
    return plan_project_run(setup.ctx, setup.home, setup.selected, evaluation, force=force)


def dry_run(setup: RunSetup, *, force: bool = False, track: bool = True) -> Plan:
    """The plan a run would execute now, with reasons; nothing runs and no lock is taken.

    Args:
        setup: What `prepare_run()` returned.
        force: Plan every selected node, stale or not.
        track: False plans every selected node, as an untracked run would do.

    Returns:
        The plan, with the nodes to run (in order) and those left alone, each with a reason.

    Raises:
        PipelineError: The transformation of a node to run cannot be imported.
    """
    if not track:
        plan = plan_all(setup.selected, "forced" if force else "run requested")
    else:
        ctx = setup.ctx
        with ctx.state_store() as store:
            evaluator = AssetEvaluator(
                setup.project, ctx.catalog, store, ctx.params, ctx.project_path
            )
            plan = plan_run(setup, evaluator.evaluate(), force=force)
    check_transformations(plan.nodes)
    return plan


_dry_run = dry_run  # run_pipeline's parameter of the same name hides the function


def execute_run(setup: RunSetup, options: RunOptions = RunOptions()) -> RunResult:
    """Run what is missing, stale or failed (everything if forced or untracked).

    A tracked run holds the project lock, repairs what a killed run left half published,
    plans on the state it finds, runs the plan, and records statuses and transitions.

    Args:
        setup: What `prepare_run()` returned.
        options: How to execute (runner, force, tracking, lock waiting, reporter).

    Returns:
        What the run did, with the asset statuses after it (`statuses`). A failed node does
            not raise: see `succeeded` and `failed`.

    Raises:
        LockError: Another run holds the lock and `options.wait_for_lock` is False.
        AetherError: The runner options or the state store are wrong.
    """
    create_runner(options.runner, options.max_workers)  # refused before any state
    ctx = setup.ctx
    if not options.track:
        plan = plan_all(setup.selected, "forced" if options.force else "run requested")
        check_transformations(plan.nodes)
        return execute_plan(setup, plan, options)
    with ctx.state_store() as store:
        lock = ProjectLock.for_project(
            ctx.project_path, ctx.run_id, wait=options.wait_for_lock, on_wait=options.on_lock_wait
        )
        with lock:
            return _tracked_run(setup, store, options)


def _tracked_run(setup: RunSetup, store: StateStore, options: RunOptions) -> RunResult:
    ctx = setup.ctx
    # Read the state only once the lock is ours: a run we waited for changed it.
    # Finish the renames a killed run left half done, before its attempts are aborted.
    repair_interrupted_publishes(store, ctx.catalog)
    remove_abandoned_copies(ctx.catalog, setup.project.producers)  # only what nodes write
    evaluator = AssetEvaluator(setup.project, ctx.catalog, store, ctx.params, ctx.project_path)
    aborted = {attempt.node for attempt in store.abort_running_attempts()}
    tracker = AssetTracker(evaluator, store, ctx.run_id)
    # Audit new source data first: a source failing an error-level check blocks every
    # node that reads it (they are not run on bad data).
    evaluation = evaluator.evaluate()
    source_failures: list[str] = []
    if any(s.is_source and s.checks_pending for s in evaluation.statuses.values()):
        source_failures = tracker.rerun_changed_checks(
            evaluation.statuses.values(), sources_only=True
        )
        evaluation = evaluator.evaluate()
    plan = plan_run(setup, evaluation, force=options.force)
    plan.to_run = [_mention_abort(p, aborted) for p in plan.to_run]
    check_transformations(plan.nodes)
    evaluator.record_observations()
    result = execute_plan(setup, plan, options, tracker)
    result.check_failures += source_failures
    if plan.blocked:
        names = ", ".join(p.node.name for p in plan.blocked)
        result.check_failures.append(f"not run on failing source data: {names}")
    # Nothing ran: nothing changed since the evaluation that planned it, so it stands.
    after = None if plan.to_run else evaluation
    _record_outcome(setup, store, evaluator, tracker, result, after)
    return result


def _record_outcome(
    setup: RunSetup,
    store: StateStore,
    evaluator: AssetEvaluator,
    tracker: AssetTracker,
    result: RunResult,
    evaluation: Evaluation | None,
) -> None:
    """Statuses after the run (heads were refreshed as it went), on a clock read now
    unless ``evaluation`` still holds; checks whose specs changed re-run on stored data;
    transitions recorded and alerted."""
    if evaluation is None:
        evaluation = evaluator.evaluate(now=time.time())
    result.check_failures += tracker.rerun_changed_checks(evaluation.statuses.values())
    if result.check_failures:
        evaluation = evaluator.evaluate()
    changes = record_transitions(store, evaluation.statuses.values(), evaluation.now)
    ctx = setup.ctx
    send_alerts(changes, read_webhook(ctx.config), ctx.project_path.name)
    result.statuses = dict(evaluation.statuses)


def execute_plan(
    setup: RunSetup, plan: Plan, options: RunOptions, tracker: Tracker | None = None
) -> RunResult:
    """Run `plan` as it is: no lock, no planning (`execute_run()` does both).

    Args:
        setup: What `prepare_run()` returned.
        plan: The nodes to run, in order.
        options: The runner and reporter to use (`force` and `track` are not read here).
        tracker: Records the run in the state store; None remembers nothing.
    """
    configure_logging(setup.ctx)
    orchestrator = Orchestrator(
        setup.ctx.catalog,
        setup.ctx.params,
        runner=create_runner(options.runner, options.max_workers),
        reporter=options.reporter,
        tracker=tracker,
    )
    return orchestrator.run(plan, setup.ctx.run_id)


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
) -> RunResult | Plan:
    """Run a project's pipeline, as `aether run` does: only what is missing, stale or failed.

    It chains [`prepare_run()`][aether.run.prepare_run] and
    [`execute_run()`][aether.run.execute_run] (or [`dry_run()`][aether.run.dry_run]).

    Args:
        project_path: The project folder; None looks upward from the current directory.
        pipeline: The pipeline to run; None runs the default one.
        env: The configuration environment (default: `AETHER_ENV`, else `local`).
        params: Parameter overrides by dotted key, as `--params` gives them
            (`{"cleaning.min_amount": 10}`); only existing keys may be overridden.
        runner: `sequential` or `parallel` (worker processes).
        max_workers: Worker processes of the parallel runner (default: one per CPU).
        nodes: Run these nodes only.
        from_nodes: Run these nodes and everything downstream of them.
        to_nodes: Run these nodes and everything upstream of them.
        tags: Run the nodes that have one of these tags.
        force: Rebuild every selected node, stale or not.
        dry_run: Return the plan instead of running it; prefer
            [`dry_run()`][aether.run.dry_run], which has one return type.
        track: False runs everything and remembers nothing (no state store, no lock).
        wait_for_lock: Wait while another run holds the project lock; False raises a
            `LockError` at once.
        on_lock_wait: Called once, with who holds the lock, when the run starts waiting.
        reporter: Receives progress events (see `RunReporter`).
        context: An already loaded context; `project_path`, `env` and `params` are then
            ignored.

    Returns:
        A [`RunResult`][aether.engine.plan.RunResult]; with `dry_run=True`, the
            [`Plan`][aether.engine.plan.Plan] instead. A failed node does not raise: check
            `result.succeeded`.

    Raises:
        AetherError: The project, its configuration, the selection or the runner options
            are wrong (a `ConfigError`, `CatalogError`, `PipelineError`...), or another run
            holds the lock and `wait_for_lock` is False (`LockError`).

    Example:
        ```python
        result = run_pipeline("path/to/project", "orders", params={"cleaning.min_amount": 10})
        assert result.succeeded
        ```
    """
    chosen = Selection(tuple(nodes), tuple(from_nodes), tuple(to_nodes), tuple(tags))
    setup = prepare_run(
        project_path, pipeline, env=env, params=params, selection=chosen, context=context
    )
    create_runner(runner, max_workers)  # a bad --runner/--workers: refused before any state
    if dry_run:
        return _dry_run(setup, force=force, track=track)
    options = RunOptions(runner, max_workers, force, track, wait_for_lock, on_lock_wait, reporter)
    return execute_run(setup, options)


def _mention_abort(planned: PlannedNode, aborted: set[str]) -> PlannedNode:
    if planned.node.name not in aborted:
        return planned
    reason = f"its last attempt was aborted; {planned.reason}"
    return PlannedNode(planned.node, reason, cutoff=False)


def select_nodes(
    pipeline: Pipeline,
    *,
    nodes: Iterable[str] = (),
    from_nodes: Iterable[str] = (),
    to_nodes: Iterable[str] = (),
    tags: Iterable[str] = (),
) -> Pipeline:
    """The nodes that pass every given filter (filters intersect, as in Kedro)."""
    selections = []
    if nodes := list(nodes):
        selections.append(pipeline.only_nodes(nodes))
    if from_nodes := list(from_nodes):
        selections.append(pipeline.from_nodes(from_nodes))
    if to_nodes := list(to_nodes):
        selections.append(pipeline.to_nodes(to_nodes))
    if tags := list(tags):
        selections.append(pipeline.only_tags(tags))
    if not selections:
        return pipeline
    keep = set.intersection(*({n.name for n in s.nodes} for s in selections))
    if not keep:
        raise PipelineError(
            f"No node of pipeline '{pipeline.name}' matches all of the given filters",
            hint="filters intersect: loosen --nodes/--from-nodes/--to-nodes/--tags",
        )
    return pipeline.only_nodes(keep)


def configure_logging(ctx: AetherContext) -> None:
    """Apply conf/<env>/logging.yml if the project has one; else a plain default."""
    config = read_logging_config(ctx.config)
    if config:
        from logging.config import dictConfig  # imported here: most projects have none

        try:
            dictConfig(config)
        except (ValueError, TypeError, AttributeError, ImportError) as exc:
            raise ConfigError(
                f"logging.yml is not a valid logging configuration: {exc}",
                hint="see the schema of logging.config.dictConfig (version: 1, handlers, ...)",
            ) from None
    elif not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _mask_every_handler()


def _mask_every_handler() -> None:
    """A `RedactingFilter` on every handler: on handlers, not loggers, because a
    logger's filters do not see records propagated from its children."""
    loggers = [logging.getLogger()] + [
        item
        for item in logging.Logger.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    for handler in {handler for item in loggers for handler in item.handlers}:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message and traceback text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
