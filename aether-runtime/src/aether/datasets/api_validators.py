"""An API response's signature, from the validators HTTP gives for caching.

`ETag` names one version of a response exactly, so it is enough when present. Without it,
`Last-Modified` is kept, but it counts whole seconds: a change in the same second as the
previous one keeps it. So while the resource changed less than `SETTLE_SECONDS` before the
server's `Date`, the signature also holds that `Date`: it then differs at every look, and
Aether confirms by content until the time has settled (the same guard as for a file whose
mtime is too recent to trust).
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from typing import Any

SETTLE_SECONDS = 2.0


def validators_signature(headers: Mapping[str, str]) -> dict[str, Any] | None:
    """`{etag}`, `{last_modified}` (plus `unsettled_at` while recent), or None.

    Args:
        headers: Response headers by lower-case name.
    """
    etag = headers.get("etag")
    if etag:
        return {"etag": etag}
    last_modified = headers.get("last-modified")
    if not last_modified:
        return None
    signature: dict[str, Any] = {"last_modified": last_modified}
    date = headers.get("date")
    if date and _seconds_between(last_modified, date) < SETTLE_SECONDS:
        signature["unsettled_at"] = date
    return signature


def _seconds_between(earlier: str, later: str) -> float:
    try:
        start = email.utils.parsedate_to_datetime(earlier)
        end = email.utils.parsedate_to_datetime(later)
    except (TypeError, ValueError):
        return 0.0  # unreadable dates prove nothing: treat the time as unsettled
    return (end - start).total_seconds()
