"""Publish journals as JSON text: how both stores keep them (the same round trip)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from aether.errors import StateError
from aether.state.base import CheckResult, Materialization, PublishJournal


def journal_to_json(journal: PublishJournal) -> str:
    """The journal's body (all but its attempt id and node) as JSON text."""
    body = {
        "staged": journal.staged,
        "materializations": [_fields(m, _MATERIALIZATION) for m in journal.materializations],
        "check_results": [_fields(r, _CHECK_RESULT) for r in journal.check_results],
    }
    try:
        return json.dumps(body, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise StateError(
            f"The publish journal of node '{journal.node}' cannot be stored: {exc}",
            hint="staged locations, fingerprint parts and signatures must be JSON values",
        ) from None


# Field names, read once. A shallow dict per record, not dataclasses.asdict: asdict deep-copies
# every nested part (a tenth of a 2,000-node run's state writes) only for json.dumps to read it.
_MATERIALIZATION = tuple(field.name for field in dataclasses.fields(Materialization))
_CHECK_RESULT = tuple(field.name for field in dataclasses.fields(CheckResult))


def _fields(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def journal_from_json(attempt_id: int, node: str, text: str) -> PublishJournal:
    """The journal written by :func:`journal_to_json`."""
    body: dict[str, Any] = json.loads(text)
    return PublishJournal(
        attempt_id,
        node,
        staged=body["staged"],
        materializations=tuple(_materialization(m) for m in body["materializations"]),
        check_results=tuple(CheckResult(**r) for r in body["check_results"]),
    )


def _materialization(fields: dict[str, Any]) -> Materialization:
    """A journaled materialization; its columns come back from JSON as lists."""
    columns = fields.get("columns")
    if columns is not None:
        fields = {**fields, "columns": tuple((name, dtype) for name, dtype in columns)}
    return Materialization(**fields)
