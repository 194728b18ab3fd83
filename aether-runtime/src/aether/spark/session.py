"""The one SparkSession of a process: Databricks Connect / `SPARK_REMOTE` when configured,
else a local session built from `conf/<env>/spark.yml`'s settings.

pyspark is imported on first use only (the `spark` extra): `aether --help`, `status` and runs
of projects without a Spark dataset never start a JVM. A session is built once and reused by
every Spark dataset and node of the process (a JVM costs ~10 s to start).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from typing import Any

from aether.errors import ConfigError

# What works on a small machine (BACKENDS.md): two cores, no UI, few shuffle partitions, and
# a JVM that compiles less and collects serially (half the CPU at start-up on 2 cores).
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}

_session: Any = None
# The project's spark.yml, set when the project is loaded; read when the session is built.
_settings: dict[str, Any] = {}
# Tests inject a builder for the Databricks Connect path, which cannot run offline.
_remote_builder: Callable[[str | None], Any] | None = None


def configure(settings: Mapping[str, Any]) -> None:
    """Remember the project's settings for the session built later (nothing starts here)."""
    global _settings
    _settings = dict(settings)


def get_spark(settings: Mapping[str, Any] | None = None) -> Any:
    """The process's SparkSession, built on first call.

    Args:
        settings: Spark configuration (e.g. `spark.executor.memory`); default: what
            `configure` was given (the project's spark.yml). Used only by the call that
            builds the session.

    Raises:
        ConfigError: pyspark is not installed, or no Java runtime is found for a local
            session.
    """
    global _session
    if _session is not None:
        return _session
    chosen = dict(_settings if settings is None else settings)
    remote = os.environ.get("SPARK_REMOTE") or chosen.pop("spark.remote", None)
    if remote or os.environ.get("DATABRICKS_CLUSTER_ID") or _remote_builder is not None:
        _session = _connect(remote)
        return _session
    _session = _local_session(chosen)
    return _session


def reset() -> None:
    """Forget the session (tests, and the end of a run that stopped it)."""
    global _session
    _session = None


def _connect(remote: str | None) -> Any:
    """A Spark Connect session: Databricks Connect when installed, else pyspark's client."""
    if _remote_builder is not None:
        return _remote_builder(remote)
    import importlib

    try:  # Databricks Connect reads its workspace and cluster from the environment/profile
        connect = importlib.import_module("databricks.connect")  # untyped, optional
    except ImportError:
        if not remote:
            raise ConfigError(
                "DATABRICKS_CLUSTER_ID is set but databricks-connect is not installed",
                hint="install it with: pip install databricks-connect (or set SPARK_REMOTE)",
            ) from None
        from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

        return SparkSession.builder.remote(remote).getOrCreate()
    return connect.DatabricksSession.builder.getOrCreate()


def _local_session(settings: dict[str, Any]) -> Any:
    _require_pyspark()
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ConfigError(
            "Spark needs a Java runtime (java) and none was found on PATH or in JAVA_HOME",
            hint="install Java 17 (e.g. apt-get install default-jre-headless) or set "
            "JAVA_HOME, or set SPARK_REMOTE to use a remote cluster",
        )
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(str(settings.pop("spark.app.name", "aether")))
    for key, value in {**LOCAL_DEFAULTS, **settings}.items():
        builder = builder.config(key, _text(value))
    return builder.getOrCreate()


def _require_pyspark() -> None:
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        raise ConfigError(
            "Spark datasets need the 'pyspark' package, which is not installed",
            hint="install it with: uv add 'aether-data[spark]' (or pip install "
            "'aether-data[spark]')",
        )


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
