"""Framework overhead per node: 1,000 chained trivial in-memory nodes.

overhead per node = (time of ``run_pipeline`` - time of calling the 1,000 functions directly)
/ 1,000. ``run_pipeline`` is timed in-process, in a child interpreter so the harness stays
clean; its time includes reading conf/, building the catalog, validating the DAG and running.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from harness import Context, Result, Samples, quiet_env, seconds
from projects import chain_nodes, write_project

NAME = "node_overhead"
TITLE = "Framework overhead per node (1,000 chained in-memory nodes)"
ORDER = 20
NODES = 1000
BAR_MS = 0.5
BAR = f"≤ {BAR_MS} ms per node"

STEP_SOURCE = '''"""A node that does nothing, so all that is timed is the framework."""


def step(x):
    return x
'''


def run(ctx: Context) -> list[Result]:
    project = write_project(
        ctx.work_dir / "chain_1000",
        package="chain",
        modules={"steps": STEP_SOURCE},
        nodes=chain_nodes(NODES, "chain.steps.step", first_input="params:start"),
        parameters={"start": 0},
    )
    repeats = ctx.repeats(full=10, quick=3)
    out = ctx.work_dir / "timings.json"
    subprocess.run(
        [sys.executable, __file__, str(project), str(repeats), str(out)],
        check=True,
        env={**quiet_env(), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        stdout=subprocess.DEVNULL,
    )
    timings = json.loads(out.read_text())
    framework = Samples("run_pipeline, 1,000 nodes", timings["run_pipeline"])
    direct = Samples("1,000 direct calls", timings["direct"])
    per_node_ms = (framework.median - direct.median) / NODES * 1e3
    return [
        Result(
            benchmark=NAME,
            title=TITLE,
            subject=framework,
            baseline=direct,
            figure=f"{per_node_ms:.3f} ms per node",
            bar=BAR,
            met=per_node_ms <= BAR_MS,
            method=(
                "`run_pipeline(project, pipeline='bench', force=True)` on a generated project of "
                f"{NODES} nodes `def step(x): return x` chained through in-memory datasets "
                "(the first reads "
                f"`params:start`); median of {repeats} calls in one interpreter after one untimed "
                "call. The baseline calls `step` 1,000 times in a loop."
            ),
            notes=[
                f"first (cold) call of run_pipeline, imports included: {seconds(timings['cold'])}"
            ],
            quick=ctx.quick,
        )
    ]


def _worker(project: Path, repeats: int, out: Path) -> None:
    """Runs in the child interpreter: time run_pipeline and the direct calls."""
    started = time.perf_counter()
    from aether import run_pipeline

    _check(run_pipeline(project, pipeline="bench", force=True))
    cold = time.perf_counter() - started
    framework = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run_pipeline(project, pipeline="bench", force=True)
        framework.append(time.perf_counter() - started)
        _check(result)
    if str(project / "src") not in sys.path:
        sys.path.insert(0, str(project / "src"))
    from chain.steps import step

    direct = []
    for _ in range(repeats):
        started = time.perf_counter()
        x = 0
        for _ in range(NODES):
            x = step(x)
        direct.append(time.perf_counter() - started)
    out.write_text(json.dumps({"cold": cold, "run_pipeline": framework, "direct": direct}))


def _check(result: object) -> None:
    """A timing is only worth something if all 1,000 nodes ran and succeeded."""
    ran = len(getattr(result, "results", []))
    if ran != NODES or not getattr(result, "succeeded", False):
        raise RuntimeError(
            f"run_pipeline ran {ran} of {NODES} nodes, or some failed: {result!r}"[:500]
        )


if __name__ == "__main__":
    _worker(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
