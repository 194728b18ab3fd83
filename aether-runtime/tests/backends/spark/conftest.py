"""One local SparkSession for the whole test run (a JVM takes ~5-10 s to start).

Every test here carries the `spark` marker; without Java or pyspark they skip with the reason
(`.ci/run` installs both, and a skip fails there). The session is the one Aether's datasets
use (`aether.spark.session`), built with the settings a run would use.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from aether.spark import session as spark_session


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "backends/spark" in str(item.fspath):
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (uv sync --group spark); .ci/run installs it")
    if shutil.which("java") is None:
        pytest.skip(
            "Java is not installed (apt-get install default-jre-headless); .ci/run installs it"
        )
    spark_session.reset()
    session = spark_session.get_spark()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    spark_session.reset()
