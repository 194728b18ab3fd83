"""Run a plan: topological order, in-memory data handed between nodes, failures contained.

The orchestrator depends only on abstractions it is given: a catalog, a runner, a tracker
and listeners of its events (a reporter is one). Tests pass fakes; the CLI passes real ones.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from aether.catalog import DataCatalog, DataSetFactory
from aether.configuration import durability
from aether.engine.events import (
    CheckEvaluated,
    EventDispatcher,
    NodeAborted,
    NodeFailed,
    NodeFinished,
    NodeLeftAlone,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    OutputsPublished,
    OutputsStaged,
    ReporterListener,
    RunFinished,
    RunListener,
    RunResultBuilder,
    RunStarted,
)
from aether.engine.execution import NodeOutcome, NodeTask, discard_staged, execute_node
from aether.engine.plan import (
    NodeResult,
    NodeStatus,
    NullTracker,
    Plan,
    RunReporter,
    RunResult,
    Tracker,
)
from aether.engine.publication import keep_unchanged, keep_versions, publish_outputs
from aether.engine.runners import Runner, SequentialRunner, init_worker
from aether.errors import AetherError, CheckFailedError, RunInterrupted
from aether.pipeline import Node
from aether.project.sources import snapshot
from aether.verdicts import ReasonKind, ReasonText, because

logger = logging.getLogger("aether.run")


class Orchestrator:
    """Runs a plan: topological order, in-memory data handed between nodes, failures
    contained (downstream of a failure is skipped; independent branches go on).

    Everything it does is told as events (:mod:`aether.engine.events`): first to the
    tracker and the result builder (the run's own record), then to the reporter and the
    ``listeners`` (contained: a broken listener cannot break the run)."""

    def __init__(
        self,
        catalog: DataCatalog,
        params: Mapping[str, Any],
        *,
        runner: Runner | None = None,
        reporter: RunReporter | None = None,
        tracker: Tracker | None = None,
        catalog_factory: Any = None,
        listeners: Sequence[RunListener] = (),
    ) -> None:
        self.catalog = catalog
        self.params = params
        self.runner = runner or SequentialRunner()
        self.reporter = reporter
        self.tracker = tracker or NullTracker()
        self.listeners = tuple(listeners)
        # How a worker process rebuilds the catalog (configs cross, live datasets do not).
        self.catalog_factory = catalog_factory or catalog_recipe(catalog)

    def run(self, plan: Plan, run_id: str) -> RunResult:
        started = time.perf_counter()
        builder = RunResultBuilder(run_id)
        audience = [ReporterListener(self.reporter)] if self.reporter is not None else []
        events = EventDispatcher([self.tracker, builder], [*audience, *self.listeners])
        work = _RunWork(self, plan, run_id, events)
        events.emit(RunStarted(run_id, time.time(), plan))
        self.tracker.before_nodes(plan, events.emit)
        try:
            self.runner.run(plan.nodes, work)
        except RunInterrupted as stop:
            # Record the stopped nodes before the lock is released on the way out.
            interrupted = because(ReasonKind.INTERRUPTED, signal=stop.signal_name)
            stop.aborted = work.abort_unfinished(interrupted)
            raise
        work.skip_unreached()
        self.tracker.after_nodes(plan, events.emit)
        result = builder.result(time.perf_counter() - started)
        events.emit(RunFinished(run_id, time.time(), result))
        return result


class _RunWork:
    """The orchestrator's half of a run, driven by the runner (see runners.NodeWork)."""

    def __init__(
        self, orchestrator: Orchestrator, plan: Plan, run_id: str, events: EventDispatcher
    ) -> None:
        self.o = orchestrator
        self.plan = plan
        self.run_id = run_id
        self.emit = events.emit
        self.finished: set[str] = set()
        self.broken: set[str] = set()  # datasets that a failed or skipped node did not make
        self.planned = {p.node.name: p for p in plan.to_run}
        self.running: dict[str, Node] = {}  # prepared, not yet finished, failed or aborted
        catalog = orchestrator.catalog
        self.memory = {out for n in plan.nodes for out in n.outputs if not catalog.is_declared(out)}
        # Consumers left per in-memory dataset, to free memory as soon as nobody needs it.
        self.readers: dict[str, int] = {}
        for n in plan.nodes:
            for name in n.dataset_inputs:
                if name in self.memory:
                    self.readers[name] = self.readers.get(name, 0) + 1

    def blocked(self, node: Node) -> bool:
        return any(name in self.broken for name in node.dataset_inputs)

    def skip(self, node: Node) -> None:
        culprit = next(name for name in node.dataset_inputs if name in self.broken)
        self.broken.update(node.outputs)
        reason = because(ReasonKind.UPSTREAM_FAILED, input=culprit)
        self._finished(NodeSkipped, NodeResult(node.name, NodeStatus.SKIPPED, reason=reason))

    def skip_unreached(self) -> None:
        """Every planned node gets its last event: those the run never reached too."""
        for node in self.plan.nodes:
            if node.name not in self.finished:
                result = NodeResult(node.name, NodeStatus.SKIPPED, reason=_NOT_REACHED)
                self._finished(NodeSkipped, result)

    def prepare(self, node: Node, *, in_worker: bool) -> NodeTask | None:
        planned = self.planned[node.name]
        start = self.o.tracker.start(planned)
        if start.cutoff is not None:
            self._release_inputs(node)
            result = NodeResult(node.name, NodeStatus.FRESH, reason=start.cutoff)
            self._finished(NodeLeftAlone, result)
            return None
        catalog = self.o.catalog
        task = NodeTask(
            node=node,
            params=self.o.params,
            # A worker has no in-memory data of its own: send what it reads.
            memory_inputs={
                name: catalog.load(name)
                for name in node.dataset_inputs
                if in_worker and not catalog.is_declared(name)
            },
            memory_outputs=frozenset(set(node.outputs) & self.memory),
            return_memory=in_worker,
            checks={name: list(specs) for name, specs in start.checks.items()},
            fingerprint=start.fingerprint,
            in_place=start.in_place,
        )
        self.running[node.name] = node
        self.emit(NodeStarted(self.run_id, time.time(), node, planned.reason))
        return task

    def execute(self, task: NodeTask) -> NodeOutcome:
        return execute_node(task, self.o.catalog)

    def finish(self, node: Node, outcome: NodeOutcome) -> None:
        self._checked(node, outcome.check_results)
        outcome = self._publish(node, outcome)
        if outcome.saved:
            try:
                keep_versions(outcome, self.o.catalog, self.run_id)
            except AetherError as error:  # the run promised a version it could not keep
                self.fail(node, error)
                return
            self.emit(self._outputs(OutputsPublished, node, outcome))
        for name, data in outcome.memory_data.items():
            self.o.catalog.save(name, data)
        self._release_inputs(node)
        why = self.planned[node.name].reason
        result = NodeResult(
            node.name, NodeStatus.SUCCEEDED, outcome.duration, why, outputs=node.outputs
        )
        self._finished(NodeSucceeded, result)

    def fail(self, node: Node, error: AetherError) -> None:
        self.broken.update(node.outputs)
        if isinstance(error, CheckFailedError):  # it carries every result of the node's checks
            self._checked(node, error.check_results)
        self._release_inputs(node)
        logger.debug("node %s failed", node.name, exc_info=error)
        self._finished(NodeFailed, NodeResult(node.name, NodeStatus.FAILED, error=error))

    def _checked(self, node: Node, results: Sequence[Any]) -> None:
        for check in results:
            self.emit(CheckEvaluated(self.run_id, time.time(), node.name, check))

    def _publish(self, node: Node, outcome: NodeOutcome) -> NodeOutcome:
        """Leave in place what is already there, tell the staged outputs (the tracker
        journals them), then rename them into place (here, in the parent process)."""
        if not outcome.staged:
            return outcome
        try:
            outcome = keep_unchanged(outcome, self.o.catalog)
            self.emit(self._outputs(OutputsStaged, node, outcome, staged=outcome.staged))
        except BaseException:
            discard_staged(self.o.catalog, outcome.staged)
            raise
        return publish_outputs(outcome, self.o.catalog)

    def _outputs(
        self, kind: type[_Outputs], node: Node, outcome: NodeOutcome, **more: Any
    ) -> _Outputs:
        return kind(
            self.run_id,
            time.time(),
            node.name,
            outcome.saved,
            outcome.versions,
            outcome.signatures,
            outcome.read_versions,
            outcome.fingerprint,
            columns=outcome.columns,
            **more,
        )

    def abort(self, node: Node, reason: ReasonText) -> None:
        self.broken.update(node.outputs)
        self._finished(NodeAborted, NodeResult(node.name, NodeStatus.ABORTED, reason=reason))

    def abort_unfinished(self, reason: ReasonText) -> list[str]:
        """Abort every node still running (the run is being stopped); returns their names."""
        stopped = list(self.running.values())
        for node in stopped:
            self.abort(node, reason)
        return [node.name for node in stopped]

    def in_main_process(self, node: Node) -> bool:
        if node.context_inputs:
            return True
        catalog = self.o.catalog
        return any(
            getattr(catalog.get(name), "runs_in_main_process", False)
            for name in (*node.dataset_inputs, *node.outputs)
            if catalog.is_declared(name)
        )

    def worker_setup(self) -> tuple[Any, tuple[Any, ...]]:
        # The run's project bytes too: a worker runs what the parent hashed (project_sources).
        setup = (self.o.catalog_factory, list(sys.path), durability.level(), snapshot())
        return init_worker, setup

    def _release_inputs(self, node: Node) -> None:
        for name in node.dataset_inputs:
            if name in self.readers:
                self.readers[name] -= 1
                if self.readers[name] == 0:
                    release = getattr(self.o.catalog.get(name), "release", None)
                    if release is not None:
                        release()

    def _finished(self, kind: type[NodeFinished], result: NodeResult) -> None:
        self.running.pop(result.name, None)
        self.finished.add(result.name)
        self.emit(kind(self.run_id, time.time(), result))


_NOT_REACHED = because(ReasonKind.NOT_REACHED)
_Outputs = TypeVar("_Outputs", OutputsStaged, OutputsPublished)


def catalog_recipe(catalog: DataCatalog) -> functools.partial[DataCatalog]:
    """How a worker process rebuilds ``catalog``: its entries and settings, which pickle
    cleanly under any start method, never its live datasets (or the data they hold)."""
    registered = {
        name: target
        for name, target in catalog.factory.registered_types().items()
        if isinstance(target, (str, type))
    }
    # Secrets go resolved (through the pipe, never a file): a worker masks them at once
    # and asks no secret manager again.
    credentials, secret_values = catalog.credentials_for_worker()
    return functools.partial(
        _rebuild_catalog,
        dict(catalog.entries),
        credentials,
        catalog.credentials_file,
        catalog.factory.project_path,
        registered,
        catalog.factory.parameters,
        secret_values,
        dict(catalog.pinned_versions),
    )


def _rebuild_catalog(
    entries: dict[str, Any],
    credentials: Mapping[str, Any] | None,
    credentials_file: str,
    project_path: Any,
    registered: dict[str, Any],
    parameters: dict[str, Any],
    secret_values: tuple[str, ...] = (),
    pinned_versions: dict[str, str] | None = None,
) -> DataCatalog:
    factory = DataSetFactory(project_path, parameters)
    for name, target in registered.items():
        factory.register(name, target)
    catalog = DataCatalog(
        entries=entries,
        credentials=credentials,
        credentials_file=credentials_file,
        factory=factory,
        secret_values=secret_values,
    )
    catalog.pinned_versions = dict(pinned_versions or {})
    return catalog
