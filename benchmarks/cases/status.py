"""`aether status` on a 10,000-node DAG, every asset materialized.

Status answers from its cache (``aether.status_cache``) while nothing its verdicts depend on
changed: it stats the project's files and every dataset and compares them with what the last
look recorded. After a change it evaluates: reads the state store in one query, stats every
dataset and compares fingerprints, importing no user code and hashing nothing whose
signature is unchanged. Both are timed: the bar is for the look that follows another.
"""

from __future__ import annotations

import time

from harness import Context, Result, aether_command, alternate, quiet_env, time_command
from projects import file_chain_project

NAME = "status"
TITLE = "`aether status` on a 10,000-node DAG"
ORDER = 50
BAR_SECONDS = 0.5
BAR = f"≤ {BAR_SECONDS:g} s"
RACY_SECONDS = 2.5


def run(ctx: Context) -> list[Result]:
    nodes = 1000 if ctx.quick else 10_000
    project = file_chain_project(ctx.work_dir / "wide", nodes, width=100)
    env = quiet_env()
    first = time_command([aether_command(), "run"], project, env)
    time.sleep(RACY_SECONDS)  # files written within 2 s of a look never validate its cache
    repeats = ctx.repeats(full=7, quick=3)
    evaluated = f"rm -f .aether/cache/status-*.json && exec {aether_command()} status"
    commands = {
        "aether status": ([aether_command(), "status"], project),
        "aether status --json": ([aether_command(), "status", "--json"], project),
        "aether status, evaluated": (["sh", "-c", evaluated], project),
    }
    samples = alternate(commands, repeats, env=env)
    table, as_json = samples["aether status"], samples["aether status --json"]
    fresh_look = samples["aether status, evaluated"]
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("10,000", f"{nodes:,}"),
            subject=table,
            baseline=fresh_look,
            figure=f"{table.median:.2f} s (evaluated after a change: {fresh_look.median:.2f} s)",
            bar=BAR,
            met=table.median <= BAR_SECONDS,
            method=(
                f"{nodes:,} nodes in 100 parallel chains, each node reading the previous JSON "
                "file and writing its own, all materialized by one run. `aether status` "
                "(the table, all rows printed), `--json`, and `aether status` with its cache "
                "deleted first (what the first look after any change costs), as fresh "
                f"subprocesses, alternated, {repeats} timed runs each after one untimed warm-up."
            ),
            notes=[
                f"`aether status --json`: {as_json.median:.2f} s",
                f"the first, full run of the {nodes:,} nodes took {first:.1f} s",
            ],
            quick=ctx.quick,
        )
    ]
