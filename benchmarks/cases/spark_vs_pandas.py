"""CSV -> aggregate -> Parquet of 2,000,000 rows on Spark (local mode) vs on pandas, both
through ``aether run``; the JVM's start-up is timed on its own, since it is paid once per run.

A comparison, not a promise: no bar. Needs the ``spark`` extra and Java; without them the
case says so and the other benchmarks still run.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import Context, Result, Samples, aether_command, alternate, quiet_env, seconds
from projects import write_project

from cases.csv_to_parquet import generated_csv

NAME = "spark_vs_pandas"
TITLE = "CSV → aggregate → Parquet, 2 million rows: Spark (local[2]) vs pandas"
ORDER = 38
BAR = "none: a comparison"

NODES = '''"""Revenue per customer and day, once with pandas and once with Spark."""


def pandas_revenue(df):
    df["day"] = df["ordered_at"].str.slice(0, 10)
    return df.groupby(["customer", "day"], as_index=False)["amount"].sum()


def spark_revenue(df):
    from pyspark.sql import functions as f

    day = f.substring(f.col("ordered_at").cast("string"), 1, 10).alias("day")
    return df.groupBy("customer", day).agg(f.sum("amount").alias("amount"))
'''

JVM_START = "from aether.spark.session import get_spark\nget_spark().stop()\n"


def run(ctx: Context) -> list[Result]:
    rows = 200_000 if ctx.quick else 2_000_000
    title = TITLE if not ctx.quick else TITLE.replace("2 million", f"{rows:,}")
    csv = generated_csv(rows, ctx)
    repeats = ctx.repeats(full=3, quick=2)
    pandas_project = _project(ctx.work_dir / "pandas", csv, spark=False)
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        alone = alternate(
            {"pandas": ([aether_command(), "run", "--force"], pandas_project)},
            repeats=repeats,
            env=quiet_env(),
        )["pandas"]
        return [
            Result(
                benchmark=NAME, title=title, subject=alone, baseline=None,
                figure="Spark not installed: no comparison", bar=BAR, met=None,
                notes=["install the spark group (uv sync --group spark) and Java"],
                quick=ctx.quick,
            )
        ]  # fmt: skip
    spark_project = _project(ctx.work_dir / "spark", csv, spark=True)
    samples = alternate(
        {
            "aether run, Spark": ([aether_command(), "run", "--force"], spark_project),
            "aether run, pandas": ([aether_command(), "run", "--force"], pandas_project),
        },
        repeats=repeats,
        env=quiet_env(),
    )
    jvm = Samples("JVM start-up (a SparkSession built and stopped)", _jvm_starts(repeats))
    ours, theirs = samples["aether run, Spark"], samples["aether run, pandas"]
    return [
        Result(
            benchmark=NAME,
            title=title,
            subject=ours,
            baseline=theirs,
            figure=f"{ours.median / theirs.median:.2f} x pandas",
            bar=BAR,
            met=None,
            method=(
                f"{rows:,} rows of CSV ({csv.stat().st_size / 1e6:.0f} MB), revenue summed per "
                "customer and day, written as Parquet. Two one-node projects run with "
                "`aether run --force`: SparkDataSet in and out (local[2], Aether's defaults) vs "
                "PandasCsvDataSet -> PandasParquetDataSet; fresh subprocesses, alternated, "
                f"{repeats} timed runs each after one untimed warm-up."
            ),
            notes=[
                f"Of the Spark run, about {seconds(jvm.median)} is the JVM starting "
                "(measured alone below): paid once per run, whatever the data.",
            ],
            others=[jvm],
            quick=ctx.quick,
        )
    ]


def _jvm_starts(repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", JVM_START], check=True, env=quiet_env(),
                       capture_output=True)  # fmt: skip
        times.append(time.perf_counter() - started)
    return times


def _project(root: Path, csv: Path, *, spark: bool) -> Path:
    if spark:
        catalog = {
            "orders": {"type": "SparkDataSet", "filepath": str(csv), "file_format": "csv",
                       "load_args": {"header": True, "inferSchema": True}},
            "revenue": {"type": "SparkDataSet", "filepath": "data/revenue"},
        }  # fmt: skip
    else:
        catalog = {
            "orders": {"type": "PandasCsvDataSet", "filepath": str(csv)},
            "revenue": {"type": "PandasParquetDataSet", "filepath": "data/revenue.parquet"},
        }
    return write_project(
        root,
        package="revenue",
        modules={"nodes": NODES},
        catalog=catalog,
        nodes=[
            {
                "name": "revenue",
                "transformation": f"revenue.nodes.{'spark' if spark else 'pandas'}_revenue",
                "inputs": {"df": "orders"},
                "outputs": "revenue",
            }
        ],
    )
