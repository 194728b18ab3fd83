"""The arguments of an `APIDataSet` catalog entry, checked when the catalog builds it.

Each check raises ValueError; the catalog turns it into a CatalogError naming the entry
(exit 2, before anything runs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aether.support.redaction import redact

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_LOAD_ARGS = {"records"}


def checked_url(url: object) -> str:
    """`url`, when it is an http(s) URL with a host."""
    if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValueError(f"url must be an http:// or https:// URL, got {redact(repr(url))}")
    if not urlsplit(url).hostname:
        raise ValueError(f"url has no host: {redact(url)}")
    return url


def checked_method(method: object) -> str:
    """`method` in capitals, when it is one the dataset sends."""
    upper = str(method).upper()
    if upper not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    return upper


def seconds(value: object, name: str, *, most: float, zero: bool = True) -> float:
    """`value` as a float, when it is a finite number of seconds up to `most`.

    NaN, infinity and a huge number would pass a plain `>= 0` and then fail deep inside a
    request (`sleep(1e300)` overflows, a NaN timeout is refused by the socket).
    """
    low = "0" if zero else "more than 0"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not zero)
        or value > most
    ):
        raise ValueError(
            f"{name} must be a number of seconds from {low} to {most:g}, got {value!r}"
        )
    return float(value)


def whole_number(value: object, name: str, *, least: int, most: int) -> int:
    """`value`, when it is a whole number from `least` to `most` (`retries`, `max_pages`)."""
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise ValueError(f"{name} must be a whole number from {least} to {most}, got {value!r}")
    return value


def records_path(load_args: Mapping[str, Any] | None, next_link: str | None) -> str | None:
    """The dotted JSON path of `load_args.records`, checked against the pagination's
    `next_link` (None without pagination)."""
    args = dict(load_args or {})
    if not set(args) <= _LOAD_ARGS:
        raise ValueError(f"load_args accepts only 'records', got {sorted(args)}")
    path = args.get("records")
    if path is not None and not (isinstance(path, str) and path):
        raise ValueError("load_args.records must be a dotted JSON path such as data.items")
    if path is None and next_link not in (None, "header"):
        raise ValueError(
            "pagination.next_link in the body needs load_args.records: the pages are "
            "objects, so say where their records are"
        )
    return path
