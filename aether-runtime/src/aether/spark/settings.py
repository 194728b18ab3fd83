"""`conf/<env>/spark.yml`: the local SparkSession's settings, checked when the project is
loaded (a wrong key is a configuration error before any JVM starts).

Every key is a Spark setting, written flat as Spark spells it (as kedro's spark.yml):

```yaml
spark.master: local[4]              # default local[2]
spark.app.name: shop
spark.sql.shuffle.partitions: 8
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aether.errors import ConfigError
from aether.support.suggestions import did_you_mean

# The settings most often written, for "did you mean" on a key that is not a Spark setting.
COMMON_KEYS = (
    "spark.master",
    "spark.app.name",
    "spark.driver.memory",
    "spark.executor.memory",
    "spark.jars",
    "spark.jars.packages",
    "spark.sql.shuffle.partitions",
    "spark.sql.session.timeZone",
    "spark.sql.extensions",
    "spark.sql.catalog.spark_catalog",
    "spark.sql.warehouse.dir",
    "spark.remote",
)


def spark_settings(data: Mapping[str, Any], shown: str) -> dict[str, Any]:
    """The session builder's settings from spark.yml's merged `data` (`shown`: its files).

    Raises:
        ConfigError: A key that is not a Spark setting (`spark.<name>`), or a value that is
            a list or a mapping.
    """
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.startswith("spark."):
            raise ConfigError(
                f"{shown}: unknown key '{key}': every key is a Spark setting (spark.<name>)",
                hint=did_you_mean(str(key), COMMON_KEYS)
                or "e.g. `spark.sql.shuffle.partitions: 8`",
            )
        near = _near_miss(key)
        if near is not None:
            raise ConfigError(
                f"{shown}: unknown Spark setting '{key}' (Spark would ignore it)",
                hint=f"did you mean '{near}'?",
            )
        if isinstance(value, (list, dict)):
            raise ConfigError(
                f"{shown}: '{key}' must be a single value, not a {type(value).__name__}",
                hint="write Spark settings flat, e.g. `spark.sql.shuffle.partitions: 8`",
            )
        settings[key] = value
    return settings


def _near_miss(key: str) -> str | None:
    """A common setting ``key`` is one slip away from (``spark.sql.shuffle.partition``):
    Spark takes any ``spark.*`` key and ignores what it does not know, so a typo would do
    nothing, silently. Real settings this close to a common one but different do not exist."""
    import difflib

    if key in COMMON_KEYS:
        return None
    for known in COMMON_KEYS:
        if difflib.SequenceMatcher(None, key, known).ratio() >= 0.95:
            return known
    return None
