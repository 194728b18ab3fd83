"""The parallel runner under `spawn` (macOS and Windows start workers that way): only
configuration and in-memory data cross to the workers, never live dataset objects."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from aether import run_pipeline
from aether.datasets.memory import MemoryDataSet
from aether.engine import runners
from aether.engine.orchestrator import Orchestrator
from aether.project.context import load_context

STEPS = """import os


def make_numbers(n):
    return list(range(n))


def total(numbers):
    return {"sum": sum(numbers), "pid": os.getpid()}


def count(numbers):
    return {"count": len(numbers), "pid": os.getpid()}
"""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project(
        "spawn_project",
        parameters="n: 10\n",
        catalog=(
            "total: {type: JsonDataSet, filepath: data/total.json}\n"
            "count: {type: JsonDataSet, filepath: data/count.json}\n"
        ),
        pipeline=(
            "pipelines:\n  p:\n    nodes:\n"
            "      - {name: make, transformation: spawnpkg.steps.make_numbers,"
            " inputs: {n: params:n}, outputs: numbers}\n"
            "      - {name: total, transformation: spawnpkg.steps.total,"
            " inputs: {numbers: numbers}, outputs: total}\n"
            "      - {name: count, transformation: spawnpkg.steps.count,"
            " inputs: {numbers: numbers}, outputs: count}\n"
        ),
        files={"src/spawnpkg/__init__.py": "", "src/spawnpkg/steps.py": STEPS},
    )


def test_the_worker_recipe_pickles_without_live_datasets(project: Path) -> None:
    context = load_context(project)
    context.catalog.add("big_in_memory", MemoryDataSet(data="x" * 1_000_000))
    recipe = Orchestrator(context.catalog, context.params).catalog_factory

    payload = pickle.dumps(recipe)
    rebuilt = pickle.loads(payload)()

    assert len(payload) < 100_000  # the megabyte held in memory did not travel

    assert sorted(rebuilt.entries) == ["count", "total"]
    assert "big_in_memory" not in rebuilt.list()


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_parallel_runner_works_with_workers_started_without_fork(
    project: Path, monkeypatch: pytest.MonkeyPatch, start_method: str
) -> None:
    context = multiprocessing.get_context(start_method)
    monkeypatch.setattr(runners, "_process_context", lambda: context)

    result = run_pipeline(project, runner="parallel", max_workers=2)

    assert result.succeeded, [r.error for r in result.results if r.error]
    import json

    total = json.loads((project / "data" / "total.json").read_text())
    count = json.loads((project / "data" / "count.json").read_text())
    assert (total["sum"], count["count"]) == (45, 10)


def test_an_unpicklable_in_memory_output_gets_a_clear_failure(
    make_project: Callable[..., Path],
) -> None:
    root = make_project(
        "lambda_project",
        catalog="out: {type: JsonDataSet, filepath: data/out.json}\n",
        pipeline=(
            "pipelines:\n  p:\n    nodes:\n"
            "      - {name: make, transformation: lambdapkg.steps.make, outputs: fn}\n"
            "      - {name: use, transformation: lambdapkg.steps.use,"
            " inputs: {f: fn}, outputs: out}\n"
        ),
        files={
            "src/lambdapkg/__init__.py": "",
            "src/lambdapkg/steps.py": (
                "def make():\n    return lambda x: x\n\n\ndef use(f):\n    return {'ok': f(1)}\n"
            ),
        },
    )

    result = run_pipeline(root, runner="parallel", max_workers=2)

    failed = {r.name: r for r in result.failed}
    assert list(failed) == ["make"]
    assert "could not come back from the worker process" in failed["make"].error.message
    assert "--runner sequential" in failed["make"].error.hint
    assert run_pipeline(root, runner="sequential").succeeded
