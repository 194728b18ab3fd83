"""``run_pipeline``: load a project, select nodes, validate, plan and run — the whole of a run.

This is the library entry point behind ``aether run``; it returns data and raises
AetherErrors, and never prints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from aether.alerts import read_webhook, send_alerts
from aether.assets.evaluation import AssetEvaluator
from aether.assets.planner import plan_run
from aether.assets.tracking import AssetTracker, record_transitions
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import Plan, PlannedNode, RunReporter, RunResult, plan_all
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
from aether.state.lock import ProjectLock


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
    """Run a project's pipeline; returns a :class:`RunResult` (or the :class:`Plan` if dry).

    Only missing, stale or failed assets are rebuilt (``force`` rebuilds every selected
    node); ``track=False`` runs everything and remembers nothing. ``params`` overrides
    parameters by dotted key, as ``--params`` does::

        result = run_pipeline("path/to/project", "orders", params={"cleaning.min_amount": 10})
        assert result.succeeded
    """
    ctx = context or load_context(project_path, env=env, params=params)
    full = ctx.pipeline(pipeline)
    project = ctx.project_pipeline()  # staleness is decided on every pipeline at once
    selected = select_nodes(full, nodes=nodes, from_nodes=from_nodes, to_nodes=to_nodes, tags=tags)
    check_parameters(selected, ctx.params)
    # Transformations are imported only for the nodes that will run (after planning), so a
    # run with nothing to do never pays for importing pandas and the project's code.
    validate_pipeline(project, ctx.catalog, import_code=False)
    check_locations(ctx.catalog, ctx.pipelines.values())  # every pipeline's writers count
    check_selection(selected, full, ctx.catalog)
    create_runner(runner, max_workers)  # a bad --runner/--workers: refused before any state
    if not track:
        plan = plan_all(selected, "forced" if force else "run requested")
        check_transformations(plan.nodes)
        return plan if dry_run else _execute(ctx, plan, runner, max_workers, reporter, None)
    with ctx.state_store() as store:
        if dry_run:
            evaluator = AssetEvaluator(project, ctx.catalog, store, ctx.params, ctx.project_path)
            plan = plan_run(ctx, full, selected, evaluator, force=force)
            check_transformations(plan.nodes)
            return plan
        lock = ProjectLock.for_project(
            ctx.project_path, ctx.run_id, wait=wait_for_lock, on_wait=on_lock_wait
        )
        with lock:
            # Read the state only once the lock is ours: a run we waited for changed it.
            # Finish the renames a killed run left half done, before its attempts are aborted.
            repair_interrupted_publishes(store, ctx.catalog)
            remove_abandoned_copies(ctx.catalog, project.producers)  # only what nodes write
            evaluator = AssetEvaluator(project, ctx.catalog, store, ctx.params, ctx.project_path)
            aborted = {attempt.node for attempt in store.abort_running_attempts()}
            tracker = AssetTracker(evaluator, store, ctx.run_id)
            # Audit new source data first: a source failing an error-level check blocks
            # every node that reads it (they are not run on bad data).
            statuses = evaluator.evaluate()
            pending = any(s.is_source and s.checks_pending for s in statuses.values())
            source_failures = (
                tracker.rerun_changed_checks(statuses.values(), sources_only=True)
                if pending
                else []
            )
            plan = plan_run(ctx, full, selected, evaluator, force=force, evaluate=pending)
            plan.to_run = [_mention_abort(p, aborted) for p in plan.to_run]
            check_transformations(plan.nodes)
            evaluator.record_observations()
            result = _execute(ctx, plan, runner, max_workers, reporter, tracker)
            result.check_failures += source_failures
            if plan.blocked:
                names = ", ".join(p.node.name for p in plan.blocked)
                result.check_failures.append(f"not run on failing source data: {names}")
            # Statuses after the run (heads were refreshed as it went), on a clock read now.
            evaluator.now = time.time()
            statuses = evaluator.evaluate()
            result.check_failures += tracker.rerun_changed_checks(statuses.values())
            if result.check_failures:
                statuses = evaluator.evaluate()
            changes = record_transitions(store, statuses.values(), evaluator.now)
            send_alerts(changes, read_webhook(ctx.config), ctx.project_path.name)
            result.statuses = statuses
            return result


def _execute(
    ctx: AetherContext,
    plan: Plan,
    runner: str,
    max_workers: int | None,
    reporter: RunReporter | None,
    tracker: Any,
) -> RunResult:
    configure_logging(ctx)
    orchestrator = Orchestrator(
        ctx.catalog,
        ctx.params,
        runner=create_runner(runner, max_workers),
        reporter=reporter,
        tracker=tracker,
    )
    return orchestrator.run(plan, ctx.run_id)


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
    """A :class:`RedactingFilter` on every handler: on handlers, not loggers, because a
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
