"""``${secret:databricks:SCOPE/KEY}``: a Databricks secret scope.

Inside a Databricks notebook or job, ``dbutils`` is there (in ``builtins`` or ``__main__``)
and is asked first; code that holds one elsewhere hands it over with :func:`use_dbutils`.
Without one, databricks-sdk's ``WorkspaceClient`` asks the workspace's REST API with the
standard Databricks configuration (``DATABRICKS_HOST`` and ``DATABRICKS_TOKEN``, a
``~/.databrickscfg`` profile...), from ``aether-data[databricks]``.
``databricks.sdk.runtime`` is never imported: it raises at import time without a cluster.
"""

from __future__ import annotations

import base64
import builtins
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.errors import ConfigError, CredentialsError
from aether.secrets.providers import SecretNotFound

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

_injected: Any = None


def use_dbutils(dbutils: Any) -> None:
    """Read ``${secret:databricks:...}`` through this ``dbutils`` from now on.

    Databricks notebooks need not call it: their ``dbutils`` is found on its own. Pass None
    to go back to finding one (or to databricks-sdk).

    Args:
        dbutils: An object with ``secrets.get(scope=..., key=...)``, as Databricks gives.

    Example:
        ```python
        from aether.secrets import use_dbutils

        use_dbutils(dbutils)  # in a Databricks job that runs Aether in-process
        ```
    """
    global _injected
    _injected = dbutils


def find_dbutils() -> Any:
    """The injected ``dbutils``, else the one a Databricks notebook defines, else None."""
    if _injected is not None:
        return _injected
    main = sys.modules.get("__main__")
    return getattr(builtins, "dbutils", None) or getattr(main, "dbutils", None)


class DatabricksSecrets:
    """Reads ``SCOPE/KEY`` from ``dbutils.secrets`` or, without one, with databricks-sdk.

    Args:
        project_path: Unused; every provider factory takes it.
    """

    def __init__(self, project_path: Path | None = None) -> None:
        del project_path
        self._client: WorkspaceClient | None = None

    def __call__(self, name: str) -> str:
        scope, _, key = name.partition("/")
        if not scope or not key or "/" in key:
            raise ConfigError(
                f"A Databricks secret is named SCOPE/KEY, not '{name}'",
                hint="write it as ${secret:databricks:<scope>/<key>}",
            )
        dbutils = find_dbutils()
        if dbutils is not None:
            return str(dbutils.secrets.get(scope=scope, key=key))
        return self._from_workspace(scope, key)

    def _from_workspace(self, scope: str, key: str) -> str:
        workspace = self._workspace()  # first: it says which extra is missing
        from databricks.sdk.errors import NotFound

        try:
            response = workspace.secrets.get_secret(scope=scope, key=key)
        except NotFound:
            raise SecretNotFound(
                f"create it with: databricks secrets put-secret {scope} {key}"
            ) from None
        return base64.b64decode(response.value or "").decode("utf-8")

    def _workspace(self) -> WorkspaceClient:
        if self._client is None:
            try:
                from databricks.sdk import WorkspaceClient
            except ImportError:
                raise CredentialsError(
                    "${secret:databricks:...} outside Databricks needs the 'databricks-sdk' "
                    "package, which is not installed",
                    hint="install it with: uv add 'aether-data[databricks]' (or pip install "
                    "'aether-data[databricks]')",
                ) from None
            self._client = WorkspaceClient()
        return self._client
