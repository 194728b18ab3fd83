"""Durations as people write them (``30m``, ``2d``) and ages as people read them."""

from __future__ import annotations

import math
import re

from aether.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object, asset: str = "?", where: str = "catalog.yml") -> float | None:
    """Seconds in ``30s``, ``15m``, ``1h``, ``2d``, ``1w`` (or a plain number of seconds)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value) and value >= 0:
            return float(value)
        match = None
    else:
        match = _DURATION.match(str(value))
    if not match:
        raise ConfigError(
            f"Dataset '{asset}' ({where}): freshness duration {value!r} is not understood",
            hint="write a number and a unit: 30m, 1h, 2d, 1w",
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def format_age(seconds: float) -> str:
    """``42s``, ``5m``, ``3h``, ``2d``: one unit, rounded, for status tables."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def format_elapsed(seconds: float) -> str:
    """``42s``, ``5m 3s``, ``2h 10m``, ``3d 4h``: an age to read at a glance."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


# A recorded time this far past the clock was taken on a clock that ran ahead (or another
# host's): a few minutes covers ordinary skew between machines sharing one state.
FUTURE_TOLERANCE_SECONDS = 300.0


def is_in_future(stamp: float | None, now: float) -> bool:
    """Whether ``stamp`` lies beyond ``now`` by more than ordinary clock skew."""
    return stamp is not None and stamp > now + FUTURE_TOLERANCE_SECONDS


def future_time_warning(what: str) -> str:
    """The warning shown where a recorded time in the future was set aside."""
    return (
        f"{what} was recorded in the future (the clock ran ahead?); its age is counted from "
        "a time that is not in the future"
    )
