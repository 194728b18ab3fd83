"""``aether --help`` cold start, side by side with ``kedro --help``.

Kedro lives in its own venv (``.bench/kedro-venv``) so it never touches Aether's
dependencies. Each timed run is a fresh interpreter; the two commands alternate.
"""

from __future__ import annotations

from pathlib import Path

import venvs
from harness import Context, Result, aether_command, alternate, quiet_env, seconds

NAME = "help"
TITLE = "`aether --help` cold start vs `kedro --help`"
ORDER = 10
BAR_SECONDS = 0.25
BAR_RATIO = 1 / 6
BAR = f"≤ {BAR_SECONDS} s and ≤ 1/6 ({BAR_RATIO:.3f}) x kedro"


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
            figure=f"{seconds(ours.median)}; {ratio:.3f} x kedro",
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
    """``.bench/kedro-venv`` with the latest Kedro (created on first use)."""
    return venvs.ensure_venv(*venvs.KEDRO, ctx.log) / "kedro"


def kedro_version(kedro: Path) -> str:
    return venvs.package_version(kedro.parent, "kedro")
