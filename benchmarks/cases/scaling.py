"""Cost vs DAG size: `aether status`, no-op `aether run` and a full run, with the plain script.

The layered CSV DAG of ``layered.py`` (40 layers; the width grows with the size) at 1,000,
10,000, 30,000 and 100,000 nodes. At each size: one untimed first ``aether run``, then
``aether status``, the no-op ``aether run``, and up to ``FULL_RUN_UP_TO`` nodes
``aether run --force`` (a full run over existing outputs) and the plain pandas script,
alternated. Full runs stop there to keep ``make bench`` within the hour: they grow linearly
(seconds per thousand nodes), which the smaller sizes already show; building the largest
project (one first run) takes minutes. ``run.py`` draws the medians as
``docs/benchmarks-scaling.svg``.
"""

from __future__ import annotations

from pathlib import Path

from harness import Context, Result, Samples, aether_command, alternate, quiet_env, time_command
from layered import aether_project, plain_script, shape_for

NAME = "scaling"
TITLE = "Cost vs DAG size (layered CSV DAG, 1,000 to 100,000 nodes)"
ORDER = 55
BAR = "no bar: cost vs size reported (linear is the goal)"
IMAGE = "benchmarks-scaling.svg"
FULL_RUN_UP_TO = 10_000  # full runs and the script are timed up to this size only

STATUS, NOOP, FULL, SCRIPT = (
    "aether status",
    "aether run (no-op)",
    "aether run --force (full run)",
    "plain pandas script (full run)",
)


def run(ctx: Context) -> list[Result]:
    sizes = [200, 500, 1000, 3000] if ctx.quick else [1000, 10_000, 30_000, 100_000]
    full_up_to = 1000 if ctx.quick else FULL_RUN_UP_TO
    repeats = ctx.repeats(full=3, quick=2)
    env = quiet_env()
    series: dict[str, dict[str, float]] = {STATUS: {}, NOOP: {}, FULL: {}, SCRIPT: {}}
    notes, last, layers = [], {}, 10 if ctx.quick else 40
    for nodes in sizes:
        shape = shape_for(nodes, layers=layers)
        project = aether_project(ctx.work_dir / f"aether_{nodes}", shape)
        first = time_command([aether_command(), "run"], project, env)
        commands: dict[str, tuple[list[str], Path | None]] = {
            STATUS: ([aether_command(), "status"], project),
            NOOP: ([aether_command(), "run"], project),
        }
        if nodes <= full_up_to:
            commands[FULL] = ([aether_command(), "run", "--force"], project)
            (ctx.work_dir / f"plain_{nodes}").mkdir()
            plain = plain_script(ctx.work_dir / f"plain_{nodes}" / "plain.py", shape)
            commands[SCRIPT] = (plain, None)
            time_command(plain, None, env)  # writes the outputs once, as the first run did
        measured = alternate(
            commands,
            repeats,
            warmup=0,  # the first run above warmed the page cache and bytecode
            env=env,
        )
        last.update(measured)
        for label, samples in measured.items():
            series[label][str(nodes)] = samples.median
        notes.append(
            f"{nodes:,} nodes: "
            + ", ".join(f"{label} {samples.median:.2f} s" for label, samples in measured.items())
            + f"; first run {first:.2f} s"
        )
        ctx.log(notes[-1])
    largest = sizes[-1]
    notes.append(
        f"Growth from {sizes[0]:,} to {largest:,} nodes ({largest / sizes[0]:g} x the nodes): "
        + ", ".join(
            f"{label} {points[str(largest)] / points[str(sizes[0])]:.1f} x"
            for label, points in series.items()
            if str(largest) in points
        )
    )
    notes.append(
        f"Full runs and the script are timed up to {full_up_to:,} nodes only (they grow "
        "linearly; timing them at every size would take hours); status and the no-op run at "
        "every size."
    )
    status: Samples = last[STATUS]
    return [
        Result(
            benchmark=NAME,
            title=TITLE.replace("1,000 to 10,000", f"{sizes[0]:,} to {largest:,}"),
            subject=status,
            baseline=None,
            others=[last[NOOP], last[FULL], last[SCRIPT]],
            figure=(
                f"at {largest:,} nodes: status {last[STATUS].median:.2f} s, no-op run "
                f"{last[NOOP].median:.2f} s; at {full_up_to:,}: full run "
                f"{last[FULL].median:.2f} s ({last[FULL].median / last[SCRIPT].median:.2f} x "
                "the script)"
            ),
            bar=BAR,
            met=None,
            method=(
                f"{shape_for(largest, layers).describe()}; and smaller DAGs of the same depth "
                "(the width grows with the size). At each size, after one untimed first "
                "`aether run`: `aether status`, the no-op `aether run`, and up to "
                f"{full_up_to:,} nodes `aether run --force` and the plain pandas script (same "
                "reads, adds and writes), fresh subprocesses, alternated, "
                f"{repeats} timed runs each. The samples listed are those of the largest size "
                "(full runs: of the largest size they were timed at); the chart shows the "
                "medians at every size."
            ),
            notes=notes,
            quick=ctx.quick,
            series=series,
            image=IMAGE,
        )
    ]
