"""Run Aether's benchmarks and rewrite docs/benchmarks.md.

    python benchmarks/run.py                 # everything, full size (make bench)
    python benchmarks/run.py --quick         # smaller inputs, fewer repeats
    python benchmarks/run.py --only help     # one benchmark (repeatable)
    python benchmarks/run.py --list          # what there is

Each module in ``benchmarks/cases/`` is one benchmark (see benchmarks/README.md). Fixture
projects, generated data and the Kedro venv live in ``.bench/`` (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import pkgutil
import shutil
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases
import chart
import report
from harness import BENCH_DIR, REPO_ROOT, Context, Result, Samples, machine, seconds


def discover() -> dict[str, ModuleType]:
    """Every benchmark module in cases/, in report order."""
    modules = [
        importlib.import_module(f"cases.{info.name}")
        for info in pkgutil.iter_modules(cases.__path__)
        if not info.name.startswith("_")
    ]
    return {module.NAME: module for module in sorted(modules, key=lambda m: (m.ORDER, m.NAME))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch docs/")
    args = parser.parse_args(argv)
    available = discover()
    if args.list:
        for name, module in available.items():
            print(f"{name:16} {module.TITLE}")
        return 0
    unknown = sorted(set(args.only or []) - set(available))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(available)}")
    selected = [available[name] for name in available if not args.only or name in args.only]
    return run_all(selected, available, args)


def run_all(
    selected: list[ModuleType], available: dict[str, ModuleType], args: argparse.Namespace
) -> int:
    about, date = machine(), dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python benchmarks/run.py" + "".join(
        [" --quick" if args.quick else ""] + [f" --only {name}" for name in args.only or []]
    )
    entries, failed = [], 0
    for module in selected:
        result = run_one(module, args.quick)
        failed += result.error is not None
        print_result(result)
        entries.append(
            {
                "order": module.ORDER,
                "machine": about,
                "date": date,
                "name_in_run": command,
                "result": result.to_json(),
            }
        )
    if not args.no_write:
        draw_charts(entries)
        stored = report.merge(entries)
        page = report.write_page(
            stored, command, {n: (m.TITLE, m.BAR) for n, m in available.items()}
        )
        results = report.RESULTS_FILE.relative_to(REPO_ROOT)
        print(f"\nwrote {page.relative_to(REPO_ROOT)} and {results}")
    return 1 if failed else 0


def draw_charts(entries: list[dict]) -> None:
    """Draw the cost-vs-size chart of each result that has one, into docs/."""
    for entry in entries:
        result = entry["result"]
        if not (result["series"] and result["image"]) or result["error"]:
            continue
        target = REPO_ROOT / "docs" / result["image"]
        try:
            chart.draw(result["series"], result["title"], target, log=print)
        except Exception as exc:  # no matplotlib (say): the figures are on the page anyway
            result["notes"].append(f"The chart could not be drawn: {exc}")
            result["image"] = None
            continue
        print(f"drew {target.relative_to(REPO_ROOT)}")


def run_one(module: ModuleType, quick: bool) -> Result:
    work_dir = BENCH_DIR / "work" / module.NAME
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    ctx = Context(
        quick=quick, work_dir=work_dir, log=lambda text: print(f"  [{module.NAME}] {text}")
    )
    print(f"{module.NAME}: {module.TITLE}", flush=True)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        [result] = module.run(ctx)
    except Exception as exc:  # a broken benchmark is reported, the others still run
        traceback.print_exc()
        result = Result(
            module.NAME,
            module.TITLE,
            Samples("", []),
            None,
            "",
            module.BAR,
            None,
            quick=quick,
            error=f"{type(exc).__name__}: {exc}",
        )
    print(f"  took {time.perf_counter() - started:.1f} s", flush=True)
    result.notes.append(load_note(load_before, os.getloadavg()[0]))
    return result


def load_note(before: float, after: float) -> str:
    """Other work on the machine skews timings; say how busy it was."""
    cores = os.cpu_count() or 1
    busy = " (other work was running: figures are noisier than usual)" if before > 0.5 else ""
    return f"1-minute load average {before:.2f} before, {after:.2f} after, on {cores} cores{busy}"


def print_result(result: Result) -> None:
    if result.error:
        print(f"  FAILED: {result.error}")
        return
    for samples in filter(None, [result.subject, result.baseline, *result.others]):
        print(
            f"  {samples.label:28} median {seconds(samples.median)} "
            f"(min {seconds(samples.low)}, max {seconds(samples.high)}, n={len(samples.seconds)})"
        )
    verdict = {True: "met", False: "NOT MET", None: "-"}[result.met]
    print(f"  => {result.figure}   bar {result.bar}: {verdict}")


if __name__ == "__main__":
    sys.exit(main())
