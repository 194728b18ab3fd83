"""A generated project with the Spark example (`include_spark`), driven through its make
targets against this checkout's runtime: `make install` adds pyspark, `make run` runs the
`spark_orders` pipeline on a local Spark, and `make test` runs (does not skip) its Spark test.

Slow (installs pyspark into a new environment, starts a JVM) and needs Java: skipped with the
reason without it, except under .ci/run, which installs Java.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from .conftest import RUNTIME_PATH, bake_with_copier
from .test_build import make

pytestmark = [
    pytest.mark.slow,
    pytest.mark.spark,
    pytest.mark.skipif(
        shutil.which("java") is None,
        reason="Java is not installed: apt-get install default-jre-headless (or set JAVA_HOME)",
    ),
]


@pytest.fixture(scope="module")
def spark_project(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = bake_with_copier(
        template_repo,
        tmp_path_factory.mktemp("spark") / "spark-orders",
        {
            "project_name": "Spark Orders",
            "aether_runtime_path": str(RUNTIME_PATH),
            "include_spark": True,
        },
    )
    make(project, "install")
    return project


def test_make_run_runs_the_spark_pipeline_and_status_then_calls_it_fresh(spark_project):
    make(spark_project, "run", "ARGS=--pipeline spark_orders")

    report = pd.read_parquet(spark_project / "data" / "08_reporting" / "spark_daily_revenue")
    raw = pd.read_csv(spark_project / "data" / "01_raw" / "orders.csv")
    assert 0 < report["orders"].sum() < len(raw)  # test orders and small amounts dropped
    again = make(spark_project, "run", "ARGS=--pipeline spark_orders")
    assert "nothing to do" in again.stdout.lower() or "fresh" in again.stdout.lower(), again.stdout


def test_make_test_runs_the_spark_test_rather_than_skipping_it(spark_project):
    done = make(spark_project, "test", "ARGS=-v -rs")

    assert "test_spark_pipeline_writes_the_daily_revenue_as_parquet PASSED" in done.stdout, (
        done.stdout
    )
    assert "SKIPPED" not in done.stdout


def test_make_lint_passes_as_generated(spark_project):
    # aether validate in every environment: governance, CODEOWNERS and the Spark entries.
    done = make(spark_project, "lint")

    assert "Configuration is valid" in done.stdout + done.stderr, done.stdout
