"""Reading a nested mapping by a dotted key (``'a.b'`` for ``mapping['a']['b']``), as
parameters are named everywhere: ``params:a.b``, ``${params:a.b}``, ``--params a.b=1``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MISSING: Any = object()
"""What `get_dotted` returns when the key is not there (a value may well be None)."""


def get_dotted(mapping: Mapping[str, Any], dotted: str) -> Any:
    """``mapping['a']['b']`` for ``'a.b'``, or `MISSING`."""
    current: Any = mapping
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return MISSING
        current = current[part]
    return current


def is_missing(value: object) -> bool:
    return value is MISSING
