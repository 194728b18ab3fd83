"""What runs is what was hashed, in one long-lived process and in workers not forked.

`aether run` in a fresh process is covered by tests/reliability/test_bytecode.py; here the
runs are in this process (as a notebook, a script or a long-lived service would call
`run_pipeline`), and workers start under spawn / forkserver (macOS, Windows, Python 3.12+).
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aether import RunRequest, dry_run, run_pipeline
from aether.catalog import DataCatalog
from aether.datasets.memory import MemoryDataSet
from aether.engine import runners
from aether.engine.orchestrator import Orchestrator
from aether.engine.plan import RunResult, plan_all
from aether.engine.runners import ParallelRunner
from aether.pipeline import Pipeline, node
from aether.project.sources import reading_project

LIVE_NODES = """\
def double(rows, factor):
    return rows.assign(n=rows["n"] * factor)
"""


def test_a_second_run_in_one_process_runs_the_edited_code(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module imported by an earlier run (or by the user) is imported again when its file
    no longer holds the bytes it was compiled from, even after an edit keeping size and
    mtime."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as on a user's machine
    project = make_project(
        "live_process",
        pipeline=lambda text: text.replace("mini.nodes.double", "livepkg.nodes.double"),
        files={"src/livepkg/__init__.py": "", "src/livepkg/nodes.py": LIVE_NODES},
    )
    assert run_pipeline(project).succeeded
    doubled = project / "data" / "02_intermediate" / "doubled.csv"
    assert doubled.read_text() == "n\n2\n4\n6\n"
    source = project / "src" / "livepkg" / "nodes.py"
    stat = source.stat()
    source.write_text(LIVE_NODES.replace("* factor", "+ factor"))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    result = run_pipeline(project)

    assert result.succeeded, [r.error for r in result.results if r.error]
    assert doubled.read_text() == "n\n3\n4\n5\n"  # 1+2, 2+2, 3+2: the new code


# `edit` changes the helper `use` calls after the run hashed it and before `use` runs.
EDIT = """\
import pathlib


def edit(path):
    helper = pathlib.Path(path)
    helper.write_text(helper.read_text().replace("x * 2", "x * 20"))
    return 1
"""

STEPS = """\
from workerpkg.helpers import scale


def use(token):
    return {"value": scale(token)}
"""

HELPERS = """\
def scale(x):
    return x * 2
"""


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_a_worker_runs_the_bytes_the_parent_hashed(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, start_method: str
) -> None:
    """A worker process compiles project code from the bytes the parent read and hashed, not
    from the file as it is when the worker imports it: the recorded hash describes the code
    that ran, and the edit is then reported as a code change."""
    monkeypatch.setattr(
        runners, "_process_context", lambda: multiprocessing.get_context(start_method)
    )
    package = f"workerpkg_{start_method}"  # one per case: this process imports them all
    root = make_project(f"worker_bytes_{start_method}", parameters="helpers: ''\n")
    helpers = root / "src" / package / "helpers.py"
    make_project(
        f"worker_bytes_{start_method}",
        parameters=f"helpers: {json.dumps(str(helpers))}\n",
        catalog="out: {type: JsonDataSet, filepath: data/out.json}\n",
        pipeline=(
            "pipelines:\n  p:\n    nodes:\n"
            f"      - {{name: edit, transformation: {package}.edit.edit,"
            " inputs: {path: params:helpers}, outputs: token}\n"
            f"      - {{name: use, transformation: {package}.steps.use,"
            " inputs: {token: token}, outputs: out}\n"
        ),
        files={
            f"src/{package}/__init__.py": "",
            f"src/{package}/edit.py": EDIT,
            f"src/{package}/steps.py": STEPS.replace("workerpkg", package),
            f"src/{package}/helpers.py": HELPERS,
        },
    )

    result = run_pipeline(root, runner="parallel", max_workers=2)

    assert result.succeeded, [r.error for r in result.results if r.error]
    assert "x * 20" in helpers.read_text()  # the edit happened mid-run
    assert json.loads((root / "data" / "out.json").read_text()) == {"value": 2}  # hashed code
    plan = dry_run(RunRequest(root))
    assert {p.node.name: p.reason for p in plan.to_run}["use"] == "stale: out: code changed in use"


API_NODES = """\
def double(x):
    return x * 2
"""


def test_a_function_object_imported_before_an_edit_is_refused_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function given as an object (the Python API) cannot be re-imported by the run: when
    its file no longer holds its code, the node is refused instead of running the old code
    under the new hash. A line added above it alone (same code) is no reason to refuse."""
    root = tmp_path / "api_project"
    (root / "src" / "apipkg").mkdir(parents=True)
    (root / "src" / "apipkg" / "__init__.py").write_text("")
    source = root / "src" / "apipkg" / "nodes.py"
    source.write_text(API_NODES)
    monkeypatch.syspath_prepend(str(root / "src"))
    double = importlib.import_module("apipkg.nodes").double

    def run() -> RunResult:
        catalog = DataCatalog({"x": MemoryDataSet(5)})
        pipeline = Pipeline([node(double, "x", "y", name="double")], name="p")
        with reading_project(root):
            return Orchestrator(catalog, {}).run(plan_all(pipeline), "r")

    source.write_text("# a comment moves the function down a line\n" + API_NODES)
    assert run().succeeded
    source.write_text(API_NODES.replace("x * 2", "x + 2"))  # same size: a .pyc would match

    result = run()

    assert [r.name for r in result.failed] == ["double"]
    error = result.failed[0].error
    assert error is not None
    assert "imported from an older version of" in error.message
    assert "importlib.reload" in (error.hint or "")


def test_a_function_object_imported_before_the_run_still_goes_to_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module you imported before the run, whose code is what its file holds, is kept:
    the function you hold is still the module's own, so it pickles to a worker process."""
    root = tmp_path / "api_parallel"
    (root / "src" / "apipar").mkdir(parents=True)
    (root / "src" / "apipar" / "__init__.py").write_text("")
    (root / "src" / "apipar" / "nodes.py").write_text(API_NODES)
    monkeypatch.syspath_prepend(str(root / "src"))
    double = importlib.import_module("apipar.nodes").double
    catalog = DataCatalog({"x": MemoryDataSet(5)})
    pipeline = Pipeline([node(double, "x", "y", name="double")], name="p")

    with reading_project(root):
        result = Orchestrator(catalog, {}, runner=ParallelRunner(max_workers=1)).run(
            plan_all(pipeline), "r"
        )

    assert result.succeeded, [r.error for r in result.failed]
    assert catalog.load("y") == 10


def test_imports_during_a_run_resolve_each_package_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every import in a run asks whether the package's folder is in the project; pandas
    alone imports ~500 submodules, so the answer is resolved once per folder, not per
    import."""
    outside = tmp_path / "site"
    package = outside / "manysubs"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for index in range(20):
        (package / f"m{index}.py").write_text(f"VALUE = {index}\n")
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.syspath_prepend(str(outside))
    resolved: list[str] = []
    real_realpath = os.path.realpath

    def counting_realpath(path: Any, *args: Any, **kwargs: Any) -> str:
        resolved.append(os.fspath(path))
        return real_realpath(path, *args, **kwargs)

    with reading_project(project):
        monkeypatch.setattr(os.path, "realpath", counting_realpath)
        modules = [importlib.import_module(f"manysubs.m{index}") for index in range(20)]
        monkeypatch.setattr(os.path, "realpath", real_realpath)

    assert [module.VALUE for module in modules] == list(range(20))
    assert resolved.count(str(package)) <= 1, resolved.count(str(package))
    for name in [name for name in sys.modules if name.partition(".")[0] == "manysubs"]:
        del sys.modules[name]
