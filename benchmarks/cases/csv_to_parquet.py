"""CSV -> Parquet of 2,000,000 generated rows: ``aether run`` vs the plain pandas script.

Both are fresh subprocesses (interpreter start and imports included on both sides),
alternated. The Aether project is one identity node between a ``PandasCsvDataSet`` and a
``PandasParquetDataSet``; ``--force`` makes every run rebuild, whatever the staleness engine
thinks of the previous run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import (
    BENCH_DIR,
    Context,
    Result,
    Samples,
    aether_command,
    alternate,
    quiet_env,
    seconds,
)
from projects import write_project

NAME = "csv_to_parquet"
TITLE = "CSV → Parquet, 2 million rows, vs a plain pandas script"
ORDER = 30
BAR_RATIO = 1.1
BAR = f"≤ {BAR_RATIO} x the script"

IDENTITY_SOURCE = '''"""The node: data passes through unchanged, so only the I/O path is timed."""


def identity(df):
    return df
'''

PLAIN_SCRIPT = """import sys
import pandas as pd

pd.read_csv(sys.argv[1]).to_parquet(sys.argv[2])
"""


def run(ctx: Context) -> list[Result]:
    rows = 200_000 if ctx.quick else 2_000_000
    csv = generated_csv(rows, ctx)
    repeats = ctx.repeats(full=5, quick=3)
    samples = compare(ctx, "convert", csv, repeats)
    ours, theirs = samples["aether run"], samples["pandas script"]
    ratio = ours.median / theirs.median
    tiny = compare(ctx, "tiny", generated_csv(10, ctx), repeats)
    fixed = tiny["aether run"].median - tiny["pandas script"].median
    return [
        Result(
            benchmark=NAME,
            title=TITLE if not ctx.quick else TITLE.replace("2 million", f"{rows:,}"),
            subject=ours,
            baseline=theirs,
            figure=f"{ratio:.2f} x the script",
            bar=BAR,
            met=ratio <= BAR_RATIO,
            method=(
                f"{rows:,} rows x 6 columns (int, str, datetime, float, str, bool), "
                f"{csv.stat().st_size / 1e6:.0f} MB of CSV. `aether run --force` in a one-node "
                "project vs `python plain.py` doing `pd.read_csv(src).to_parquet(dst)`; both fresh "
                f"subprocesses, alternated, {repeats} timed runs each after one untimed warm-up."
            ),
            notes=[
                f"Gap: {seconds(ours.median - theirs.median)}. On a 10-row CSV the gap is "
                f"{seconds(fixed)} ({seconds(tiny['aether run'].median)} vs "
                f"{seconds(tiny['pandas script'].median)}): about that much is fixed start-up "
                "cost, which does not grow with the data."
            ],
            quick=ctx.quick,
        )
    ]


def compare(ctx: Context, label: str, csv: Path, repeats: int) -> dict[str, Samples]:
    """Time `aether run` of a one-node CSV -> Parquet project against the plain script."""
    project = convert_project(ctx.work_dir / label, csv)
    script = ctx.work_dir / "plain.py"
    script.write_text(PLAIN_SCRIPT)
    plain_out = ctx.work_dir / f"{label}_plain.parquet"
    return alternate(
        {
            "aether run": ([aether_command(), "run", "--force"], project),
            "pandas script": ([sys.executable, str(script), str(csv), str(plain_out)], None),
        },
        repeats=repeats,
        env=quiet_env(),
    )


def convert_project(root: Path, csv: Path) -> Path:
    """A one-node project: ``csv`` read by a ``PandasCsvDataSet``, written as Parquet."""
    return write_project(
        root,
        package="convert",
        modules={"nodes": IDENTITY_SOURCE},
        catalog={
            "orders_csv": {"type": "PandasCsvDataSet", "filepath": str(csv)},
            "orders_parquet": {"type": "PandasParquetDataSet", "filepath": "data/orders.parquet"},
        },
        nodes=[
            {
                "name": "convert",
                "transformation": "convert.nodes.identity",
                "inputs": {"df": "orders_csv"},
                "outputs": "orders_parquet",
            }
        ],
    )


def generated_csv(rows: int, ctx: Context) -> Path:
    """A deterministic orders-like CSV, cached in .bench/data/ (generating it takes a while)."""
    path = BENCH_DIR / "data" / f"orders_{rows}_v1.csv"
    if path.exists():
        return path
    ctx.log(f"generating {rows:,} rows of CSV (once)")
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(42)
    customers = np.array(["ana", "bruno", "carla", "diego", "eva", "farid", "gita", "hugo"])
    frame = pd.DataFrame(
        {
            "order_id": np.arange(1, rows + 1),
            "customer": customers[rng.integers(0, len(customers), rows)],
            "ordered_at": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 90 * 86_400, rows), unit="s"),
            "amount": rng.gamma(2.0, 60.0, rows).round(2),
            "currency": "EUR",
            "is_test": rng.random(rows) < 0.01,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    frame.to_csv(partial, index=False)
    partial.rename(path)
    return path
