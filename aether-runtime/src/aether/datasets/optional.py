"""Optional drivers: a backend's dataset checks its driver is installed when it is configured,
so a missing one is a configuration error naming the extra to install, not an ImportError in
the middle of a run. The driver itself is imported only when the dataset is used."""

from __future__ import annotations

import importlib.util

from aether.errors import CatalogError


def require(module: str, extra: str, needed_by: str) -> None:
    """Raise a CatalogError naming `extra` when `module` cannot be imported.

    Args:
        module: The top-level module of the driver, e.g. `"sqlalchemy"`.
        extra: The extra of aether-data that installs it, e.g. `"sql"`.
        needed_by: What needs it, for the message, e.g. `"SQLTableDataSet"`.

    Raises:
        CatalogError: The driver is not installed.
    """
    if not is_installed(module):
        raise CatalogError(
            f"{needed_by} needs the '{module}' package, which is not installed",
            hint=f"install it with: uv add 'aether-data[{extra}]' (or pip install "
            f"'aether-data[{extra}]')",
        )


def is_installed(module: str) -> bool:
    """Whether `module` (a dotted name) can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a broken install
        return False
