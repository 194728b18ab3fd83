"""`aether status` on a 10,000-node DAG, every asset materialized.

Status reads the state store in one query, stats every dataset and compares fingerprints;
it imports no user code and hashes nothing whose signature is unchanged.
"""

from __future__ import annotations

from harness import Context, Result, aether_command, alternate, quiet_env, time_command
from projects import file_chain_project

NAME = "status"
TITLE = "`aether status` on a 10,000-node DAG"
ORDER = 50
BAR_SECONDS = 1.0
BAR = f"≤ {BAR_SECONDS:g} s"


def run(ctx: Context) -> list[Result]:
    nodes = 1000 if ctx.quick else 10_000
    project = file_chain_project(ctx.work_dir / "wide", nodes, width=100)
    env = quiet_env()
    first = time_command([aether_command(), "run"], project, env)
    repeats = ctx.repeats(full=7, quick=3)
    commands = {
        "aether status": ([aether_command(), "status"], project),
        "aether status --json": ([aether_command(), "status", "--json"], project),
    }
    samples = alternate(commands, repeats, env=env)
    table, as_json = samples["aether status"], samples["aether status --json"]
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("10,000", f"{nodes:,}"),
            subject=table,
            baseline=as_json,
            figure=f"{table.median:.2f} s",
            bar=BAR,
            met=table.median <= BAR_SECONDS,
            method=(
                f"{nodes:,} nodes in 100 parallel chains, each node reading the previous JSON "
                "file and writing its own, all materialized by one run. `aether status` "
                "(the table, all rows printed) and `--json` as fresh subprocesses, "
                f"alternated, {repeats} timed runs each after one untimed warm-up."
            ),
            notes=[f"the first, full run of the {nodes:,} nodes took {first:.1f} s"],
            quick=ctx.quick,
        )
    ]
