"""Peer: ``kedro run`` vs ``aether run --force`` on the same 1,000-node layered CSV DAG.

Both run every node: Kedro always does, Aether is told to with ``--force`` (its outputs and
state exist from one untimed first run). Kedro lives in its own venv (``.bench/kedro-venv``,
shared with the ``help`` benchmark); the Kedro project is generated from the same graph as
the Aether project (``layered.py``): a ``pandas.CSVDataset`` catalog entry per CSV file, a
pipeline registry and the same ``add`` node function.
"""

from __future__ import annotations

import venvs
from harness import Context, Result, Samples, aether_command, alternate, quiet_env, time_command
from layered import aether_project, kedro_project, shape_for

NAME = "kedro_run"
TITLE = "Peer: `kedro run` vs `aether run`, same 1,000-node CSV DAG (full run)"
ORDER = 36
BAR = "no bar: ratio reported"


def run(ctx: Context) -> list[Result]:
    shape = shape_for(200, layers=10) if ctx.quick else shape_for(1000)
    project = aether_project(ctx.work_dir / "aether", shape)
    # Kedro's config loader (OmegaConf) refuses YAML files of more than 10,000 nodes by default,
    # which a catalog of 1,000 entries is; its error message says to raise the limit.
    env = {**quiet_env(), "OMEGACONF_MAX_YAML_EXPANDED_NODES": "10000000"}
    ours = "aether run --force"
    first = time_command([aether_command(), "run"], project, env)
    commands = {ours: ([aether_command(), "run", "--force"], project)}
    repeats = ctx.repeats(full=5, quick=2)
    try:
        kedro = venvs.ensure_venv(*venvs.KEDRO, ctx.log)
    except venvs.Unavailable as exc:
        samples = alternate(commands, repeats, env=env)
        return [unmeasured(ctx, shape.describe(), samples[ours], str(exc))]
    version = venvs.package_version(kedro, "kedro")
    commands["kedro run"] = (
        [str(kedro / "kedro"), "run"],
        kedro_project(ctx.work_dir / "kedro", shape, version),
    )
    samples = alternate(commands, repeats, env=env)
    aether, theirs = samples[ours], samples["kedro run"]
    ratio = theirs.median / aether.median
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("1,000", f"{shape.nodes:,}"),
            subject=aether,
            baseline=theirs,
            figure=f"kedro run takes {ratio:.2f} x aether run",
            bar=BAR,
            met=None,
            method=(
                f"{shape.describe()}. `aether run --force` (after one untimed first run) vs "
                f"`kedro run` (Kedro {version} with kedro-datasets' `pandas.CSVDataset`, in its "
                "own venv `.bench/kedro-venv`, project generated from the same graph); both run "
                "every node (`OMEGACONF_MAX_YAML_EXPANDED_NODES` raised: Kedro's config loader "
                "refuses a 1,000-entry catalog by default). Fresh subprocesses, alternated, "
                f"{repeats} timed runs each after one untimed warm-up."
            ),
            notes=[f"Aether's first run (no outputs, no state) took {first:.2f} s."],
            quick=ctx.quick,
        )
    ]


def unmeasured(ctx: Context, shape: str, aether: Samples, reason: str) -> Result:
    """Aether alone, and why Kedro is not on the page: the other benchmarks still run."""
    return Result(
        benchmark=NAME,
        title=TITLE,
        subject=aether,
        baseline=None,
        figure="kedro not installed: no ratio",
        bar=BAR,
        met=None,
        method=f"{shape}. `aether run --force` only: Kedro could not be installed.",
        notes=[f"Kedro could not be installed into `.bench/kedro-venv`: {reason}"],
        quick=ctx.quick,
    )
