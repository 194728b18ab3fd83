"""Planning and executing a prepared run: `plan_run` and `dry_run` return the `Plan`;
`execute_run` takes the project lock, repairs what a killed run left, plans on the state it
finds and runs the plan (`execute_plan`), then records statuses and transitions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aether.alerts import read_webhook, send_alerts
from aether.assets.codehash import canonical_json
from aether.assets.evaluation import EvaluationCache, ProjectView, evaluate, record_observations
from aether.assets.fingerprint import bounded_params
from aether.assets.memo import EvaluationMemo
from aether.assets.planner import plan_project_run
from aether.assets.status import Evaluation
from aether.assets.tracking import AssetTracker
from aether.engine.events import AssetsEvaluated, RunEvent, RunListener
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import Plan, PlannedNode, RunReporter, RunResult, Tracker, plan_all
from aether.engine.publication import (
    remove_abandoned_copies,
    remove_abandoned_stages,
    repair_interrupted_publishes,
)
from aether.engine.runners import create_runner
from aether.engine.validation import check_transformations
from aether.lineage.config import read_lineage
from aether.project.provenance import provenance
from aether.project.sources import reading_project
from aether.run.logging_setup import configure_logging
from aether.run.preparation import RunSetup
from aether.state.base import RunRecord, StateStore
from aether.support.redaction import redact
from aether.verdicts import ReasonKind, ReasonText, because


@dataclass(frozen=True)
class RunOptions:
    """How to execute a run (see [`execute_run()`][aether.run.execution.execute_run]).

    Attributes:
        runner: `sequential` or `parallel` (worker processes).
        max_workers: Worker processes of the parallel runner (default: one per CPU).
        force: Rebuild every selected node, stale or not.
        track: False runs everything and remembers nothing (no state store, no lock).
        wait_for_lock: Wait while another run holds the project lock; False refuses
            at once with a `LockError`.
        on_lock_wait: Called once, with who holds the lock, when the run starts waiting.
        reporter: Receives progress events (the CLI draws them).
        listeners: Receive every event of the run, in order (see `RunListener`); what
            they raise is logged and the run goes on.
        load_versions: Versioned datasets to read at an older version, name -> version id
            (`--load-version NAME=ID`); the selected nodes then all run, as forced.
    """

    runner: str = "sequential"
    max_workers: int | None = None
    force: bool = False
    track: bool = True
    wait_for_lock: bool = True
    on_lock_wait: Callable[[Any], None] | None = None
    reporter: RunReporter | None = None
    listeners: tuple[RunListener, ...] = ()
    load_versions: Mapping[str, str] = field(default_factory=dict)


def plan_run(setup: RunSetup, evaluation: Evaluation, *, force: bool = False) -> Plan:
    """What the run must rebuild and why, given `evaluation` (of the whole project).

    Args:
        setup: What `prepare_run()` returned.
        evaluation: The statuses of every asset of the project, as
            `aether.assets.evaluation.evaluate()` returns them.
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
    with reading_project(setup.ctx.project_path):
        if not track:
            plan = plan_all(setup.selected, _untracked_reason(force))
        else:
            ctx = setup.ctx
            with ctx.state_store() as store:
                project = ProjectView(
                    setup.project, ctx.catalog, store, ctx.params, ctx.project_path
                )
                plan = plan_run(setup, evaluate(project), force=force)
        check_transformations(plan.nodes)
    return plan


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
    # Project code is read once, hashed and run from the same bytes (aether.project.sources).
    with reading_project(setup.ctx.project_path):
        return _execute_run(setup, options)


def _execute_run(setup: RunSetup, options: RunOptions) -> RunResult:
    ctx = setup.ctx
    ctx.catalog.pin_versions(options.load_versions)  # checked before any lock or state
    lineage = _lineage(setup)  # its credentials too
    if not options.track:
        plan = plan_all(setup.selected, _untracked_reason(options.force))
        check_transformations(plan.nodes)
        if lineage is not None:
            options = replace(options, listeners=(*options.listeners, lineage(None)))
        return execute_plan(setup, plan, options)
    with ctx.state_store() as store:
        lock = ctx.state_location.run_lock(
            ctx.run_id, wait=options.wait_for_lock, on_wait=options.on_lock_wait
        )
        with lock:
            if lineage is not None:
                listener = lineage(store.latest_columns)
                options = replace(options, listeners=(*options.listeners, listener))
            return _tracked_run(setup, store, options)


def _lineage(setup: RunSetup) -> Callable[[Callable[[str], Any] | None], RunListener] | None:
    """What makes the OpenLineage listener lineage.yml asks for, if there is one."""
    config = read_lineage(setup.ctx.config)
    if config is None:
        return None
    from aether.lineage.listener import lineage_listener  # urllib: only when configured

    ctx = setup.ctx
    return lineage_listener(config, ctx.catalog, ctx.project_path, setup.home.name)


def _tracked_run(setup: RunSetup, store: StateStore, options: RunOptions) -> RunResult:
    ctx = setup.ctx
    # Read the state only once the lock is ours: a run we waited for changed it.
    # Finish the renames a killed run left half done, before its attempts are aborted.
    repair_interrupted_publishes(store, ctx.catalog)
    remove_abandoned_copies(ctx.catalog, setup.project.producers)  # only what nodes write
    memo = EvaluationMemo.for_context(ctx)  # judges again only what changed; kept after
    project = ProjectView(setup.project, ctx.catalog, store, ctx.params, ctx.project_path)
    cache = EvaluationCache(project, memo)
    aborted = {attempt.node for attempt in store.abort_running_attempts()}
    # Outside local folders, only what a killed node staged is looked for (one query each).
    remove_abandoned_stages(
        ctx.catalog, [d for d, n in setup.project.producers.items() if n in aborted]
    )
    tracker = AssetTracker(project, cache, ctx.run_id, lambda: describe_run(setup))
    # Audit new source data first: a source failing an error-level check blocks every
    # node that reads it (they are not run on bad data).
    evaluation = tracker.evaluate()
    if any(s.is_source and s.checks_pending for s in evaluation.statuses.values()):
        tracker.rerun_changed_checks(evaluation.statuses.values(), sources_only=True)
        evaluation = tracker.evaluate()
    # A pinned version is read by its consumers only if they run: pinning forces the run.
    plan = plan_run(setup, evaluation, force=options.force or bool(options.load_versions))
    plan = replace(plan, to_run=[_mention_abort(p, aborted) for p in plan.to_run])
    check_transformations(plan.nodes)
    record_observations(cache)
    alerts = AlertListener(read_webhook(ctx.config), ctx.project_path.name)
    return execute_plan(
        setup, plan, replace(options, listeners=(alerts, *options.listeners)), tracker
    )


def describe_run(setup: RunSetup) -> RunRecord:
    """What reproducing this run needs besides its materializations: the environment, the
    pipeline, the parameters (large values hashed, secrets masked), the git commit and the
    lockfile. Asked once, when the run's first node starts."""
    from aether import __version__
    from aether.insight.run_report import masked_params

    ctx = setup.ctx
    code = provenance(ctx.project_path)
    plain = bounded_params(json.loads(canonical_json(dict(ctx.params))))
    # Registered secrets and values under a secret's name (a `token:` in conf/local) are
    # masked before the record is stored, not only when it is shown.
    params = masked_params(json.loads(redact(json.dumps(plain, sort_keys=True))))
    return RunRecord(
        run_id=ctx.run_id,
        started_at=time.time(),
        env=ctx.env,
        pipeline=setup.home.name,
        params=params,
        git_commit=code.git_commit,
        git_dirty=code.git_dirty,
        lockfile=code.lockfile,
        lockfile_hash=code.lockfile_hash,
        aether_version=__version__,
    )


class AlertListener:
    """Alerts as a listener: the asset transitions a run recorded, logged and posted to
    the webhook (``aether.alerts``, which never fails the run)."""

    def __init__(self, webhook: tuple[str, tuple[str, ...]] | None, project: str) -> None:
        self.webhook = webhook
        self.project = project

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, AssetsEvaluated):
            send_alerts(event.transitions, self.webhook, self.project)


def execute_plan(
    setup: RunSetup, plan: Plan, options: RunOptions, tracker: Tracker | None = None
) -> RunResult:
    """Run `plan` as it is: no lock, no planning (`execute_run()` does both).

    Args:
        setup: What `prepare_run()` returned.
        plan: The nodes to run, in order.
        options: The runner, reporter and listeners to use (`force` and `track` are not
            read here).
        tracker: Records the run in the state store; None remembers nothing.
    """
    configure_logging(setup.ctx)
    orchestrator = Orchestrator(
        setup.ctx.catalog,
        setup.ctx.params,
        runner=create_runner(options.runner, options.max_workers),
        reporter=options.reporter,
        tracker=tracker,
        listeners=options.listeners,
    )
    with reading_project(setup.ctx.project_path):  # within execute_run: its snapshot holds
        return orchestrator.run(plan, setup.ctx.run_id)


def _untracked_reason(force: bool) -> ReasonText:
    return because(ReasonKind.FORCED) if force else because(ReasonKind.RUN_REQUESTED)


def _mention_abort(planned: PlannedNode, aborted: set[str]) -> PlannedNode:
    if planned.node.name not in aborted:
        return planned
    reason = because(ReasonKind.LAST_ATTEMPT_ABORTED, reason=planned.reason)
    return PlannedNode(planned.node, reason, cutoff=False)
