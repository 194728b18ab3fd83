"""Times as the site prints them: absolute, UTC, to the second (never "5m ago": the same
state makes the same page)."""

from __future__ import annotations

import time


def when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def duration(seconds: float) -> str:
    days, rest = divmod(round(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    shown = " ".join(p for p in parts if p)
    return shown or f"{secs}s"
