"""Rows of the heads query made into Heads: how every SQL store reads them back (one code)."""

from __future__ import annotations

import json
from typing import Any

from aether.state.base import Head, HeadStatus, Materialization

_HEAD_STATUSES = {status.value: status for status in HeadStatus}  # a dict: Enum() is slower


def heads_from_rows(rows: list[tuple[Any, ...]], include_parts: bool) -> dict[str, Head]:
    """Heads from rows of the heads query, every asset's in one pass.

    Status reads all 10,000 heads of a large project at every look: the signatures are
    decoded by one ``json.loads`` of them all (each is a JSON text, or NULL), not one call
    per row.
    """
    signatures = json.loads("[" + ",".join(row[12] or "null" for row in rows) + "]")
    heads = {}
    for row, sig in zip(rows, signatures, strict=True):
        asset, status, error, updated_at = row[:4]
        m = None
        if row[4] is not None:
            m_asset, node, run_id, started, finished, fingerprint, parts, version, _, dt = row[4:]
            m = Materialization(
                m_asset, node, run_id, started, finished, fingerprint,
                json.loads(parts) if include_parts else {}, version, sig, dt,
            )  # fmt: skip
        heads[asset] = Head(asset, _HEAD_STATUSES[status], m, error, updated_at)
    return heads
