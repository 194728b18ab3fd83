"""A layered CSV DAG, written for Aether, as a plain pandas script, for Kedro and for DVC.

Every node reads two CSV files of the previous layer, adds them (``a + b``) and writes one
CSV file: node ``i`` of layer ``l`` reads nodes ``i`` and ``i + 1`` (wrapping) of layer
``l - 1``; the first layer reads generated source files. All the writers below produce the
same graph from ``Shape.steps()``, so every tool does the same reads, adds and writes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from harness import BENCH_DIR
from projects import write_project

COLUMNS = ("a", "b", "c", "d")


@dataclass(frozen=True)
class Shape:
    """``layers`` x ``width`` nodes; each source and output CSV has ``rows`` x 4 int columns."""

    layers: int
    width: int
    rows: int = 100

    @property
    def nodes(self) -> int:
        return self.layers * self.width

    @property
    def sources(self) -> list[str]:
        return [f"src_{index:04d}" for index in range(self.width)]

    def steps(self) -> list[tuple[str, str, str]]:
        """``(first input, second input, output)`` dataset names, in topological order."""
        previous, steps = self.sources, []
        for layer in range(self.layers):
            current = [f"l{layer:03d}_{index:04d}" for index in range(self.width)]
            for index, output in enumerate(current):
                steps.append((previous[index], previous[(index + 1) % self.width], output))
            previous = current
        return steps

    def dependents(self, name: str) -> set[str]:
        """Every output computed, directly or not, from ``name``."""
        found = {name}
        for first, second, output in self.steps():  # topological: parents come first
            if first in found or second in found:
                found.add(output)
        return found - {name}

    def describe(self) -> str:
        return (
            f"{self.nodes:,} nodes in {self.layers} layers of {self.width}; each node reads two "
            f"CSV files of the previous layer ({self.rows} rows x {len(COLUMNS)} int columns), "
            "adds them and writes one"
        )


def shape_for(nodes: int, layers: int = 40) -> Shape:
    """A DAG of ``nodes`` nodes, ``layers`` deep (the width grows with the size)."""
    return Shape(layers=layers, width=max(1, nodes // layers))


def source_dir(shape: Shape) -> Path:
    """The generated source CSVs of ``shape``, cached in .bench/data/ (read only by the runs)."""
    folder = BENCH_DIR / "data" / f"layered_src_{shape.width}x{shape.rows}_v1"
    if (folder / "done").exists():
        return folder
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(10)
    for name in shape.sources:
        values = rng.integers(0, 1000, size=(shape.rows, len(COLUMNS)))
        pd.DataFrame(values, columns=list(COLUMNS)).to_csv(folder / f"{name}.csv", index=False)
    (folder / "done").write_text("")
    return folder


# --- Aether -------------------------------------------------------------------------------

ADD_SOURCE = '''"""The node: add two frames column by column."""


def add(a, b):
    return a + b
'''


def aether_project(root: Path, shape: Shape) -> Path:
    """An Aether project: a ``PandasCsvDataSet`` per CSV, a node per step."""
    sources = source_dir(shape)
    catalog: dict[str, Any] = {
        name: {"type": "PandasCsvDataSet", "filepath": str(sources / f"{name}.csv")}
        for name in shape.sources
    }
    nodes = []
    for first, second, output in shape.steps():
        catalog[output] = {"type": "PandasCsvDataSet", "filepath": f"data/{output}.csv"}
        nodes.append(
            {
                "name": f"n_{output}",
                "transformation": "layered.nodes.add",
                "inputs": {"a": first, "b": second},
                "outputs": output,
            }
        )
    project = write_project(root, "layered", {"nodes": ADD_SOURCE}, nodes, catalog=catalog)
    (project / "data").mkdir()
    return project


def reset_aether(project: Path) -> None:
    """Back to a project that never ran: no outputs, no state."""
    shutil.rmtree(project / ".aether", ignore_errors=True)
    shutil.rmtree(project / "data", ignore_errors=True)
    (project / "data").mkdir()


def edit_by_hand(project: Path, output: str, variant: int) -> None:
    """Rewrite an output CSV as a user would: same shape, different content each ``variant``."""
    path = project / "data" / f"{output}.csv"
    lines = path.read_text().splitlines()
    rows = [",".join(str(variant + 7) for _ in COLUMNS) for _ in lines[1:]]
    path.write_text("\n".join([lines[0], *rows]) + "\n")


def check_stale(project: Path, expected: set[str], env: dict[str, str], aether: str) -> None:
    """Fail loudly unless ``aether status --json`` names exactly ``expected`` as stale.

    A status that is fast because it missed the edit would be no result at all.
    """
    done = subprocess.run(
        [aether, "status", "--json"], cwd=project, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"`aether status --json` exited {done.returncode}: {done.stderr[-500:]}")
    assets = json.loads(done.stdout)["assets"]
    unwell = {asset["name"]: asset["status"] for asset in assets if asset["status"] != "fresh"}
    if set(unwell) != expected or set(unwell.values()) - {"stale"}:
        missed, extra = sorted(expected - set(unwell)), sorted(set(unwell) - expected)
        not_stale = sorted(name for name, status in unwell.items() if status != "stale")
        raise RuntimeError(
            f"after editing one output, `aether status` should name exactly it and its "
            f"{len(expected) - 1} dependents as stale; missed {missed[:5]} ({len(missed)}), "
            f"extra {extra[:5]} ({len(extra)}), not 'stale': {not_stale[:5]}"
        )


# --- the plain pandas script ----------------------------------------------------------------

PLAIN_SCRIPT = '''"""The floor: the pipeline's reads, adds and writes, in topological order."""

import os
import sys
from pathlib import Path

import pandas as pd

SOURCES, OUTPUTS = Path(sys.argv[1]), Path(sys.argv[2])
OUTPUTS.mkdir(exist_ok=True)
STEPS = [
{steps}
]
where = {{name: SOURCES / f"{{name}}.csv" for name in {sources!r}}}
for first, second, output in STEPS:
    where[output] = OUTPUTS / f"{{output}}.csv"
{write}
'''

# How the script writes an output: in place (truncating an existing file), or as an atomic
# publish does (a complete temporary sibling renamed over the target), which is what Aether
# must do so that no reader or crash ever sees a torn file: the floor of a safe run.
_IN_PLACE = """    frame = pd.read_csv(where[first]) + pd.read_csv(where[second])
    frame.to_csv(where[output], index=False)"""
_ATOMIC = """    frame = pd.read_csv(where[first]) + pd.read_csv(where[second])
    temporary = OUTPUTS / f".{output}.csv.tmp"
    frame.to_csv(temporary, index=False)
    os.replace(temporary, where[output])"""


def plain_script(path: Path, shape: Shape, *, atomic: bool = False) -> list[str]:
    """Write the script; return the argv that runs it (outputs go to ``<path's folder>/<path's
    stem>``). ``atomic``: each output is written to a temporary sibling and renamed into place."""
    steps = "\n".join(f"    {step!r}," for step in shape.steps())
    write = _ATOMIC if atomic else _IN_PLACE
    path.write_text(PLAIN_SCRIPT.format(steps=steps, sources=shape.sources, write=write))
    return [sys.executable, str(path), str(source_dir(shape)), str(path.parent / path.stem)]


# --- Kedro ----------------------------------------------------------------------------------

KEDRO_REGISTRY = '''"""The pipeline: one Kedro node per step of the layered DAG."""

from kedro.pipeline import Pipeline, node

from layered.nodes import add

STEPS = [
{steps}
]


def register_pipelines():
    pipeline = Pipeline(
        [node(add, [a, b], output, name=f"n_{{output}}") for a, b, output in STEPS]
    )
    return {{"__default__": pipeline}}
'''


def kedro_project(root: Path, shape: Shape, kedro_version: str) -> Path:
    """A Kedro project: pyproject.toml, catalog entries for every CSV, a pipeline registry."""
    if root.exists():
        shutil.rmtree(root)
    package = root / "src" / "layered"
    package.mkdir(parents=True)
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    (root / "data").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "layered"\nversion = "0.1"\n\n'
        '[tool.kedro]\npackage_name = "layered"\nproject_name = "layered"\n'
        f'kedro_init_version = "{kedro_version}"\nsource_dir = "src"\n'
    )
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text('"""Kedro defaults."""\n')
    (package / "nodes.py").write_text(ADD_SOURCE)
    steps = "\n".join(f"    {step!r}," for step in shape.steps())
    (package / "pipeline_registry.py").write_text(KEDRO_REGISTRY.format(steps=steps))
    sources = source_dir(shape)
    catalog: dict[str, Any] = {
        name: {"type": "pandas.CSVDataset", "filepath": str(sources / f"{name}.csv")}
        for name in shape.sources
    }
    for _, _, output in shape.steps():
        catalog[output] = {
            "type": "pandas.CSVDataset",
            "filepath": f"data/{output}.csv",
            "save_args": {"index": False},
        }
    (root / "conf" / "base" / "catalog.yml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    (root / "conf" / "base" / "parameters.yml").write_text("{}\n")
    return root


# --- DVC ------------------------------------------------------------------------------------

DVC_STAGE_SCRIPT = '''"""One DVC stage: add two CSV files (stdlib only, to start fast)."""

import csv
import sys

first, second, output = sys.argv[1:4]
with open(first, newline="") as a, open(second, newline="") as b:
    rows_a, rows_b = csv.reader(a), csv.reader(b)
    header = next(rows_a)
    next(rows_b)
    rows = [[int(x) + int(y) for x, y in zip(ra, rb)] for ra, rb in zip(rows_a, rows_b)]
with open(output, "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\\n")
    writer.writerow(header)
    writer.writerows(rows)
'''


def dvc_project(root: Path, shape: Shape, python: str) -> Path:
    """``dvc.yaml`` with one stage per node running ``add.py`` (``dvc init`` is the caller's)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source_dir(shape), root / "src", ignore=shutil.ignore_patterns("done"))
    (root / "out").mkdir()
    (root / "add.py").write_text(DVC_STAGE_SCRIPT)
    where = {name: f"src/{name}.csv" for name in shape.sources}
    stages = {}
    for first, second, output in shape.steps():
        where[output] = f"out/{output}.csv"
        stages[output] = {
            "cmd": f"{python} add.py {where[first]} {where[second]} {where[output]}",
            "deps": ["add.py", where[first], where[second]],
            "outs": [where[output]],
        }
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}, sort_keys=False, width=200))
    return root
