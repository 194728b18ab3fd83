"""Parallel runner: two independent CPU-bound pure-Python branches, sequential vs parallel.

Each branch is one node that spins the CPU for about 2 s (calibrated on this machine
before measuring), so with two cores the parallel runner can at best halve the time.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from harness import Context, Result, Samples, aether_command, alternate, quiet_env, seconds
from projects import write_project

NAME = "parallel"
TITLE = "Parallel runner, 2 independent CPU-bound branches"
ORDER = 40
BAR_SPEEDUP = 1.7
BAR = f"≥ {BAR_SPEEDUP} x sequential"

BURN_SOURCE = '''"""CPU-bound pure Python: holds the GIL all the time, like real Python work."""


def burn(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
'''


def run(ctx: Context) -> list[Result]:
    target = 0.5 if ctx.quick else 2.0
    loops = calibrate(target)
    repeats = ctx.repeats(full=5, quick=3)
    samples = compare_runners(ctx, "two_branches", loops, repeats)
    sequential, parallel = samples["--runner sequential"], samples["--runner parallel"]
    speedup = sequential.median / parallel.median
    idle = compare_runners(ctx, "two_idle_branches", 1, repeats)
    idle_seq, idle_par = idle["--runner sequential"].median, idle["--runner parallel"].median
    work_only = (sequential.median - idle_seq) / (parallel.median - idle_par)
    ceiling = machine_ceiling(loops, repeats=min(repeats, 3))
    return [
        Result(
            benchmark=NAME,
            title=TITLE,
            subject=parallel,
            baseline=sequential,
            figure=f"{speedup:.2f} x faster than sequential (machine ceiling {ceiling:.2f} x)",
            bar=BAR,
            met=speedup >= BAR_SPEEDUP,
            method=(
                f"Two nodes with no shared inputs, each a pure-Python loop of {loops:,} iterations "
                f"(about {target:g} s here). `aether run --force --runner sequential` vs "
                f"`--runner parallel`, fresh subprocesses, alternated, {repeats} timed runs each "
                "after one untimed warm-up. Start-up is included on both sides."
            ),
            notes=[
                f"Fixed cost, measured with 1-iteration nodes: {seconds(idle_seq)} sequential, "
                f"{seconds(idle_par)} parallel; without it the speed-up is {work_only:.2f} x.",
                "Ceiling of this machine: two plain `python` processes running `burn` side by side "
                f"finish {ceiling:.2f} x faster than one after the other (no Aether involved).",
            ],
            quick=ctx.quick,
        )
    ]


def compare_runners(ctx: Context, label: str, loops: int, repeats: int) -> dict[str, Samples]:
    """Time `aether run` of two independent `burn(loops)` nodes with each runner."""
    branch = {"transformation": "spin.work.burn", "inputs": {"n": "params:loops"}}
    project = write_project(
        ctx.work_dir / label,
        package="spin",
        modules={"work": BURN_SOURCE},
        nodes=[
            {"name": "left", **branch, "outputs": "left_total"},
            {"name": "right", **branch, "outputs": "right_total"},
        ],
        parameters={"loops": loops},
    )
    aether = aether_command()
    return alternate(
        {
            "--runner sequential": ([aether, "run", "--force", "--runner", "sequential"], project),
            "--runner parallel": ([aether, "run", "--force", "--runner", "parallel"], project),
        },
        repeats=repeats,
        env=quiet_env(),
    )


def machine_ceiling(loops: int, repeats: int) -> float:
    """Speed-up of two plain concurrent processes over two sequential ones (no Aether)."""
    code = BURN_SOURCE + f"\nburn({loops})\n"
    argv = [sys.executable, "-c", code]
    sequential, concurrent = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, check=True)
        subprocess.run(argv, check=True)
        sequential.append(time.perf_counter() - started)
        started = time.perf_counter()
        pair = [subprocess.Popen(argv) for _ in range(2)]
        if any(process.wait() for process in pair):
            raise RuntimeError("the plain burn process failed")
        concurrent.append(time.perf_counter() - started)
    return statistics.median(sequential) / statistics.median(concurrent)


def calibrate(target_seconds: float) -> int:
    """How many loop iterations of ``burn`` take ``target_seconds`` on this machine."""
    namespace: dict = {}
    exec(BURN_SOURCE, namespace)
    burn, probe = namespace["burn"], 2_000_000
    started = time.perf_counter()
    burn(probe)
    elapsed = time.perf_counter() - started
    return int(probe * target_seconds / elapsed)
