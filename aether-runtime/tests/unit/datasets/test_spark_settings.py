"""spark.yml's settings, checked when the project loads (no JVM, no pyspark needed)."""

from __future__ import annotations

import pytest

from aether.errors import ConfigError
from aether.spark.settings import spark_settings


def test_settings_are_taken_flat_as_spark_spells_them() -> None:
    data = {"spark.master": "local[1]", "spark.sql.shuffle.partitions": 8}

    assert spark_settings(data, "conf/base/spark.yml") == data


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("spark.sql.shuffle.partition", "spark.sql.shuffle.partitions"),
        ("spark.sql.session.timezone", "spark.sql.session.timeZone"),
        ("spark.mastr", "spark.master"),
    ],
)
def test_a_slip_in_a_common_setting_is_refused_since_spark_would_ignore_it(
    key: str, meant: str
) -> None:
    with pytest.raises(ConfigError, match=f"unknown Spark setting '{key}'") as raised:
        spark_settings({key: "x"}, "conf/base/spark.yml")

    assert raised.value.hint == f"did you mean '{meant}'?" and raised.value.exit_code == 2


@pytest.mark.parametrize(
    "key", ["spark.executor.memoryOverhead", "spark.driver.maxResultSize", "spark.executor.cores"]
)
def test_real_settings_near_a_common_one_are_kept(key: str) -> None:
    assert spark_settings({key: "1"}, "conf/base/spark.yml") == {key: "1"}
