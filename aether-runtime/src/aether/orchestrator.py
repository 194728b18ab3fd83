"""Plan and run a pipeline: validate the DAG, decide what to run, hand it to a runner.

The orchestrator depends only on abstractions it is given: a catalog, a runner, a reporter
(and, through the planner, the state store). Tests pass fakes; the CLI passes real ones.
"""

from __future__ import annotations

import difflib
import functools
import logging
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aether.assets import parse_duration
from aether.catalog import DataCatalog, DataSetFactory
from aether.checks import parse_checks
from aether.errors import AetherError, PipelineError, RunInterrupted
from aether.execution import NodeOutcome, NodeTask, discard_staged, execute_node
from aether.locations import check_one_writer
from aether.pipeline import Node, Pipeline
from aether.publication import publish_outputs
from aether.runners import Runner, SequentialRunner, init_worker
from aether.single_file_paths import refuse_directory_paths
from aether.transformation import check_arguments, resolve_callable

logger = logging.getLogger("aether.run")


@dataclass(frozen=True)
class PlannedNode:
    """A node the run will execute, and why. ``cutoff``: it runs only because something
    upstream runs, so it is skipped if its inputs come out unchanged (early cutoff)."""

    node: Node
    reason: str
    cutoff: bool = False


@dataclass
class Plan:
    """The nodes to run (in topological order) and those left alone, each with a reason."""

    pipeline: Pipeline
    to_run: list[PlannedNode]
    skipped: list[PlannedNode] = field(default_factory=list)
    # Not run because a source they read failed an error-level check.
    blocked: list[PlannedNode] = field(default_factory=list)

    @property
    def nodes(self) -> list[Node]:
        return [planned.node for planned in self.to_run]


@dataclass
class NodeResult:
    name: str
    # succeeded | failed | aborted (stopped, not its fault) | skipped | fresh (nothing to do)
    status: str
    duration: float = 0.0
    reason: str | None = None
    error: AetherError | None = None
    outputs: tuple[str, ...] = ()


@dataclass
class RunResult:
    run_id: str
    pipeline: str
    results: list[NodeResult]
    duration: float = 0.0
    # Checks re-run on stored data (new or changed specs) that failed at error level.
    check_failures: list[str] = field(default_factory=list)
    # Asset statuses after the run (aether.assets.AssetStatus by name), when tracked.
    statuses: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[NodeResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def aborted(self) -> list[NodeResult]:
        return [r for r in self.results if r.status == "aborted"]

    @property
    def succeeded(self) -> bool:
        return not self.failed and not self.aborted and not self.check_failures

    @property
    def exit_code(self) -> int:
        if self.succeeded:
            return 0
        return max([r.error.exit_code if r.error else 1 for r in self.failed] + [1])


class RunReporter(Protocol):
    """Receives progress events; the CLI draws them, tests record them."""

    def run_started(self, plan: Plan) -> None: ...

    def node_started(self, node: Node) -> None: ...

    def node_finished(self, result: NodeResult) -> None: ...

    def run_finished(self, result: RunResult) -> None: ...


class Tracker(Protocol):
    """Records what a run does (the state store's side); see aether.tracking."""

    def start(self, planned: PlannedNode, task: NodeTask) -> str | None:
        """Fill ``task`` before it runs; return a reason instead to skip the node (cutoff)."""

    def publishing(self, node: Node, outcome: NodeOutcome) -> None:
        """Journal the renames about to happen, so a crash among them can be repaired."""

    def succeeded(self, node: Node, outcome: NodeOutcome) -> None: ...

    def failed(self, node: Node, error: AetherError) -> None: ...

    def aborted(self, node: Node, reason: str) -> None:
        """The node was stopped through no fault of its own (signal, a worker died)."""


class NullTracker:
    """Remembers nothing: every planned node runs."""

    def start(self, planned: PlannedNode, task: NodeTask) -> str | None:
        return None

    def publishing(self, node: Node, outcome: NodeOutcome) -> None:
        pass

    def succeeded(self, node: Node, outcome: NodeOutcome) -> None:
        pass

    def failed(self, node: Node, error: AetherError) -> None:
        pass

    def aborted(self, node: Node, reason: str) -> None:
        pass


class SilentReporter:
    def run_started(self, plan: Plan) -> None:
        pass

    def node_started(self, node: Node) -> None:
        pass

    def node_finished(self, result: NodeResult) -> None:
        pass

    def run_finished(self, result: RunResult) -> None:
        pass


def validate_pipeline(
    pipeline: Pipeline, catalog: DataCatalog, *, import_code: bool = True
) -> None:
    """Check everything that can be checked before running: raises the first problem found.

    Cycles, inputs nobody produces, catalog entries (types, arguments, credentials, checks,
    freshness), file datasets whose path is a directory and, when ``import_code``, that
    every transformation imports and accepts the node's inputs.
    """
    pipeline.toposorted()
    for name in sorted(pipeline.free_inputs()):
        if name not in catalog:
            reader = next(n.name for n in pipeline.nodes if name in n.dataset_inputs)
            candidates = sorted(set(catalog.list()) | set(pipeline.producers))
            close = difflib.get_close_matches(name, candidates, n=1)
            raise PipelineError(
                f"Node '{reader}' reads '{name}', which no node produces and the catalog "
                "does not declare",
                hint=f"did you mean '{close[0]}'?"
                if close
                else "add it to conf/base/catalog.yml or produce it with a node",
            )
    catalog.validate()
    if import_code:
        check_transformations(pipeline.nodes)
    # After the transformations: `aether validate` lists check and freshness problems of
    # every entry itself, so raising them first here would only hide a broken import.
    refuse_directory_paths(catalog, pipeline.datasets())
    check_asset_specs(catalog, pipeline.datasets())


def check_asset_specs(catalog: DataCatalog, names: Iterable[str]) -> None:
    """The checks and freshness of the named catalog entries are well formed.

    They are read only once a node has run; checked here, a typo stops the run before it.
    """
    for name in sorted(names):
        entry = catalog.entries.get(name)
        if entry is None:
            continue
        parse_checks(name, list(entry.checks), entry.where)
        for key in ("warn_after", "error_after"):
            parse_duration((entry.freshness or {}).get(key), name, entry.where)


def check_transformations(nodes: Iterable[Node]) -> None:
    """Every transformation imports, takes its options, and accepts the node's inputs."""
    checked: set[tuple[str, str, tuple[str | None, ...]]] = set()
    for item in nodes:
        arguments = tuple(i.arg for i in item.inputs)
        # Thousands of nodes may share one dotted path, options and arguments: check it once.
        key = (str(item.transformation), repr(sorted(item.options.items())), arguments)
        if isinstance(item.transformation, str) and key in checked:
            continue
        func = resolve_callable(item.transformation, dict(item.options), item.name)
        check_arguments(func, item.name, list(arguments))
        checked.add(key)


def check_selection(selected: Pipeline, full: Pipeline, catalog: DataCatalog) -> None:
    """A selected node cannot read an in-memory dataset made by a node left out."""
    for item in selected.nodes:
        for name in item.dataset_inputs:
            producer = full.producers.get(name)
            if producer and producer not in selected and not catalog.is_declared(name):
                raise PipelineError(
                    f"Node '{item.name}' reads '{name}', an in-memory dataset made by node "
                    f"'{producer}', which is not selected",
                    hint=f"select '{producer}' too (e.g. --to-nodes {item.name}) or declare "
                    f"'{name}' in the catalog so it is stored",
                )


def check_locations(catalog: DataCatalog, pipelines: Iterable[Pipeline]) -> None:
    """No catalog entry a node writes (in any of ``pipelines``) shares its physical location
    with another entry; read-only entries may (see aether.locations)."""
    written = {name: n.name for p in pipelines for n in p.nodes for name in n.outputs}
    check_one_writer(catalog.entries.values(), written, catalog.factory.project_path)


def plan_all(pipeline: Pipeline, reason: str = "run requested") -> Plan:
    """The simplest plan: every selected node runs."""
    return Plan(pipeline, [PlannedNode(n, reason) for n in pipeline.toposorted()])


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
        results = [*(NodeResult(p.node.name, "fresh", reason=p.reason) for p in plan.skipped)]
        results += [NodeResult(p.node.name, "skipped", reason=p.reason) for p in plan.blocked]
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
        result = NodeResult(node.name, "skipped", reason=f"upstream failed ({culprit})")
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
            self._record(node, NodeResult(node.name, "fresh", reason=cut))
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
        result = NodeResult(node.name, "succeeded", outcome.duration, why, outputs=node.outputs)
        self._record(node, result)

    def fail(self, node: Node, error: AetherError) -> None:
        self.broken.update(node.outputs)
        self.o.tracker.failed(node, error)
        self._release_inputs(node)
        logger.debug("node %s failed", node.name, exc_info=error)
        self._record(node, NodeResult(node.name, "failed", error=error))

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
        self._record(node, NodeResult(node.name, "aborted", reason=reason))

    def abort_unfinished(self, reason: str) -> list[str]:
        """Abort every node still running (the run is being stopped); returns their names."""
        stopped = list(self.running.values())
        for node in stopped:
            self.abort(node, reason)
        return [node.name for node in stopped]

    def worker_setup(self) -> tuple[Any, tuple[Any, ...]]:
        return init_worker, (self.o.catalog_factory, list(sys.path))

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
    return NodeResult(node.name, "skipped", reason="not run: the run stopped before it")


def catalog_recipe(catalog: DataCatalog) -> functools.partial[DataCatalog]:
    """How a worker process rebuilds ``catalog``: its entries and settings, which pickle
    cleanly under any start method, never its live datasets (or the data they hold)."""
    registered = {
        name: target
        for name, target in catalog.factory._types.items()
        if isinstance(target, (str, type))
    }
    return functools.partial(
        _rebuild_catalog,
        dict(catalog.entries),
        catalog._credentials,
        catalog._credentials_file,
        catalog.factory.project_path,
        registered,
    )


def _rebuild_catalog(
    entries: dict[str, Any],
    credentials: Mapping[str, Any] | None,
    credentials_file: str,
    project_path: Any,
    registered: dict[str, Any],
) -> DataCatalog:
    factory = DataSetFactory(project_path)
    for name, target in registered.items():
        factory.register(name, target)
    return DataCatalog(
        entries=entries,
        credentials=credentials,
        credentials_file=credentials_file,
        factory=factory,
    )
