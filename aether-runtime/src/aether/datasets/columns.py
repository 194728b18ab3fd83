"""The columns of the data a node returns (name and dtype), read from the object itself.

Recorded with each saved output, they are the schema of formats that store no types (CSV,
JSON lines): what the catalog site and lineage show without loading anything again. Only the
object's own schema is read (no row is touched), and libraries are recognised by the module
their type comes from, so nothing is imported here.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("aether.datasets")

# Bounds on what one output records: a table 10,000 columns wide is real, and the state
# store is read at every look.
MAX_COLUMNS = 1_000
MAX_NAME_CHARS = 200
MAX_DTYPE_CHARS = 100

Columns = tuple[tuple[str, str], ...]


def columns_of(data: Any) -> Columns | None:
    """``data``'s (name, dtype) pairs, for pandas, polars and Spark DataFrames and Arrow
    tables; None for anything else, or if reading its schema fails (never fatal)."""
    library = type(data).__module__.split(".", 1)[0]
    try:
        pairs = _pairs(library, data)
    except Exception as exc:  # a schema we could not read is only not recorded
        logger.debug("columns of %s not recorded: %s", type(data).__name__, exc)
        return None
    if pairs is None:
        return None
    return tuple(
        (str(name)[:MAX_NAME_CHARS], str(dtype)[:MAX_DTYPE_CHARS])
        for name, dtype in pairs[:MAX_COLUMNS]
    )


def _pairs(library: str, data: Any) -> list[tuple[Any, Any]] | None:
    kind = type(data).__name__
    if library == "pandas" and kind == "DataFrame":
        return list(data.dtypes.items())
    if library == "pyarrow" and kind in ("Table", "RecordBatch"):
        return [(field.name, field.type) for field in data.schema]
    if library == "polars" and kind == "DataFrame":
        return list(data.schema.items())
    if library == "pyspark" and kind == "DataFrame":
        return list(data.dtypes)
    return None
