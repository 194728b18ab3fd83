"""What every benchmark shares: timing, samples, results, the machine, fixture locations.

A benchmark is a module in ``cases/`` that defines ``NAME``, ``TITLE``, ``ORDER`` and
``run(ctx) -> list[Result]``. It measures; it never asserts. ``run.py`` finds the modules,
runs them and writes the report.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / ".bench"  # gitignored: venvs, generated projects, generated data


@dataclass
class Samples:
    """Wall-clock times (seconds) of one measured thing, over repeats."""

    label: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def high(self) -> float:
        return max(self.seconds)


@dataclass
class Result:
    """One row of the report: what Aether did, what it is compared with, and the bar."""

    benchmark: str
    title: str
    subject: Samples
    baseline: Samples | None
    figure: str  # the number the bar is about, rendered ("0.18 ms per node", "1.92x")
    bar: str
    met: bool | None
    method: str = ""
    notes: list[str] = field(default_factory=list)
    quick: bool = False
    error: str | None = None
    others: list[Samples] = field(default_factory=list)  # more measured things, listed below
    # cost vs size for a chart: label -> {size: median seconds}, drawn to ``image`` (in docs/)
    series: dict[str, dict[str, float]] = field(default_factory=dict)
    image: str | None = None
    # small tables shown under the result: title -> rows (the first row is the header)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        data = dict(data)
        data["subject"] = Samples(**data["subject"])
        data["baseline"] = Samples(**data["baseline"]) if data.get("baseline") else None
        data["others"] = [Samples(**samples) for samples in data.get("others", [])]
        return cls(**data)


@dataclass
class Context:
    """Options of this run, handed to each benchmark."""

    quick: bool
    work_dir: Path  # a fresh folder under .bench/ for this benchmark's fixture projects
    log: Callable[[str], None]

    def repeats(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def time_command(
    argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> float:
    """Run a command as a fresh subprocess; return its wall time. Fails loudly if it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"`{' '.join(argv)}` exited {done.returncode}:\n{tail}")
    return elapsed


def alternate(
    commands: dict[str, tuple[Sequence[str], Path | None]],
    repeats: int,
    warmup: int = 1,
    env: dict[str, str] | None = None,
) -> dict[str, Samples]:
    """Time several commands in turn (a, b, a, b, ...) so drift hits them all alike.

    ``warmup`` untimed rounds first fill the page cache and write bytecode, so every timed
    run starts a fresh interpreter in the same conditions.
    """
    for _ in range(warmup):
        for argv, cwd in commands.values():
            time_command(argv, cwd, env)
    samples = {label: Samples(label, []) for label in commands}
    for _ in range(repeats):
        for label, (argv, cwd) in commands.items():
            samples[label].seconds.append(time_command(argv, cwd, env))
    return samples


def aether_command() -> str:
    """The ``aether`` script of the environment running the harness."""
    beside = Path(sys.executable).with_name("aether")
    found = str(beside) if beside.exists() else shutil.which("aether")
    if not found:
        raise RuntimeError("the `aether` command is not installed here: run `make install` first")
    return found


def quiet_env() -> dict[str, str]:
    """Environment for subprocesses: no colour or progress animation to skew timings."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "PYTHONWARNINGS": "ignore"}
    # Users' interpreters cache bytecode; measure that, not a recompile of every module on
    # every start (some machines, this one included, set PYTHONDONTWRITEBYTECODE).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def seconds(value: float) -> str:
    """A duration for humans, with a unit that keeps three significant figures."""
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.001:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "aether": _version("aether-data"),
        "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"
