"""Secrets in credentials.yml: ``${secret:<provider>:<name>}``, resolved when a dataset that
names the credential set is built, never written anywhere, masked everywhere by value.

Providers: ``env`` (an environment variable), ``file`` (a file's text), ``aws`` (AWS
Secrets Manager, ``NAME`` or ``NAME#key``), ``databricks`` (``SCOPE/KEY``, through
``dbutils`` or databricks-sdk), and any a package registers under the entry-point group
``aether.secrets`` (see :mod:`aether.secrets.providers`). Only the names listed in
``__all__`` are meant for users; the submodules are internal.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use: config.py reads the reference syntax on every command.
_EXPORTS = {
    "ENTRY_POINT_GROUP": "aether.secrets.providers",
    "SecretNotFound": "aether.secrets.providers",
    "SecretProviders": "aether.secrets.providers",
    "SecretReference": "aether.secrets.references",
    "use_dbutils": "aether.secrets.databricks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aether.secrets' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
