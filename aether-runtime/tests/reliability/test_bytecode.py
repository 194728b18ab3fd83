"""What runs is what was hashed: a stale bytecode cache never makes old code produce data
recorded under the new code hash.

Python trusts a timestamp ``.pyc`` whose recorded size and mtime second match the source: an
edit that keeps both (within one second, ``cp -p``, ``rsync -t``) would run the old code
while Aether, hashing the source, records the new hash. Every case edits a function to a
same-size body, puts the mtime back to the nanosecond, runs again and reads the OUTPUT DATA.
The CLI runs with bytecode writing on, as on a user's machine, whatever the caller's
environment (``BYTECODE_ON``).
"""

from __future__ import annotations

import json
import os
import py_compile
from importlib.util import cache_from_source
from pathlib import Path

import pytest

from .conftest import assert_no_traceback

# `double` calls a project-local helper, so a case can edit either file.
NODES = '''\
"""Transformations of the fixture project."""

import pandas as pd

from mini.helpers import scale


def double(rows, factor):
    return rows.assign(n=rows["n"] * factor)


def double_by_helper(rows, factor):
    return scale(rows, factor)


def total(rows):
    return pd.DataFrame({"total": [int(rows["n"].sum())]})
'''

HELPERS = '''\
"""A project-local helper the node imports."""


def scale(rows, factor):
    return rows.assign(n=rows["n"] * factor)
'''

# Both nodes independent, so the parallel runner runs them in worker processes.
PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.DOUBLE
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: numbers}
        outputs: total
default: main
"""

# A user's machine: bytecode written (empty is "not set" to Python), whatever the caller's.
BYTECODE_ON = {"PYTHONDONTWRITEBYTECODE": ""}


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Edit ``path`` keeping its size, and put its mtime back (to the nanosecond)."""
    assert len(old) == len(new)
    stat = path.stat()
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


def _run(aether, project: Path, runner: str):  # type: ignore[no-untyped-def]
    result = aether(project, "run", "--runner", runner, env=BYTECODE_ON)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    return result


@pytest.mark.parametrize(
    ("runner", "edited", "folder"),
    [
        ("sequential", "nodes", ""),
        ("sequential", "helpers", ""),
        ("parallel", "nodes", ""),
        ("parallel", "helpers", ""),
        # A project kept under a folder so named is still project code (hostile review).
        ("sequential", "helpers", "site-packages/"),
        ("sequential", "helpers", "dist-packages-demo/"),
    ],
)
def test_an_edit_that_keeps_size_and_mtime_runs_the_new_code(
    make_project, aether, runner: str, edited: str, folder: str
) -> None:
    """What runs is what was hashed: after a same-size edit with the mtime restored (a stale
    timestamp .pyc beside it), the rerun's output comes from the new code, in the node's
    module and in a project-local helper it imports, under both runners."""
    function = "double" if edited == "nodes" else "double_by_helper"
    project = make_project(
        f"{folder}bytecode_{edited}_{runner}",
        pipeline=PIPELINE.replace("DOUBLE", function),
        files={"src/mini/nodes.py": NODES, "src/mini/helpers.py": HELPERS},
    )
    _run(aether, project, runner)
    doubled = project / "data" / "02_intermediate" / "doubled.csv"
    assert doubled.read_text() == "n\n2\n4\n6\n"
    assert list((project / "src" / "mini" / "__pycache__").glob("*.pyc"))
    source = project / "src" / "mini" / f"{edited}.py"
    # As a plain `python -c "import mini.nodes"` (or an older runtime) would leave it: a
    # timestamp .pyc of the old code, which Python trusts while size and mtime second match.
    py_compile.compile(
        str(source),
        cfile=cache_from_source(str(source)),
        invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
    )

    _same_size_edit(source, 'rows["n"] * factor', 'rows["n"] + factor')
    rerun = _run(aether, project, runner)

    assert doubled.read_text() == "n\n3\n4\n5\n", rerun.stdout + rerun.stderr  # 1+2, 2+2, 3+2
    status = json.loads(aether(project, "status", "--json").stdout)
    assert {a["name"]: a["status"] for a in status["assets"]}["doubled"] == "fresh"
