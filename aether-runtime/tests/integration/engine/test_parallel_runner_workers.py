"""The parallel runner really runs independent nodes in separate worker processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aether.catalog import DataCatalog
from aether.datasets.memory import MemoryDataSet
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import plan_all
from aether.engine.runners import ParallelRunner
from aether.pipeline import Pipeline, node

WORKER_MODULE = """
import os
import time


def slow_pid(seconds):
    time.sleep(seconds)  # long enough that one worker cannot take both nodes
    return os.getpid()


def fail(seconds):
    raise RuntimeError("worker failure")


def plus(a, b):
    return a + b


def pair(a, b):
    return [a, b]
"""


@pytest.fixture
def worker_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module importable by workers (they receive the parent's sys.path)."""
    (tmp_path / "aether_runner_nodes.py").write_text(WORKER_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "aether_runner_nodes"


def test_independent_nodes_run_in_two_different_worker_processes(worker_module: str) -> None:
    catalog = DataCatalog({"delay": MemoryDataSet(0.5)})
    pipeline = Pipeline(
        [
            node(f"{worker_module}.slow_pid", "delay", "pid_a", name="a"),
            node(f"{worker_module}.slow_pid", "delay", "pid_b", name="b"),
            node(f"{worker_module}.pair", ["pid_a", "pid_b"], "pids", name="join"),
        ],
        name="p",
    )

    result = Orchestrator(catalog, {}, runner=ParallelRunner(max_workers=2)).run(
        plan_all(pipeline), "r1"
    )

    assert result.succeeded, [r.error for r in result.failed]
    # In-memory outputs made in workers come back to the parent and on to the next node.
    pid_a, pid_b = catalog.load("pids")
    assert pid_a != pid_b
    assert os.getpid() not in (pid_a, pid_b)


def test_a_failure_in_a_worker_skips_downstream_and_keeps_the_message(worker_module: str) -> None:
    catalog = DataCatalog({"delay": MemoryDataSet(0)})
    pipeline = Pipeline(
        [
            node(f"{worker_module}.fail", "delay", "x", name="broken"),
            node(f"{worker_module}.plus", ["x", "x"], "y", name="after"),
            node(f"{worker_module}.slow_pid", "delay", "pid", name="independent"),
        ],
        name="p",
    )

    result = Orchestrator(catalog, {}, runner=ParallelRunner(max_workers=2)).run(
        plan_all(pipeline), "r1"
    )

    statuses = {r.name: r.status for r in result.results}
    assert statuses == {"broken": "failed", "after": "skipped", "independent": "succeeded"}
    error = result.failed[0].error
    assert error is not None and "RuntimeError: worker failure" in error.message
