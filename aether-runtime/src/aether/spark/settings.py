"""`conf/<env>/spark.yml`: the local SparkSession's settings, checked when the project is
loaded (a wrong key is a configuration error before any JVM starts).

```yaml
app_name: shop            # optional
master: local[4]          # optional, default local[2]
config:                   # any Spark setting, passed to the session builder
  spark.sql.shuffle.partitions: 8
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aether.errors import ConfigError
from aether.support.suggestions import did_you_mean

KEYS = ("app_name", "master", "config")


def spark_settings(data: Mapping[str, Any], shown: str) -> dict[str, Any]:
    """The session builder's settings from spark.yml's merged `data` (`shown`: its files).

    Raises:
        ConfigError: An unknown key, or `config` that is not a mapping of settings.
    """
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError(
                f"{shown}: unknown key '{key}'",
                hint=did_you_mean(str(key), KEYS) or f"use only {', '.join(KEYS)}",
            )
        if key == "config":
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"{shown}: `config` must be a mapping of Spark settings",
                    hint="e.g. `config: {spark.sql.shuffle.partitions: 8}`",
                )
            settings.update({str(k): v for k, v in value.items()})
        elif key == "master":
            settings["spark.master"] = value
        else:
            settings[key] = value
    return settings
