"""Runners decide where and in what order planned nodes execute.

A runner receives the nodes to run (topologically sorted) and a :class:`NodeWork`, which
knows how to prepare, execute and finish one node. The runner only schedules: it never
touches the catalog or the state store itself.

- :class:`SequentialRunner` runs nodes one after the other in this process.
- :class:`ParallelRunner` runs independent nodes at the same time in worker processes
  (one per core). Workers rebuild the catalog from its configuration; in-memory inputs and
  outputs are sent as data, so no live dataset object is ever pickled.
"""

from __future__ import annotations

import os
import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from aether.configuration import durability
from aether.engine.execution import NodeOutcome, NodeTask, execute_node
from aether.errors import AetherError, NodeFailedError, PipelineError
from aether.pipeline import Node
from aether.project import sources as project_sources
from aether.support.redaction import mask_standard_streams
from aether.verdicts import ReasonKind, ReasonText, because

if TYPE_CHECKING:
    import multiprocessing.context
    from concurrent.futures import Future, ProcessPoolExecutor

RUNNER_NAMES = ("sequential", "parallel")
_PR_SET_PDEATHSIG = 1  # prctl option: a signal for this process when its parent dies
WORKER_DIED = because(ReasonKind.WORKER_DIED)


class NodeWork(Protocol):
    """The orchestrator's side of a run, as seen by a runner."""

    def blocked(self, node: Node) -> bool:
        """True when an upstream node failed or was skipped (then call :meth:`skip`)."""

    def skip(self, node: Node) -> None: ...

    def prepare(self, node: Node, *, in_worker: bool) -> NodeTask | None:
        """The task to execute, or None when the node turned out to need no run."""

    def execute(self, task: NodeTask) -> NodeOutcome: ...

    def finish(self, node: Node, outcome: NodeOutcome) -> None: ...

    def fail(self, node: Node, error: AetherError) -> None: ...

    def abort(self, node: Node, reason: ReasonText) -> None:
        """The node was stopped through no fault of its own; it runs again next time."""

    def worker_setup(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        """A picklable initializer (and its arguments) that prepares a worker process."""

    def in_main_process(self, node: Node) -> bool:
        """True when the node must run in the run's own process (its SparkSession)."""


class Runner(ABC):
    @abstractmethod
    def run(self, nodes: Sequence[Node], work: NodeWork) -> None: ...


class SequentialRunner(Runner):
    """Runs nodes one at a time, in topological order, in this process."""

    def run(self, nodes: Sequence[Node], work: NodeWork) -> None:
        for node in nodes:
            if work.blocked(node):
                work.skip(node)
                continue
            try:
                task = work.prepare(node, in_worker=False)
                if task is None:
                    continue
                work.finish(node, work.execute(task))
            except AetherError as error:
                work.fail(node, error)


class ParallelRunner(Runner):
    """Runs independent nodes concurrently in ``max_workers`` processes (default: all cores)."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1

    def run(self, nodes: Sequence[Node], work: NodeWork) -> None:
        from concurrent.futures import ProcessPoolExecutor

        names = {n.name for n in nodes}
        producers = {out: n.name for n in nodes for out in n.outputs}
        waiting_on = {
            n.name: {producers[d] for d in n.dataset_inputs if d in producers} & names
            for n in nodes
        }
        children: dict[str, list[Node]] = {n.name: [] for n in nodes}
        for n in nodes:
            for parent in waiting_on[n.name]:
                children[parent].append(n)
        ready = [n for n in nodes if not waiting_on[n.name]]
        initializer, initargs = work.worker_setup()
        workers = min(self.max_workers, max(1, len(nodes)))
        processes = _PoolProcesses()
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_process_context(),
            initializer=initializer,
            initargs=initargs,
        ) as pool:
            running: dict[Future[NodeOutcome], Node] = {}
            try:
                self._schedule(pool, ready, running, waiting_on, children, work)
            except BaseException:  # a signal stops the run: leaving must not wait for workers
                _stop_workers(pool, processes)
                raise
            _end_idle_workers(pool, processes)

    def _schedule(
        self,
        pool: ProcessPoolExecutor,
        ready: list[Node],
        running: dict[Future[NodeOutcome], Node],
        waiting_on: dict[str, set[str]],
        children: dict[str, list[Node]],
        work: NodeWork,
    ) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        while ready or running:
            for node in ready:
                if work.blocked(node):
                    work.skip(node)
                    ready.extend(self._release(node, waiting_on, children))
                    continue
                if work.in_main_process(node):
                    # A Spark node needs the run's session (a JVM a worker cannot share):
                    # it runs here, while the workers go on with theirs.
                    self._run_here(node, work)
                    ready.extend(self._release(node, waiting_on, children))
                    continue
                try:
                    task = work.prepare(node, in_worker=True)
                except AetherError as error:
                    work.fail(node, error)
                    task = None
                if task is None:
                    ready.extend(self._release(node, waiting_on, children))
                    continue
                running[pool.submit(run_in_worker, task)] = node
            ready = []
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            # Results first: a node that finished just before the pool broke is not aborted.
            for future in sorted(done, key=lambda f: f.exception() is not None):
                node = running.pop(future)
                try:
                    work.finish(node, future.result())
                except AetherError as error:
                    work.fail(node, error)
                except BrokenProcessPool:
                    # A worker vanished (os._exit, crash, out of memory) and took the pool
                    # down; which node's worker it was is unknown, so no node is blamed.
                    for stopped in [node, *running.values()]:
                        work.abort(stopped, WORKER_DIED)
                    return
                except Exception as exc:
                    work.fail(node, _worker_crash(node, exc))
                ready.extend(self._release(node, waiting_on, children))

    @staticmethod
    def _run_here(node: Node, work: NodeWork) -> None:
        try:
            task = work.prepare(node, in_worker=False)
            if task is not None:
                work.finish(node, work.execute(task))
        except AetherError as error:
            work.fail(node, error)

    @staticmethod
    def _release(
        node: Node, waiting_on: dict[str, set[str]], children: dict[str, list[Node]]
    ) -> list[Node]:
        unblocked = []
        for child in children[node.name]:
            waiting_on[child.name].discard(node.name)
            if not waiting_on[child.name]:
                unblocked.append(child)
        return unblocked


def create_runner(name: str, max_workers: int | None = None) -> Runner:
    if name == "sequential":
        return SequentialRunner()
    if max_workers is not None and max_workers < 1:
        raise PipelineError(
            f"--workers must be 1 or more, not {max_workers}",
            hint="leave it out to use every core",
        )
    if name == "parallel":
        return ParallelRunner(max_workers)
    raise PipelineError(f"Unknown runner '{name}'", hint=f"use one of: {', '.join(RUNNER_NAMES)}")


# Worker side -----------------------------------------------------------------------------
_worker_catalog: Any = None


def init_worker(
    catalog_factory: Callable[[], Any],
    sys_path: list[str],
    durability_level: str,
    sources: tuple[str, dict[str, bytes]] | None = None,
) -> None:
    """Runs once in each worker: same import path, durability and project source bytes as
    the parent, a catalog of its own."""
    global _worker_catalog
    # The parent decides what a signal does to the run: a Ctrl-C reaching the whole process
    # group must not fail the nodes in the workers, and SIGTERM (the parent stopping its
    # workers) must kill a forked worker rather than run the parent's handler.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    for entry in reversed(sys_path):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    durability.set_level(durability_level)
    project_sources.adopt(sources)
    _worker_catalog = catalog_factory()  # registers its credentials for masking, too
    mask_standard_streams()


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when its parent dies. A SIGKILLed ``aether run``
    cannot stop its workers: they would live on (forever, when idle), holding its terminal
    and writing staged copies nobody publishes."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl (another libc): the old behaviour
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def run_in_worker(task: NodeTask) -> NodeOutcome:
    return execute_node(task, _worker_catalog)


def _process_context() -> multiprocessing.context.BaseContext:
    import multiprocessing

    # fork starts workers in milliseconds and inherits imported modules. Workers are forked
    # when the pool starts, before its manager thread, and Aether's progress display has no
    # refresh thread. A child never touches the parent's SQLite connection and leaves with
    # os._exit, so the connection is neither used nor closed across the fork.
    # From Python 3.12, fork in a process with threads (pyarrow starts some) warns of
    # deadlocks: there, and elsewhere than Linux, start workers without fork (everything a
    # worker gets is picklable; tests run the parallel runner under spawn too).
    # A native runtime started in the parent cannot be forked: delta-rs (deltalake) panics
    # in a forked child ("Forked process detected"). Once one is loaded, workers are not forked.
    if sys.platform.startswith("linux"):
        forkable = sys.version_info < (3, 12) and not any(m in sys.modules for m in _NOT_FORKABLE)
        return multiprocessing.get_context("fork" if forkable else "forkserver")
    return multiprocessing.get_context()


# Modules whose native runtime (threads, an async executor) does not survive a fork.
_NOT_FORKABLE = ("deltalake",)


class _PoolProcesses:
    """The worker processes of a pool, found through public API: the children this process
    started after the pool was made (no public list before Python 3.14's terminate_workers;
    during a parallel run the parent runs no node, so no other child starts meanwhile)."""

    def __init__(self) -> None:
        import multiprocessing

        self.before = frozenset(multiprocessing.active_children())

    def alive(self) -> list[Any]:
        import multiprocessing

        return [p for p in multiprocessing.active_children() if p not in self.before]


def _stop_workers(pool: ProcessPoolExecutor, processes: _PoolProcesses) -> None:
    """End the pool's workers now, mid-task: shutting down normally waits for their nodes."""
    for process in processes.alive():
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


# How long idle workers get to leave on their own once every result is in.
_WORKER_EXIT_GRACE = 5.0


def _end_idle_workers(pool: ProcessPoolExecutor, pool_processes: _PoolProcesses) -> None:
    """Every result is in: let the workers leave, and end those that do not.

    A worker leaves by joining its non-daemon threads (multiprocessing does so before a
    process exits), so a thread a node started and never stopped would keep the run waiting
    for ever. Nothing of the run is left in a worker by now, so ending it loses nothing.
    """
    import time

    processes = pool_processes.alive()
    pool.shutdown(wait=False)
    deadline = time.monotonic() + _WORKER_EXIT_GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
            process.join()


def _worker_crash(node: Node, exc: BaseException) -> NodeFailedError:
    return NodeFailedError(
        f"Node '{node.name}' failed: its result could not come back from the worker process "
        f"({type(exc).__name__}: {exc})",
        hint="in-memory outputs must be picklable with --runner parallel: declare the dataset "
        "in the catalog, or use --runner sequential",
    )
