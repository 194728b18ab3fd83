"""`aether status` on the 10,000-node layered CSV DAG: right after a run, and after a hand edit.

The bar is judged on the first look, the hard case: right after ``aether run`` (no pause, so
the files the run wrote are within the racy window of any cache: their signatures cannot yet
vouch for their content) and right after one intermediate CSV was rewritten by hand with
different content. A look that follows another once the window has passed (the warm figure)
is measured too, as a secondary figure.

After each timed look that follows an edit, ``aether status --json`` (untimed) must name
exactly the edited asset and its dependents as stale, or the benchmark fails: a status that
is fast because it missed the edit is no result.
"""

from __future__ import annotations

import time

from harness import Context, Result, Samples, aether_command, quiet_env, time_command
from layered import aether_project, check_stale, edit_by_hand, shape_for

NAME = "status"
TITLE = "`aether status` on a 10,000-node layered DAG, right after a run and after an edit"
ORDER = 50
BAR_SECONDS = 0.5
BAR = f"≤ {BAR_SECONDS:g} s (each: right after a run, right after a hand edit)"
RACY_SECONDS = 2.5  # longer than any racy window: the warm look's cache can vouch for all


def run(ctx: Context) -> list[Result]:
    shape = shape_for(1000) if ctx.quick else shape_for(10_000)
    project = aether_project(ctx.work_dir / "layered", shape)
    env, aether = quiet_env(), aether_command()
    status = [aether, "status"]
    repeats = ctx.repeats(full=5, quick=2)
    first = time_command([aether, "run"], project, env)

    after_run = Samples("aether status, right after a run", [])
    for _ in range(repeats + 1):  # round 0 warms the page cache and bytecode, untimed
        time_command([aether, "run", "--force"], project, env)
        after_run.seconds.append(time_command(status, project, env))
    del after_run.seconds[0]

    # The edited asset sits in the middle layer, in the middle of its layer.
    edited = f"l{shape.layers // 2:03d}_{shape.width // 2:04d}"
    expected = {edited} | shape.dependents(edited)
    time.sleep(RACY_SECONDS)
    after_edit = Samples("aether status, right after a hand edit", [])
    for variant in range(repeats):  # new content each time: every look sees a new change
        edit_by_hand(project, edited, variant)
        after_edit.seconds.append(time_command(status, project, env))
        check_stale(project, expected, env, aether)

    time.sleep(RACY_SECONDS)
    warm = Samples("aether status, warm (after another look)", [])
    for _ in range(repeats + 1):
        warm.seconds.append(time_command(status, project, env))
    del warm.seconds[0]

    worst = max(after_run.median, after_edit.median)
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("10,000", f"{shape.nodes:,}"),
            subject=after_run,
            baseline=None,
            others=[after_edit, warm],
            figure=(
                f"right after a run {after_run.median:.2f} s, after a hand edit "
                f"{after_edit.median:.2f} s (warm {warm.median:.2f} s)"
            ),
            bar=BAR,
            met=worst <= BAR_SECONDS,
            method=(
                f"{shape.describe()}; every asset materialized. Right after a run: `aether run "
                "--force` (untimed), then at once `aether status` (the table, all rows "
                f"printed). After a hand edit: `{edited}.csv` (layer {shape.layers // 2}) "
                "rewritten with new content, then at once `aether status`; after each, "
                "`aether status --json` (untimed) must name exactly it and its "
                f"{len(expected) - 1} dependents as stale, or the benchmark fails. Warm: "
                f"`aether status` after another look, {RACY_SECONDS:g} s later (secondary: "
                f"not what the bar is judged on). Fresh subprocesses, {repeats} timed runs each "
                "after an untimed warm-up."
            ),
            notes=[f"the first, full run of the {shape.nodes:,} nodes took {first:.1f} s"],
            quick=ctx.quick,
        )
    ]
