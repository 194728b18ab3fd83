"""Shared fixtures: small Aether projects written under ``tmp_path``, and the CLI run on them.

The one way a test runs the CLI is the ``aether`` fixture (:func:`run_aether`: waited for) or
``aether_in_background`` (:func:`start_aether`: a ``Popen`` to signal or kill); both use
:func:`cli_env`. ``orders_project`` is a never-run copy of ``examples/orders``.

``make_project(scenario, ...)`` writes a project whose default configuration runs: a CSV of
numbers is doubled (``double``, tag ``prep``) and summed (``total``, tag ``report``). Each of
``catalog``, ``pipeline``, ``parameters`` is the file's new text, or a function that edits
the default text; ``local`` / ``envs`` add environment folders, ``files`` any other file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

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


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: no inherited ``AETHER_*``, bytecode written as on
    a user's machine (no ``PYTHONDONTWRITEBYTECODE``, which hides stale-``.pyc`` bugs), wide
    plain unbuffered output, then ``extra``."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AETHER_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    environ.update({"COLUMNS": "250", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **(extra or {})})
    return environ


def _command(args: tuple[str, ...], debug: bool) -> list[str]:
    return [sys.executable, "-m", "aether", *(["--debug"] if debug else []), *args]


def run_aether(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    debug: bool = False,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m aether [--debug] ARGS`` in ``cwd`` (a project or any folder in it), as a
    user would type it; ``env`` adds to :func:`cli_env`, ``input`` is fed to stdin. The
    generous ``timeout`` only stops a hung run: template renders and scale cases
    legitimately take minutes on a busy machine."""
    return subprocess.run(
        _command(args, debug),
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=timeout,
    )


def start_aether(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[str] = subprocess.PIPE,
    stderr: int | IO[str] = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """``python -m aether ARGS`` started in the background, not waited for (output piped,
    or to the given file or ``subprocess.DEVNULL``)."""
    return subprocess.Popen(
        _command(args, debug=False),
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        text=True,
        env=cli_env(env),
    )


@pytest.fixture(scope="session")
def aether() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``aether(project, "run", "--env", "prod", env={...}, debug=True)``: the CLI in a
    subprocess (:func:`run_aether`)."""
    return run_aether


@pytest.fixture(scope="session")
def aether_in_background() -> Callable[..., subprocess.Popen[str]]:
    """``aether_in_background(project, "run", env={...})``: the CLI started, not waited for
    (:func:`start_aether`)."""
    return start_aether


ORDERS_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders"


def copy_orders_example(target: Path) -> Path:
    """A copy of ``examples/orders`` at ``target`` that was never run: no state, no outputs."""
    shutil.copytree(
        ORDERS_EXAMPLE,
        target,
        ignore=shutil.ignore_patterns("02_*", "08_*", ".aether", "__pycache__"),
    )
    return target


@pytest.fixture(scope="session")
def copy_orders() -> Callable[[Path], Path]:
    """``copy_orders(target)``: :func:`copy_orders_example`, for fixtures of wider scope."""
    return copy_orders_example


@pytest.fixture
def orders_project(tmp_path: Path) -> Path:
    """A never-run copy of ``examples/orders`` at ``tmp_path/orders``."""
    return copy_orders_example(tmp_path / "orders")
