"""Cost vs DAG size: `aether status`, no-op `aether run` and a full run, with the plain script.

The layered CSV DAG of ``layered.py`` (40 layers; the width grows with the size) at 1,000,
10,000, 30,000 and 100,000 nodes. At each size, after one untimed first ``aether run``:

- ``aether status`` and the no-op ``aether run``, each right after a small run (no pause, so
  what that run wrote is within the racy window of any cache): one output of the
  next-to-last layer is rewritten by hand and ``aether run`` (untimed) rebuilds it (its
  dependents are cut off early: its content is back), then the command is timed. The same at
  every size, so the curve shows what grows with the project, not with the run before;
- up to ``FULL_RUN_UP_TO`` nodes, ``aether run --force`` (a full run over existing outputs)
  and the plain pandas script, alternated. Full runs stop there to keep ``make bench`` within
  the hour: they grow linearly (seconds per thousand nodes), which the smaller sizes show;
  building the largest project (its first run) takes minutes.

``run.py`` draws the medians as ``docs/benchmarks-scaling.svg``.
"""

from __future__ import annotations

from pathlib import Path

from harness import Context, Result, Samples, aether_command, alternate, quiet_env, time_command
from layered import Shape, aether_project, edit_by_hand, plain_script, shape_for

NAME = "scaling"
TITLE = "Cost vs DAG size (layered CSV DAG, 1,000 to 100,000 nodes)"
ORDER = 55
BAR = "no bar: cost vs size reported (linear is the goal)"
IMAGE = "benchmarks-scaling.svg"
FULL_RUN_UP_TO = 10_000  # full runs and the script are timed up to this size only

STATUS, NOOP, FULL, SCRIPT = (
    "aether status, right after a small run",
    "aether run (no-op), right after a small run",
    "aether run --force (full run)",
    "plain pandas script (full run)",
)


def after_small_runs(
    project: Path, shape: Shape, repeats: int, env: dict[str, str]
) -> dict[str, Samples]:
    """``aether status`` and the no-op run, each timed right after a run that rebuilt one
    node (its output, in the next-to-last layer, was edited by hand)."""
    aether = aether_command()
    edited = f"l{shape.layers - 2:03d}_{shape.width // 2:04d}"
    samples = {STATUS: Samples(STATUS, []), NOOP: Samples(NOOP, [])}
    variant = 0
    for _ in range(repeats):
        for label, argv in ((STATUS, [aether, "status"]), (NOOP, [aether, "run"])):
            edit_by_hand(project, edited, variant)
            variant += 1
            time_command([aether, "run"], project, env)
            samples[label].seconds.append(time_command(argv, project, env))
    return samples


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
        measured = after_small_runs(project, shape, repeats, env)
        if nodes <= full_up_to:
            (ctx.work_dir / f"plain_{nodes}").mkdir()
            plain = plain_script(ctx.work_dir / f"plain_{nodes}" / "plain.py", shape)
            time_command(plain, None, env)  # writes the outputs once, as the first run did
            full_runs: dict[str, tuple[list[str], Path | None]] = {
                FULL: ([aether_command(), "run", "--force"], project),
                SCRIPT: (plain, None),
            }
            measured |= alternate(full_runs, repeats, warmup=0, env=env)
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
            title=TITLE.replace("1,000 to 100,000", f"{sizes[0]:,} to {largest:,}"),
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
                "`aether run`: `aether status` and the no-op `aether run`, each timed right "
                "after a small run (an output of the next-to-last layer rewritten by hand, "
                "then `aether run`, untimed, rebuilding it: what that run "
                "wrote is within the racy window), and up to "
                f"{full_up_to:,} nodes `aether run --force` and the plain pandas script (same "
                "reads, adds and writes), alternated; fresh subprocesses, "
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
