"""`aether run` with nothing to do, on 10,000 file-backed assets.

After one full run, every asset is fresh. A run asked the same way with nothing changed is
answered from the status cache (it stats the project's files and every output, and compares
them with what the last run found); the first run after a change evaluates: reads conf/,
stats every output, compares fingerprints with the state store and runs nothing. Both are
timed, as fresh subprocesses, so start-up is included as a user typing the command sees it.
"""

from __future__ import annotations

import time

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
    time.sleep(2.5)  # files written within 2 s of a run never validate its cache
    repeats = ctx.repeats(full=10, quick=3)
    evaluated = f"rm -f .aether/cache/status-*.json && exec {aether_command()} run"
    commands = {
        "aether run (no-op)": ([aether_command(), "run"], project),
        "aether run (no-op), evaluated": (["sh", "-c", evaluated], project),
    }
    samples = alternate(commands, repeats, env=env)
    noop, fresh_look = samples["aether run (no-op)"], samples["aether run (no-op), evaluated"]
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("10,000", f"{nodes:,}"),
            subject=noop,
            baseline=fresh_look,
            figure=f"{noop.median:.2f} s (evaluated after a change: {fresh_look.median:.2f} s)",
            bar=BAR,
            met=noop.median <= BAR_SECONDS,
            method=(
                f"{nodes:,} nodes in 100 parallel chains, each node reading the previous JSON "
                "file and writing its own (`JsonDataSet`), after one full run. `aether run` as "
                "a fresh subprocess, with and without its cache (deleted first: what the first "
                f"run after any change costs), alternated, {repeats} timed runs each after one "
                "untimed warm-up."
            ),
            notes=[f"the first, full run of the {nodes:,} nodes took {first:.1f} s"],
            quick=ctx.quick,
        )
    ]
