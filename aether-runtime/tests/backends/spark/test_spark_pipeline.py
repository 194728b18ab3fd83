"""A Spark pipeline through the CLI: `context:spark` and `context:dbutils` inputs, Spark nodes
in the run's own process under the parallel runner, spark.yml read and checked, and `aether
status` answering without starting Spark (or even importing pyspark)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CATALOG = """\
numbers:
  type: SparkDataSet
  filepath: data/01_raw/numbers.csv
  file_format: csv
  load_args: {header: true, inferSchema: true}
total:
  type: SparkDataSet
  filepath: data/03_primary/total
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: total
        transformation: mini.spark_nodes.total
        inputs: {rows: numbers, spark: "context:spark", dbutils: "context:dbutils"}
        outputs: total
default: main
"""

NODES = """\
import multiprocessing


def total(rows, spark, dbutils):
    factor = int(dbutils.widgets.get("factor"))
    in_main = multiprocessing.parent_process() is None
    shuffle = spark.conf.get("spark.sql.shuffle.partitions")
    summed = rows.groupBy().sum("n").collect()[0][0]
    return spark.createDataFrame(
        [(summed * factor, in_main, shuffle)], ["total", "in_main", "shuffle"]
    )
"""

SPARK_YML = """\
spark.app.name: mini
spark.sql.shuffle.partitions: 3
"""


def _project(make_project: Callable[..., Path], spark_yml: str = SPARK_YML) -> Path:
    return make_project(
        "spark_project",
        catalog=CATALOG,
        pipeline=PIPELINE,
        files={"src/mini/spark_nodes.py": NODES, "conf/base/spark.yml": spark_yml},
    )


def test_a_spark_node_gets_the_session_and_dbutils_in_the_runs_own_process(
    spark: Any, aether: Callable[..., Any], make_project: Callable[..., Path]
) -> None:
    project = _project(make_project)

    result = aether(project, "run", "--runner", "parallel")

    assert result.returncode == 0, result.stderr
    rows = spark.read.parquet(str(project / "data/03_primary/total")).collect()
    # numbers.csv holds 1, 2, 3; factor is 2; spark.yml's setting reached the session.
    assert [tuple(r) for r in rows] == [(12, True, "3")]


def test_status_of_a_spark_project_does_not_import_pyspark(
    spark: Any, aether: Callable[..., Any], make_project: Callable[..., Path]
) -> None:
    project = _project(make_project)
    assert aether(project, "run").returncode == 0
    script = (
        "import json, sys\n"
        "sys.argv = ['aether', 'status']\n"
        "from aether.cli.app import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps('pyspark' in sys.modules))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=project, check=True
    )

    assert "fresh" in result.stdout
    assert json.loads(result.stdout.strip().splitlines()[-1]) is False


def test_an_unknown_spark_yml_key_is_a_one_line_error_with_exit_2(
    aether: Callable[..., Any], make_project: Callable[..., Path]
) -> None:
    project = _project(make_project, spark_yml="spak.master: local[1]\n")

    result = aether(project, "run")

    assert result.returncode == 2
    assert "conf/base/spark.yml: unknown key 'spak.master'" in result.stderr
    assert "did you mean 'spark.master'?" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("source", ["context:sprak"])
def test_an_unknown_context_input_is_refused_with_a_suggestion(
    aether: Callable[..., Any], make_project: Callable[..., Path], source: str
) -> None:
    project = make_project(
        "typo",
        catalog=CATALOG,
        pipeline=PIPELINE.replace("context:spark", source),
        files={"src/mini/spark_nodes.py": NODES},
    )

    result = aether(project, "run")

    assert result.returncode == 2
    assert "unknown input 'context:sprak'" in result.stderr
    assert "did you mean 'spark'?" in result.stderr


def test_no_java_is_a_one_line_error_naming_what_to_install(
    aether: Callable[..., Any], make_project: Callable[..., Path]
) -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (uv sync --group spark); .ci/run installs it")
    project = _project(make_project)
    no_java = {"PATH": str(Path(sys.executable).parent), "JAVA_HOME": ""}

    result = aether(project, "run", env=no_java)

    assert result.returncode == 2
    assert "Spark needs a Java runtime" in result.stderr
    assert "default-jre-headless" in result.stderr
    assert "Traceback" not in result.stderr


def _needs_pyspark_and_java() -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (uv sync --group spark); .ci/run installs it")
    if shutil.which("java") is None:
        pytest.skip(
            "Java is not installed (apt-get install default-jre-headless); .ci/run installs it"
        )


def test_a_wrong_typed_spark_yml_value_is_blamed_on_spark_yml_not_on_a_dataset(
    aether: Callable[..., Any], make_project: Callable[..., Path]
) -> None:
    # Spark checks a spark.sql.* value's type only when first read: it used to surface as
    # a failure of the first dataset read, cut off after a colon.
    _needs_pyspark_and_java()
    # Another spark.sql setting first, as in the template's spark.yml: Spark checks them all
    # at the first read, and the one it names is the one to blame.
    spark_yml = "spark.sql.session.timeZone: UTC\nspark.sql.shuffle.partitions: lots\n"
    project = _project(make_project, spark_yml=spark_yml)

    result = aether(project, "run")

    assert result.returncode == 2, result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(said) == 1, result.stderr
    assert "conf/base/spark.yml: Spark refuses spark.sql.shuffle.partitions: 'lots'" in said[0]
    assert "should be a/an 'int' value" in said[0]
    assert "numbers" not in said[0] and "Traceback" not in result.stderr


def test_a_spark_remote_nothing_answers_for_fails_fast_naming_host_and_port_only(
    aether: Callable[..., Any], make_project: Callable[..., Path]
) -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (uv sync --group spark); .ci/run installs it")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    project = _project(make_project)
    remote = f"sc://127.0.0.1:{port}/;token=tok-SECRET-123"

    result = aether(project, "run", env={"SPARK_REMOTE": remote}, timeout=60)

    assert result.returncode == 2, result.stderr
    assert f"Cannot reach the Spark Connect server at 127.0.0.1:{port} (SPARK_REMOTE)" in (
        result.stderr
    )
    assert "SECRET" not in result.stdout + result.stderr


def test_a_server_that_takes_the_connection_but_never_answers_fails_in_bounded_time(
    aether: Callable[..., Any], make_project: Callable[..., Path]
) -> None:
    # A wrong port or a proxy accepts TCP and then says nothing: pyspark's client retried for
    # minutes without a word, and its exit hook kept the process alive even after SIGTERM.
    if importlib.util.find_spec("grpc") is None:
        pytest.skip("the Spark Connect client is not installed (uv sync --group spark)")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(50)
        port = silent.getsockname()[1]
        project = _project(make_project)
        env = {
            "SPARK_REMOTE": f"sc://127.0.0.1:{port}/;token=tok-SECRET-123",
            "AETHER_SPARK_CONNECT_TIMEOUT": "3",
        }

        result = aether(project, "run", env=env, timeout=90)

    assert result.returncode == 2, result.stderr
    assert (
        f"The server at 127.0.0.1:{port} (SPARK_REMOTE) does not answer as Spark Connect: "
        "no answer in 3 s" in result.stderr
    )
    assert "SECRET" not in result.stdout + result.stderr
