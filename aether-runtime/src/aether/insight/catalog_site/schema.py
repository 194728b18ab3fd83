"""An asset's columns and their types, read without loading its data: a Parquet file's
footer, a SQL table by reflection, else the columns Aether recorded when it last saved it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger("aether.catalog_site")

Columns = tuple[tuple[str, str], ...]


def read_columns(
    root: Path,
    type_name: str,
    arguments: Mapping[str, Any],
    dataset: Callable[[], Any],
    recorded: Columns | None,
) -> tuple[Columns | None, str]:
    """The columns and where they came from (``Parquet footer``, ``SQL reflection``,
    ``recorded at the last save``); ``(None, why)`` when none is known."""
    try:
        found = _parquet(root, type_name, arguments) or _sql_if_table(type_name, dataset)
    except Exception as error:  # a look at a schema never fails the site
        logger.debug("columns not read: %s", error)
        found = None
    if found is not None:
        return found
    if recorded:
        return tuple(recorded), "recorded at the last save"
    return None, "not recorded yet"


def _parquet(
    root: Path, type_name: str, arguments: Mapping[str, Any]
) -> tuple[Columns, str] | None:
    filepath = arguments.get("filepath")
    if "parquet" not in type_name.lower() or not isinstance(filepath, str) or "://" in filepath:
        return None
    path = root / filepath
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)  # the footer only, never the data
    # pandas stores a named index as a column; a RangeIndex is only described (a mapping).
    index = (schema.pandas_metadata or {}).get("index_columns") or []
    hidden = {name for name in index if isinstance(name, str)}
    columns = tuple((f.name, str(f.type)) for f in schema if f.name not in hidden)
    return columns, "Parquet footer"


def _sql(dataset: Any) -> tuple[Columns, str] | None:
    """A SQL table's columns by reflection, over the dataset's own connection (its
    credentials never pass through here)."""
    from aether.datasets.sql_table import SQLTableDataSet

    if not isinstance(dataset, SQLTableDataSet):
        return None
    columns = dataset.columns()
    return (columns, "SQL reflection") if columns is not None else None


def _sql_if_table(type_name: str, dataset: Callable[[], Any]) -> tuple[Columns, str] | None:
    return _sql(dataset()) if "sqltable" in type_name.lower() else None
