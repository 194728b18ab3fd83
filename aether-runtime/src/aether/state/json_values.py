"""The JSON columns of the state (fingerprint parts, signatures), shared by both stores."""

from __future__ import annotations

import json
from typing import Any

from aether.errors import StateError


def to_json(value: Any, asset: str) -> str | None:
    """``value`` as JSON text (keys sorted), None for None; a StateError naming ``asset``
    when it is not a JSON value."""
    if value is None:
        return None
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise StateError(
            f"State for '{asset}' cannot be stored: {exc}",
            hint="fingerprint parts and signatures must be JSON values (str, number, list, dict)",
        ) from None


def from_json(text: str | None) -> Any:
    """The value stored as ``text`` (None for None)."""
    return None if text is None else json.loads(text)


def json_copy(value: Any, asset: str) -> Any:
    """A deep copy of ``value`` through JSON, as a store holding it would give it back."""
    return from_json(to_json(value, asset))
