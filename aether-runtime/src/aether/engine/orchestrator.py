"""Run a plan: topological order, in-memory data handed between nodes, failures contained.

The orchestrator depends only on abstractions it is given: a catalog, a runner, a reporter
and a tracker. Tests pass fakes; the CLI passes real ones.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

from aether import durability
from aether.catalog import DataCatalog, DataSetFactory
from aether.engine.execution import NodeOutcome, NodeTask, discard_staged, execute_node
from aether.engine.plan import (
    NodeResult,
    NodeStatus,
    NullTracker,
    Plan,
    RunReporter,
    RunResult,
    SilentReporter,
    Tracker,
)
from aether.engine.publication import publish_outputs
from aether.engine.runners import Runner, SequentialRunner, init_worker
from aether.errors import AetherError, RunInterrupted
from aether.pipeline import Node
from aether.project_sources import snapshot

logger = logging.getLogger("aether.run")


class Orchestrator:
    """Runs a plan: topological order, in-memory data handed between nodes, failures
    contained (downstream of a failure is skipped; independent branches go on)."""

    def __init__(
        self,
        catalog: DataCatalog,
        params: Mapping[str, Any],
        *,
        runner: Runner | None = None,
        reporter: RunReporter | None = None,
        tracker: Tracker | None = None,
        catalog_factory: Any = None,
    ) -> None:
        self.catalog = catalog
        self.params = params
        self.runner = runner or SequentialRunner()
        self.reporter = reporter or SilentReporter()
        self.tracker = tracker or NullTracker()
        # How a worker process rebuilds the catalog (configs cross, live datasets do not).
        self.catalog_factory = catalog_factory or catalog_recipe(catalog)

    def run(self, plan: Plan, run_id: str) -> RunResult:
        started = time.perf_counter()
        work = _RunWork(self, plan)
        self.reporter.run_started(plan)
        try:
            self.runner.run(plan.nodes, work)
        except RunInterrupted as stop:
            # Record the stopped nodes before the lock is released on the way out.
            stop.aborted = work.abort_unfinished(f"interrupted by {stop.signal_name}")
            raise
        results = [
            NodeResult(p.node.name, NodeStatus.FRESH, reason=p.reason, left_alone=True)
            for p in plan.skipped
        ]
        results += [
            NodeResult(p.node.name, NodeStatus.SKIPPED, reason=p.reason) for p in plan.blocked
        ]
        results += [work.results.get(n.name) or _not_reached(n) for n in plan.nodes]
        result = RunResult(run_id, plan.pipeline.name, results, time.perf_counter() - started)
        self.reporter.run_finished(result)
        return result


class _RunWork:
    """The orchestrator's half of a run, driven by the runner (see runners.NodeWork)."""

    def __init__(self, orchestrator: Orchestrator, plan: Plan) -> None:
        self.o = orchestrator
        self.plan = plan
        self.results: dict[str, NodeResult] = {}
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
        result = NodeResult(node.name, NodeStatus.SKIPPED, reason=f"upstream failed ({culprit})")
        self._record(node, result)

    def prepare(self, node: Node, *, in_worker: bool) -> NodeTask | None:
        task = NodeTask(
            node=node,
            params=self.o.params,
            memory_outputs=frozenset(set(node.outputs) & self.memory),
            return_memory=in_worker,
        )
        cut = self.o.tracker.start(self.planned[node.name], task)
        if cut is not None:
            self._release_inputs(node)
            self._record(node, NodeResult(node.name, NodeStatus.FRESH, reason=cut))
            return None
        if in_worker:  # a worker has no in-memory data of its own: send what it reads
            catalog = self.o.catalog
            task.memory_inputs = {
                name: catalog.load(name)
                for name in node.dataset_inputs
                if not catalog.is_declared(name)
            }
        self.running[node.name] = node
        self.o.reporter.node_started(node)
        return task

    def execute(self, task: NodeTask) -> NodeOutcome:
        return execute_node(task, self.o.catalog)

    def finish(self, node: Node, outcome: NodeOutcome) -> None:
        outcome = self._publish(node, outcome)
        for name, data in outcome.memory_data.items():
            self.o.catalog.save(name, data)
        self.o.tracker.succeeded(node, outcome)
        self._release_inputs(node)
        why = self.planned[node.name].reason
        result = NodeResult(
            node.name, NodeStatus.SUCCEEDED, outcome.duration, why, outputs=node.outputs
        )
        self._record(node, result)

    def fail(self, node: Node, error: AetherError) -> None:
        self.broken.update(node.outputs)
        self.o.tracker.failed(node, error)
        self._release_inputs(node)
        logger.debug("node %s failed", node.name, exc_info=error)
        self._record(node, NodeResult(node.name, NodeStatus.FAILED, error=error))

    def _publish(self, node: Node, outcome: NodeOutcome) -> NodeOutcome:
        """Journal, then rename the staged outputs into place (here, in the parent process)."""
        if not outcome.staged:
            return outcome
        try:
            self.o.tracker.publishing(node, outcome)
        except BaseException:
            discard_staged(self.o.catalog, outcome.staged)
            raise
        return publish_outputs(outcome, self.o.catalog)

    def abort(self, node: Node, reason: str) -> None:
        self.broken.update(node.outputs)
        self.o.tracker.aborted(node, reason)
        self._record(node, NodeResult(node.name, NodeStatus.ABORTED, reason=reason))

    def abort_unfinished(self, reason: str) -> list[str]:
        """Abort every node still running (the run is being stopped); returns their names."""
        stopped = list(self.running.values())
        for node in stopped:
            self.abort(node, reason)
        return [node.name for node in stopped]

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

    def _record(self, node: Node, result: NodeResult) -> None:
        self.running.pop(node.name, None)
        self.results[node.name] = result
        self.o.reporter.node_finished(result)


def _not_reached(node: Node) -> NodeResult:
    return NodeResult(node.name, NodeStatus.SKIPPED, reason="not run: the run stopped before it")


def catalog_recipe(catalog: DataCatalog) -> functools.partial[DataCatalog]:
    """How a worker process rebuilds ``catalog``: its entries and settings, which pickle
    cleanly under any start method, never its live datasets (or the data they hold)."""
    registered = {
        name: target
        for name, target in catalog.factory._types.items()
        if isinstance(target, (str, type))
    }
    # Secrets go resolved (through the pipe, never a file): a worker masks them at once
    # and asks no secret manager again.
    credentials, secret_values = catalog.credentials_for_worker()
    return functools.partial(
        _rebuild_catalog,
        dict(catalog.entries),
        credentials,
        catalog._credentials_file,
        catalog.factory.project_path,
        registered,
        catalog.factory.parameters,
        secret_values,
    )


def _rebuild_catalog(
    entries: dict[str, Any],
    credentials: Mapping[str, Any] | None,
    credentials_file: str,
    project_path: Any,
    registered: dict[str, Any],
    parameters: dict[str, Any],
    secret_values: tuple[str, ...] = (),
) -> DataCatalog:
    factory = DataSetFactory(project_path, parameters)
    for name, target in registered.items():
        factory.register(name, target)
    return DataCatalog(
        entries=entries,
        credentials=credentials,
        credentials_file=credentials_file,
        factory=factory,
        secret_values=secret_values,
    )
