"""``aether --help`` cold start, side by side with ``kedro --help``.

Kedro lives in its own venv (``.bench/kedro-venv``) so it never touches Aether's
dependencies. Each timed run is a fresh interpreter; the two commands alternate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness import BENCH_DIR, Context, Result, aether_command, alternate, quiet_env, seconds

NAME = "help"
TITLE = "`aether --help` cold start vs `kedro --help`"
ORDER = 10
BAR_SECONDS = 0.25
BAR_RATIO = 1 / 5
BAR = f"≤ {BAR_SECONDS} s and ≤ {BAR_RATIO:.2f} x kedro"

KEDRO_VENV = BENCH_DIR / "kedro-venv"


def run(ctx: Context) -> list[Result]:
    kedro = ensure_kedro(ctx)
    repeats = ctx.repeats(full=15, quick=5)
    env = quiet_env()
    samples = alternate(
        {
            "aether --help": ([aether_command(), "--help"], None),
            "kedro --help": ([str(kedro), "--help"], None),
        },
        repeats=repeats,
        env=env,
    )
    ours, theirs = samples["aether --help"], samples["kedro --help"]
    ratio = ours.median / theirs.median
    met = ours.median <= BAR_SECONDS and ratio <= BAR_RATIO
    return [
        Result(
            benchmark=NAME,
            title=TITLE,
            subject=ours,
            baseline=theirs,
            figure=f"{seconds(ours.median)}; {ratio:.2f} x kedro",
            bar=BAR,
            met=met,
            method=(
                "Each run is a fresh subprocess with output discarded; the two commands alternate, "
                f"{repeats} timed runs each after one untimed warm-up run (page cache and bytecode "
                "warm, as on a developer's machine). Kedro "
                f"{kedro_version(kedro)} is installed in its own venv `.bench/kedro-venv`."
            ),
            quick=ctx.quick,
        )
    ]


def ensure_kedro(ctx: Context) -> Path:
    """Create ``.bench/kedro-venv`` with the latest Kedro unless it is already there."""
    kedro = KEDRO_VENV / "bin" / "kedro"
    if kedro.exists():
        return kedro
    ctx.log("installing kedro into .bench/kedro-venv (once)")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    uv = _uv()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run(
        [*uv, "venv", "--quiet", "--python", python, str(KEDRO_VENV)], check=True, env=env
    )
    subprocess.run(
        [*uv, "pip", "install", "--quiet", "--python", str(KEDRO_VENV / "bin" / "python"), "kedro"],
        check=True,
        env=env,
    )
    return kedro


def kedro_version(kedro: Path) -> str:
    done = subprocess.run(
        [str(kedro.with_name("python")), "-c", "import kedro; print(kedro.__version__)"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "(unknown version)"


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
    raise RuntimeError("uv is needed to create the kedro venv: `python3 -m pip install uv`")
