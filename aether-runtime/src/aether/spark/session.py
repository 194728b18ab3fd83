"""The one SparkSession of a process: Databricks Connect / `SPARK_REMOTE` when configured,
else a local session built from `conf/<env>/spark.yml`'s settings.

pyspark is imported on first use only (the `spark` extra): `aether --help`, `status` and runs
of projects without a Spark dataset never start a JVM. A session is built once and reused by
every Spark dataset and node of the process (a JVM costs ~10 s to start).
"""

from __future__ import annotations

import contextlib
import os
import re
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

# How long to wait for a Spark Connect server to answer before saying so (pyspark's own
# client retries for minutes, with no output, when nothing listens).
CONNECT_TIMEOUT_SECONDS = 10
DEFAULT_CONNECT_PORT = 15002
# How long a server that took the connection has to answer its first question (seconds;
# AETHER_SPARK_CONNECT_TIMEOUT changes it, e.g. for a server that is slow to start).
ANSWER_TIMEOUT_SECONDS = 30
ANSWER_TIMEOUT_VARIABLE = "AETHER_SPARK_CONNECT_TIMEOUT"

_session: Any = None
# The project's spark.yml, set when the project is loaded; read when the session is built.
_settings: dict[str, Any] = {}
_settings_file = "conf/base/spark.yml"
# Tests inject a builder for the Databricks Connect path, which cannot run offline.
_remote_builder: Callable[[str | None], Any] | None = None


def configure(settings: Mapping[str, Any], shown: str = "conf/base/spark.yml") -> None:
    """Remember the project's settings (from the files ``shown``) for the session built
    later (nothing starts here)."""
    global _settings, _settings_file
    _settings = dict(settings)
    _settings_file = shown


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
        server = _check_reachable(remote)
        from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

        try:
            session = SparkSession.builder.remote(remote).getOrCreate()
        except ImportError as exc:  # the Connect client's own packages (grpcio, ...)
            raise ConfigError(
                "SPARK_REMOTE needs the Spark Connect client, which is not installed"
                + (f" ({exc.name})" if exc.name else ""),
                hint="install it with: uv add 'pyspark[connect]' (or databricks-connect)",
            ) from None
        _check_answering(session, server)
        return session
    return connect.DatabricksSession.builder.getOrCreate()


def _check_answering(session: Any, server: str) -> None:
    """Ask the server its Spark version, for at most ANSWER_TIMEOUT_SECONDS: something that
    accepts connections but does not speak Spark Connect (a wrong port, a proxy) would keep
    pyspark's client retrying for minutes without a word."""
    import threading

    timeout = _answer_timeout()
    answered = threading.Event()
    failures: list[Exception] = []

    def ask() -> None:
        try:
            session.version  # noqa: B018 - the call is the question
        except Exception as exc:  # pyspark's Connect errors
            failures.append(exc)
        finally:
            answered.set()

    threading.Thread(target=ask, name="aether-spark-connect-probe", daemon=True).start()
    if answered.wait(timeout) and not failures:
        return
    # Closed, so pyspark's exit hook sends nothing more to a server that does not answer
    # (it would block the process's exit, even after SIGTERM).
    with contextlib.suppress(Exception):  # already failing, with the clearer error below
        session.client.close()
    said = _rpc_reason(failures[0]) if failures else f"no answer in {timeout:g} s"
    raise ConfigError(
        f"The server at {server} (SPARK_REMOTE) does not answer as Spark Connect: {said}",
        hint="check the port (Spark Connect listens on 15002 by default) and that the server "
        "is up; unset SPARK_REMOTE to use a local Spark session",
    )


def _answer_timeout() -> float:
    text = os.environ.get(ANSWER_TIMEOUT_VARIABLE)
    if not text:
        return ANSWER_TIMEOUT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise ConfigError(
            f"{ANSWER_TIMEOUT_VARIABLE} must be a number of seconds, not {text!r}",
            hint=f"e.g. export {ANSWER_TIMEOUT_VARIABLE}=120 (default {ANSWER_TIMEOUT_SECONDS})",
        )
    return value


def _rpc_reason(exc: Exception) -> str:
    """What a failed gRPC call said: its ``details``, else the error's first line."""
    details = re.search(r'details = "([^"]*)"', str(exc))
    return details.group(1) if details else _spark_reason(exc)


def _address(remote: str) -> tuple[str, int]:
    """Host and port of a Spark Connect URL (``sc://host:port/;token=...``): all messages
    may say of it, as the rest may carry a token."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(remote.split(";", 1)[0])
        scheme, host, port = parts.scheme, parts.hostname, parts.port or DEFAULT_CONNECT_PORT
    except ValueError:  # a port that is not a number
        scheme, host, port = "", None, DEFAULT_CONNECT_PORT
    if scheme != "sc" or not host:
        raise ConfigError(
            "SPARK_REMOTE (or spark.remote in spark.yml) is not a Spark Connect URL",
            hint="write it as sc://host:15002 (the URL is not shown: it may hold a token)",
        )
    return host, port


def _check_reachable(remote: str) -> str:
    """Refuse quickly, naming host and port only, a Spark Connect server nothing answers
    for; ``host:port`` when something does."""
    import socket

    host, port = _address(remote)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS).close()
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise ConfigError(
            f"Cannot reach the Spark Connect server at {host}:{port} (SPARK_REMOTE): {reason}",
            hint="start the server (start-connect-server.sh) or fix SPARK_REMOTE; unset it to "
            "use a local Spark session",
        ) from None
    return f"{host}:{port}"


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
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark's errors: the JVM said why on stderr already
        if "JAVA_GATEWAY_EXITED" not in str(exc):
            raise
        raise ConfigError(
            f"The local Spark session did not start: its JVM exited (settings: {_settings_file})",
            hint="the JVM's own message is printed above; a value in spark.yml may be wrong "
            "(e.g. spark.driver.memory: 2g)",
        ) from None
    _check_sql_settings(session, settings)
    return session


def _check_sql_settings(session: Any, settings: Mapping[str, Any]) -> None:
    """Spark checks a ``spark.sql.*`` value's type only when the setting is first read,
    deep inside the first dataset that reads: read each now, so a wrong one is blamed on
    spark.yml rather than on a dataset."""
    for key, value in settings.items():
        if not key.startswith("spark.sql."):
            continue
        try:
            session.conf.get(key)
        except Exception as exc:  # pyspark's IllegalArgumentException
            session.stop()
            # The first read builds the session's SQL state, which checks every setting:
            # the bad one is the one Spark names, not necessarily this one.
            named = re.search(r'config "([^"]+)"', str(exc))
            if named and named.group(1) in settings:
                key, value = named.group(1), settings[named.group(1)]
            raise ConfigError(
                f"{_settings_file}: Spark refuses {key}: {_text(value)!r}: {_spark_reason(exc)}",
                hint="fix the value in spark.yml (Spark's settings and their types: "
                "https://spark.apache.org/docs/latest/configuration.html)",
            ) from None


def _spark_reason(exc: Exception) -> str:
    """The first line of a Spark error, without its ``[ERROR_CLASS]`` and ``SQLSTATE``."""
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    line = re.sub(r"^\[[A-Z_.]+\]\s*", "", line)
    return re.sub(r"\s*SQLSTATE: \w+$", "", line)


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
