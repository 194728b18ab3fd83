"""Shared fixtures: small Aether projects written under ``tmp_path``.

``make_project(scenario, ...)`` writes a project whose default configuration runs: a CSV of
numbers is doubled (``double``, tag ``prep``) and summed (``total``, tag ``report``). Each of
``catalog``, ``pipeline``, ``parameters`` is the file's new text, or a function that edits
the default text; ``local`` / ``envs`` add environment folders, ``files`` any other file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
  metadata: {owner: data-team, description: Numbers to add up}
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
        tags: [prep]
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: doubled}
        outputs: total
        tags: [report]
default: main
"""

PARAMETERS = "factor: 2\n"

NODES = '''\
"""Transformations of the fixture project."""

import pandas as pd


def double(rows, factor):
    return rows.assign(n=rows["n"] * factor)


def total(rows):
    return pd.DataFrame({"total": [int(rows["n"].sum())]})


def boom(rows):
    raise ValueError("boom on purpose")


def pair(rows):
    return rows, rows, rows


def halves(rows):
    return {"first": rows.head(1), "wrong_key": rows.tail(1)}


def passthrough(rows):
    return rows
'''


def write_project(
    root: Path,
    *,
    catalog: str | Callable[[str], str] = CATALOG,
    pipeline: str | Callable[[str], str] = PIPELINE,
    parameters: str | Callable[[str], str] = PARAMETERS,
    local: Mapping[str, str] | None = None,
    envs: Mapping[str, Mapping[str, str]] | None = None,
    files: Mapping[str, str] | None = None,
) -> Path:
    """Write a small project at ``root`` and return ``root``."""
    contents = {
        "conf/base/catalog.yml": _text(catalog, CATALOG),
        "conf/base/pipeline.yml": _text(pipeline, PIPELINE),
        "conf/base/parameters.yml": _text(parameters, PARAMETERS),
        "data/01_raw/numbers.csv": "n\n1\n2\n3\n",
        "src/mini/__init__.py": "",
        "src/mini/nodes.py": NODES,
        **{f"conf/local/{name}": text for name, text in (local or {}).items()},
        **{
            f"conf/{env}/{name}": text
            for env, env_files in (envs or {}).items()
            for name, text in env_files.items()
        },
        **(files or {}),
    }
    for relative, text in contents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "conf" / "local").mkdir(exist_ok=True)
    return root


def _text(given: str | Callable[[str], str], default: str) -> str:
    return given(default) if callable(given) else given


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """``make_project("scenario_name", catalog=..., ...)``: a project in ``tmp_path/<name>``."""

    def make(scenario: str = "project", **overrides: object) -> Path:
        return write_project(tmp_path / scenario, **overrides)  # type: ignore[arg-type]

    return make


def run_aether(
    project: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m aether ARGS`` in ``project``, as a user would type it (``timeout``: for
    the few scale cases that legitimately take minutes on a busy machine)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AETHER_")}
    environ.update({"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "aether", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def aether() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``aether(project, "run", "--env", "prod", env={...})``: the CLI in a subprocess."""
    return run_aether
