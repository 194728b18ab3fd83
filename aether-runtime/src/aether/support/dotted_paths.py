"""Importing an object by its dotted path (``package.module.Name``), with a "did you mean"."""

from __future__ import annotations

import importlib
from typing import Any

from aether.support.suggestions import closest, suggestion


class ExitAtImport(Exception):
    """A module called ``sys.exit()`` while being imported (an error in that module)."""


def import_object(dotted: str) -> Any:
    """Import ``package.module.Name``; raises ImportError or AttributeError with context."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ImportError(f"'{dotted}' is not a dotted path (package.module.name)")
    try:
        module = importlib.import_module(module_name)
    except SystemExit as exc:  # `sys.exit()` at import time must not end Aether silently
        raise ExitAtImport(
            f"module '{module_name}' called sys.exit({exc.code!r}) while being imported"
        ) from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        public = [name for name in vars(module) if not name.startswith("_")]
        close = closest(attribute, public)
        hint = f"; {suggestion(f'{module_name}.{close}')}" if close else ""
        raise AttributeError(
            f"module '{module_name}' has no attribute '{attribute}'{hint}"
        ) from None
