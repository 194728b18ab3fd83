"""Rows of the SQL stores made into records (heads, runs, a run's materializations): how
every SQL store reads them back, and writes what has no SQL type (one code)."""

from __future__ import annotations

import json
from typing import Any

from aether.errors import StateError
from aether.state.base import Columns, Head, HeadStatus, Materialization, RunRecord
from aether.state.json_values import to_json

# The heads query's columns: the materialization's come first, in Materialization's order.
MATERIALIZATION_COLUMNS = (
    "m.asset, m.node, m.run_id, m.started_at, m.finished_at, m.fingerprint, m.parts, "
    "m.version, m.signature, m.data_time, m.data_columns"
)
RUN_COLUMNS = (
    "run_id, started_at, env, pipeline, params, git_commit, git_dirty, lockfile, "
    "lockfile_hash, aether_version, finished_at, status"
)

_HEAD_STATUSES = {status.value: status for status in HeadStatus}  # a dict: Enum() is slower


def heads_from_rows(rows: list[tuple[Any, ...]], include_parts: bool) -> dict[str, Head]:
    """Heads from rows of the heads query, every asset's in one pass.

    Status reads all 10,000 heads of a large project at every look: the signatures are
    decoded by one ``json.loads`` of them all (each is a JSON text, or NULL), not one call
    per row.
    """
    try:
        signatures = json.loads("[" + ",".join(row[12] or "null" for row in rows) + "]")
    except ValueError:
        raise _edited(f"asset '{_bad_signature(rows)}' has a signature that is not JSON") from None
    heads = {}
    for row, sig in zip(rows, signatures, strict=True):
        asset, status, error, updated_at = row[:4]
        m = None
        if row[4] is not None:
            m_asset, node, run_id, started, finished, fingerprint, parts, version, _, dt, cols = (
                row[4:]
            )
            try:
                m = Materialization(
                    m_asset, node, run_id, started, finished, fingerprint,
                    json.loads(parts) if include_parts else {}, version, sig, dt,
                    columns_from_json(cols) if include_parts else None,
                )  # fmt: skip
            except (ValueError, TypeError):
                raise _edited(f"asset '{asset}' has a materialization that is not JSON") from None
        kind = _HEAD_STATUSES.get(status)  # one lookup: status reads every asset's row
        if kind is None:
            raise _edited(f"asset '{asset}' has the status {status!r}")
        heads[asset] = Head(asset, kind, m, error, updated_at)
    return heads


def _bad_signature(rows: list[tuple[Any, ...]]) -> str:
    """The asset of the first row whose signature does not decode (one found, the batch
    failed: decoded one by one now, only on this error path)."""
    for row in rows:
        try:
            json.loads(row[12] or "null")
        except ValueError:
            return str(row[0])
    return "?"


def _edited(what: str) -> StateError:
    """A row no Aether wrote (a hand edit in psql or sqlite3): said in one line, with the
    way out, rather than a KeyError from deep inside a look."""
    known = ", ".join(_HEAD_STATUSES)
    return StateError(
        f"The state store holds a row Aether did not write: {what}",
        hint=f"a hand edit? undo it (a status is one of {known}), or delete the asset's row "
        "from `heads`: the asset is then rebuilt by the next run",
    )


def materialization_from_row(row: tuple[Any, ...]) -> Materialization:
    """A materialization from a row of :data:`MATERIALIZATION_COLUMNS`."""
    asset, node, run_id, started, finished, fingerprint, parts, version, sig, dt, cols = row
    try:
        return Materialization(
            asset, node, run_id, started, finished, fingerprint, json.loads(parts), version,
            None if sig is None else json.loads(sig), dt, columns_from_json(cols),
        )  # fmt: skip
    except (ValueError, TypeError):
        raise _edited(f"asset '{asset}' has a materialization that is not JSON") from None


def columns_to_json(columns: Columns | None) -> str | None:
    """Columns as stored: a JSON list of [name, dtype] pairs."""
    return None if columns is None else json.dumps([list(pair) for pair in columns])


def columns_from_json(text: str | None) -> Columns | None:
    """The columns stored as ``text``."""
    if text is None:
        return None
    return tuple((str(name), str(dtype)) for name, dtype in json.loads(text))


def run_values(record: RunRecord) -> tuple[Any, ...]:
    """``record`` as the values of :data:`RUN_COLUMNS`."""
    return (
        record.run_id, record.started_at, record.env, record.pipeline,
        to_json(record.params, record.run_id), record.git_commit, record.git_dirty,
        record.lockfile, record.lockfile_hash, record.aether_version, record.finished_at,
        record.status,
    )  # fmt: skip


def run_from_row(row: tuple[Any, ...]) -> RunRecord:
    """A run from a row of :data:`RUN_COLUMNS`."""
    run_id, started, env, pipeline, params, commit, dirty, *rest = row
    try:
        values = json.loads(params)
    except ValueError:
        raise StateError(
            f"The state store holds a row Aether did not write: run '{run_id}' has "
            "parameters that are not JSON",
            hint="a hand edit? undo it, or delete the run's row from `runs`",
        ) from None
    return RunRecord(
        run_id, started, env, pipeline, values, commit, None if dirty is None else bool(dirty),
        *rest,
    )  # fmt: skip
