"""Peer: ``dvc repro`` with nothing to do vs ``aether run`` with nothing to do, same DAG.

The 1,000-node layered CSV DAG of ``layered.py`` as DVC stages: ``dvc init --no-scm`` in a
scratch folder, a ``dvc.yaml`` with one stage per node (``python add.py A B OUT``, a stdlib
script, with ``add.py`` and both inputs as deps and the CSV as out), one ``dvc repro`` to
build everything (untimed; its time is noted; the built project is kept in ``.bench/data/``
for the next runs), then the timed no-op ``dvc repro``. DVC lives in its own venv
(``.bench/dvc-venv``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import venvs
from harness import (
    BENCH_DIR,
    Context,
    Result,
    Samples,
    aether_command,
    alternate,
    quiet_env,
    time_command,
)
from layered import Shape, aether_project, dvc_project, shape_for

NAME = "dvc_repro"
TITLE = "Peer: `dvc repro` vs `aether run`, nothing to do, same 1,000-node CSV DAG"
ORDER = 45
BAR = "no bar: ratio reported"


def run(ctx: Context) -> list[Result]:
    shape = shape_for(200, layers=10) if ctx.quick else shape_for(1000)
    project = aether_project(ctx.work_dir / "aether", shape)
    env = {**quiet_env(), "DVC_NO_ANALYTICS": "1"}
    ours = "aether run (no-op)"
    aether_build = time_command([aether_command(), "run"], project, env)
    commands = {ours: ([aether_command(), "run"], project)}
    repeats = ctx.repeats(full=5, quick=2)
    try:
        dvc = venvs.ensure_venv(*venvs.DVC, ctx.log) / "dvc"
    except venvs.Unavailable as exc:
        samples = alternate(commands, repeats, env=env)
        return [unmeasured(ctx, shape.describe(), samples[ours], str(exc))]
    scratch, dvc_build = built_dvc_project(ctx, shape, str(dvc), env)
    commands["dvc repro (no-op)"] = ([str(dvc), "repro"], scratch)
    samples = alternate(commands, repeats, env=env)
    aether, theirs = samples[ours], samples["dvc repro (no-op)"]
    ratio = theirs.median / aether.median
    version = venvs.package_version(dvc.parent, "dvc")
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("1,000", f"{shape.nodes:,}"),
            subject=aether,
            baseline=theirs,
            figure=f"dvc repro takes {ratio:.1f} x aether run",
            bar=BAR,
            met=None,
            method=(
                f"{shape.describe()}. DVC {version} (own venv `.bench/dvc-venv`): `dvc init "
                "--no-scm`, one stage per node running a stdlib `add.py` (deps: the script and "
                "both inputs; out: the CSV), built by one `dvc repro`. Aether: the same graph, "
                "built by one `aether run`. Then the no-op `dvc repro` vs the no-op `aether run`, "
                f"fresh subprocesses, alternated, {repeats} timed runs each after one untimed "
                "warm-up."
            ),
            notes=[
                f"Building everything: `dvc repro` {dvc_build:.1f} s (a Python process per "
                f"stage), `aether run` {aether_build:.1f} s (one process, pandas).",
                "The built DVC project is kept in `.bench/data/` and reused while its no-op "
                "`dvc repro` runs no stage (the build above is that of its first run).",
            ],
            quick=ctx.quick,
        )
    ]


def built_dvc_project(
    ctx: Context, shape: Shape, dvc: str, env: dict[str, str]
) -> tuple[Path, float]:
    """The DVC project of ``shape``, built; and how long its ``dvc repro`` build took.

    Building takes DVC many minutes (a process per stage), so the built project is kept in
    ``.bench/data/`` and reused while a ``dvc repro`` there runs no stage.
    """
    scratch = BENCH_DIR / "data" / f"dvc_layered_{shape.layers}x{shape.width}x{shape.rows}_v1"
    marker = scratch / "built_in_seconds"
    if marker.exists() and not ran_stages([dvc, "repro"], scratch, env):
        ctx.log(f"reusing the DVC project built in {marker.read_text()} s")
        return scratch, float(marker.read_text())
    shutil.rmtree(scratch, ignore_errors=True)
    dvc_project(scratch, shape, sys.executable)
    time_command([dvc, "init", "--no-scm", "--quiet"], scratch, env)
    time_command([dvc, "config", "core.analytics", "false"], scratch, env)
    ctx.log(f"dvc repro: building {shape.nodes:,} stages (untimed; kept for the next runs)")
    build = time_command([dvc, "repro"], scratch, env)
    if ran_stages([dvc, "repro"], scratch, env):  # a no-op that builds would time a build
        raise RuntimeError("`dvc repro` right after a full build still ran stages")
    marker.write_text(f"{build:.1f}")
    return scratch, build


def ran_stages(argv: list[str], cwd: Path, env: dict[str, str]) -> bool:
    """Run ``dvc repro``; did it run any stage?"""
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return "Running stage" in done.stdout


def unmeasured(ctx: Context, shape: str, aether: Samples, reason: str) -> Result:
    """Aether alone, and why DVC is not on the page: the other benchmarks still run."""
    return Result(
        benchmark=NAME,
        title=TITLE,
        subject=aether,
        baseline=None,
        figure="dvc not installed: no ratio",
        bar=BAR,
        met=None,
        method=f"{shape}. The no-op `aether run` only: DVC could not be installed.",
        notes=[f"DVC could not be installed into `.bench/dvc-venv`: {reason}"],
        quick=ctx.quick,
    )
