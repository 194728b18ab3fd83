"""Separate venvs under .bench/ for the peers (Kedro, DVC) and the chart (matplotlib).

None of them touches Aether's environment: each is created with uv on first use and reused
after (delete the folder to upgrade). A peer that cannot be installed (no network to the
package index, say) raises ``Unavailable``, which a benchmark reports instead of failing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from harness import BENCH_DIR


class Unavailable(RuntimeError):
    """A tool could not be installed into its venv."""


def ensure_venv(name: str, packages: Sequence[str], probe: str, log: Callable[[str], None]) -> Path:
    """``.bench/<name>`` with ``packages`` installed, unless ``python -c probe`` already works.

    Returns the venv's ``bin`` folder.
    """
    venv = BENCH_DIR / name
    python = venv / "bin" / "python"
    if python.exists() and _works(python, probe):
        return python.parent
    log(f"installing {' '.join(packages)} into .bench/{name} (once)")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    uv = _uv()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    try:
        if not python.exists():
            _call([*uv, "venv", "--quiet", "--python", version, str(venv)], env)
        _call([*uv, "pip", "install", "--quiet", "--python", str(python), *packages], env)
    except Unavailable:
        shutil.rmtree(venv, ignore_errors=True)  # a half-made venv would pass for a made one
        raise
    if not _works(python, probe):
        raise Unavailable(f"installed {' '.join(packages)} in .bench/{name}, but `{probe}` fails")
    return python.parent


def package_version(bin_dir: Path, module: str) -> str:
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", f"import {module}; print({module}.__version__)"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "(unknown version)"


def _works(python: Path, probe: str) -> bool:
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def _call(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        raise Unavailable(f"`{' '.join(argv[-3:])}` failed: {tail}")


def _uv() -> list[str]:
    # `uv run` exports its own path as UV; else uv may be on PATH, or only importable by the
    # system python (`python3 -m uv`).
    if found := os.environ.get("UV") or shutil.which("uv"):
        return [found]
    for python in (sys.executable, shutil.which("python3")):
        if (
            python
            and subprocess.run([python, "-m", "uv", "--version"], capture_output=True).returncode
            == 0
        ):
            return [python, "-m", "uv"]
    raise Unavailable("uv is needed to create the peers' venvs: `python3 -m pip install uv`")


# (folder, packages, probe): what ensure_venv needs for each tool
KEDRO = (
    "kedro-venv",
    ["kedro", "kedro-datasets[pandas-csvdataset]"],
    "import kedro, kedro_datasets.pandas",
)
DVC = ("dvc-venv", ["dvc"], "import dvc")
PLOT = ("plot-venv", ["matplotlib"], "import matplotlib")
