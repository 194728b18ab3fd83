"""What a node receives for the reserved inputs `context:spark` and `context:dbutils`.

`context:spark` is the process's SparkSession (built on first use). `context:dbutils` is
Databricks' own `dbutils` on a cluster (imported only there: `databricks.sdk.runtime` raises
on import without a workspace), else `LocalDbutils`, a stand-in over this machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any

from aether.errors import ConfigError

NAMES = ("spark", "dbutils")


def context_value(name: str, params: Mapping[str, Any]) -> Any:
    """The value of `context:<name>` for a node running in this process."""
    if name == "spark":
        from aether.spark.session import get_spark

        return get_spark()
    if name == "dbutils":
        return databricks_dbutils() or LocalDbutils(params)
    raise ConfigError(
        f"unknown node input 'context:{name}'", hint="use context:spark or context:dbutils"
    )


def databricks_dbutils() -> Any:
    """The cluster's dbutils, or None off Databricks (no `DATABRICKS_RUNTIME_VERSION`)."""
    if not os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        return None
    from databricks.sdk.runtime import dbutils

    return dbutils


class _LocalFs:
    """`dbutils.fs` over the local file system (`dbfs:/x` and `file:/x` read as `/x`)."""

    @staticmethod
    def _path(path: str) -> str:
        for prefix in ("dbfs:", "file:"):
            if path.startswith(prefix):
                return path[len(prefix) :]
        return path

    def ls(self, path: str) -> list[str]:
        folder = self._path(path)
        return sorted(os.path.join(folder, name) for name in os.listdir(folder))

    def mkdirs(self, path: str) -> bool:
        os.makedirs(self._path(path), exist_ok=True)
        return True

    def cp(self, source: str, target: str, recurse: bool = False) -> bool:
        if recurse:
            shutil.copytree(self._path(source), self._path(target), dirs_exist_ok=True)
        else:
            shutil.copy2(self._path(source), self._path(target))
        return True

    def rm(self, path: str, recurse: bool = False) -> bool:
        local = self._path(path)
        if os.path.isdir(local) and recurse:
            shutil.rmtree(local)
        elif os.path.exists(local):
            os.remove(local)
        else:
            return False
        return True

    def head(self, path: str, max_bytes: int = 65536) -> str:
        with open(self._path(path), encoding="utf-8", errors="replace") as handle:
            return handle.read(max_bytes)

    def put(self, path: str, contents: str, overwrite: bool = False) -> bool:
        local = self._path(path)
        if os.path.exists(local) and not overwrite:
            raise FileExistsError(local)
        with open(local, "w", encoding="utf-8") as handle:
            handle.write(contents)
        return True


class _LocalSecrets:
    """`dbutils.secrets.get(scope, key)` through `${secret:databricks:scope/key}`'s provider."""

    def get(self, scope: str, key: str) -> str:
        from aether.secrets.databricks import DatabricksSecrets
        from aether.support.redaction import register

        value = DatabricksSecrets()(f"{scope}/{key}")
        register(value)  # masked in every log line and error, like any secret
        return value


class _LocalWidgets:
    """`dbutils.widgets.get(name)`: the run's parameter of that name (widgets are a job's
    parameters on Databricks)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._params = params

    def get(self, name: str) -> str:
        if name not in self._params:
            raise ConfigError(
                f"dbutils.widgets.get('{name}'): no parameter '{name}'",
                hint=f"add `{name}:` to conf/base/parameters.yml or pass --params {name}=...",
            )
        return str(self._params[name])


class LocalDbutils:
    """A stand-in for Databricks' `dbutils` off a cluster: `fs`, `secrets` and `widgets`."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.fs = _LocalFs()
        self.secrets = _LocalSecrets()
        self.widgets = _LocalWidgets(params)
