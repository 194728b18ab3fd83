"""`aether run` with nothing to do, on 10,000 file-backed assets.

After one full run, every asset is fresh: the timed runs read conf/, stat every output,
compare fingerprints with the state store and run nothing. Fresh subprocesses, so start-up
is included, as a user typing the command would see it.
"""

from __future__ import annotations

from harness import Context, Result, aether_command, alternate, quiet_env, time_command
from projects import file_chain_project

NAME = "noop_run"
TITLE = "`aether run` with nothing to do, 10,000 file-backed assets"
ORDER = 40
BAR_SECONDS = 1.0
BAR = f"≤ {BAR_SECONDS:g} s"


def run(ctx: Context) -> list[Result]:
    nodes = 1000 if ctx.quick else 10_000
    project = file_chain_project(ctx.work_dir / "wide", nodes, width=100)
    env = quiet_env()
    first = time_command([aether_command(), "run"], project, env)
    repeats = ctx.repeats(full=10, quick=3)
    samples = alternate(
        {"aether run (no-op)": ([aether_command(), "run"], project)}, repeats, env=env
    )
    noop = samples["aether run (no-op)"]
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("10,000", f"{nodes:,}"),
            subject=noop,
            baseline=None,
            figure=f"{noop.median:.2f} s",
            bar=BAR,
            met=noop.median <= BAR_SECONDS,
            method=(
                f"{nodes:,} nodes in 100 parallel chains, each node reading the previous JSON "
                "file and writing its own (`JsonDataSet`), after one full run. `aether run` as "
                f"a fresh subprocess, {repeats} timed runs after one untimed warm-up."
            ),
            notes=[f"the first, full run of the {nodes:,} nodes took {first:.1f} s"],
            quick=ctx.quick,
        )
    ]
