"""Where the time goes: `cProfile` of the commands the speed bars are about.

Each command runs once under ``python -m cProfile`` as a fresh subprocess (bytecode cached,
as a user's is) after an untimed warm-up; the table lists the functions with the largest
cumulative time, as a share of the whole command. The profiler slows Python code more than
C code (pandas' parsers, SQLite), so shares are indicative: wall-clock figures are the other
benchmarks'.
"""

from __future__ import annotations

import pstats
import sys
import time
from pathlib import Path

from harness import (
    Context,
    Result,
    Samples,
    aether_command,
    quiet_env,
    seconds,
    time_command,
)
from layered import aether_project, edit_by_hand, shape_for

from cases.csv_to_parquet import convert_project, generated_csv

NAME = "profile"
TITLE = "Profile summary: status after an edit, no-op run, full runs, CSV → Parquet"
ORDER = 95
BAR = "no bar: where the time goes"
TOP = 12

# Frames every command goes through (interpreter start, the CLI framework, the command's
# entry point): 100 % each, they say nothing about where the time goes.
_WRAPPERS = (
    "<frozen runpy>",
    "<string>:1(<module>)",
    "built-in method builtins.exec",
    "typer/",
    "click/",
    "aether/__main__.py",
    "aether/cli/entry.py",
    "aether/cli/app.py",
)


def run(ctx: Context) -> list[Result]:
    env = quiet_env()
    aether = aether_command()
    out = ctx.work_dir / "profiles"
    out.mkdir()

    def profile(label: str, project: Path, *args: str) -> tuple[str, Path]:
        target = out / f"{len(list(out.iterdir()))}.prof"
        argv = [sys.executable, "-m", "cProfile", "-o", str(target), "-m", "aether", *args]
        time_command(argv, project, env)
        return label, target

    profiles = []
    big = shape_for(1000) if ctx.quick else shape_for(10_000)
    layered = aether_project(ctx.work_dir / "layered", big)
    time_command([aether, "run"], layered, env)
    time_command([aether, "run", "--force"], layered, env)
    profiles.append(
        profile(f"no-op `aether run` right after a run, {big.nodes:,} nodes", layered, "run")
    )
    time.sleep(2.5)  # out of the run's racy window: the edit is the only news
    edited = f"l{big.layers // 2:03d}_{big.width // 2:04d}"
    edit_by_hand(layered, edited, variant=0)
    profiles.append(
        profile(f"`aether status` right after a hand edit, {big.nodes:,} nodes", layered, "status")
    )

    small = shape_for(200, layers=10) if ctx.quick else shape_for(2000)
    runs = aether_project(ctx.work_dir / "full", small)
    time_command([aether, "run"], runs, env)  # warm-up: page cache and bytecode
    time_command([aether, "run", "--force"], runs, env)
    profiles.append(profile(f"`aether run --force`, {small.nodes:,} nodes", runs, "run", "--force"))

    rows = 200_000 if ctx.quick else 2_000_000
    convert = convert_project(ctx.work_dir / "convert", generated_csv(rows, ctx))
    time_command([aether, "run", "--force"], convert, env)
    profiles.append(
        profile(f"`aether run --force`, CSV → Parquet, {rows:,} rows", convert, "run", "--force")
    )

    tables, totals = {}, []
    for label, path in profiles:
        total, rows_ = summarize(path)
        tables[f"{label} (profiled: {seconds(total)})"] = rows_
        totals.append(Samples(label, [total]))
    return [
        Result(
            benchmark=NAME,
            title=TITLE,
            subject=totals[0],
            baseline=None,
            others=totals[1:],
            figure=f"{len(profiles)} profiles (tables below)",
            bar=BAR,
            met=None,
            method=(
                "Each command once under `python -m cProfile` (fresh subprocess, after the same "
                "command or a run warmed the page cache and bytecode). Rows: the "
                f"{TOP} functions with the largest cumulative time (time inside them and what "
                "they call), as a share of the command's total; *imports* is every module "
                "import together. Shares overlap (a caller includes its callees). The "
                "profiler's overhead inflates Python code: the times listed are profiled "
                "times, not wall-clock figures."
            ),
            quick=ctx.quick,
            tables=tables,
        )
    ]


def _import_machinery(where: str) -> bool:
    machinery = ("builtins.__import__", "_imp.exec_", "_imp.create_", "marshal.loads")
    return any(part in where for part in machinery)


def summarize(path: Path, top: int = TOP) -> tuple[float, list[list[str]]]:
    """The profiled total and a table of the ``top`` entries by cumulative time.

    Functions that only pass the call on (``a`` calls ``b`` calls ``c``, each holding the
    same time) say nothing more than the innermost: of a run of entries within 3 % of each
    other's cumulative time, only the last (the deepest) is listed.
    """
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]  # (file, line, name) -> (cc, nc, tt, ct, ..)
    total = max(ct for _, _, _, ct, _ in entries.values())
    ranked = []
    for (file, line, function), (_, calls, own, cumulative, _) in entries.items():
        where = _where(file, line, function)
        if any(part in where for part in _WRAPPERS):
            continue
        if file.startswith("<frozen importlib._bootstrap>") and function == "_find_and_load":
            where = "imports (every module imported)"
        elif where.startswith("<frozen") or function == "<module>" or _import_machinery(where):
            continue  # inside the imports row
        ranked.append((cumulative, own, calls, where))
    ranked.sort(key=lambda entry: -entry[0])
    kept: list[tuple[float, float, int, str]] = []
    for entry in ranked:
        if kept and entry[0] >= 0.97 * kept[-1][0] and "imports" not in kept[-1][3]:
            kept[-1] = entry  # the same time, one call deeper
        else:
            kept.append(entry)
    rows = [["share", "cumulative", "own", "calls", "function"]]
    rows += [
        [f"{cumulative / total:.0%}", seconds(cumulative), seconds(own), f"{calls:,}", f"`{where}`"]
        for cumulative, own, calls, where in kept[:top]
    ]
    return total, rows


def _where(file: str, line: int, function: str) -> str:
    """``package/module.py:line(function)``, without the site-packages or src/ prefix."""
    if file == "~":
        return function
    for marker in ("site-packages/", "/src/", "/lib/python3."):
        if marker in file:
            file = file.split(marker, 1)[1]
            if marker == "/lib/python3.":
                file = "stdlib/" + file.split("/", 1)[-1]
            break
    return f"{file}:{line}({function})"
