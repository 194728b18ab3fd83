"""Refusing a single-file dataset whose path is a directory, before anything runs.

Reading a directory as a CSV fails only once the node that reads it runs, and writing to
one fails only after the node that produced the data has run (the rename onto a directory
is refused): either way after work was done and state recorded. Checked up front, it is
bad input like any other catalog mistake.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from aether.catalog import DataCatalog
from aether.errors import CatalogError


def refuse_directory_paths(catalog: DataCatalog, names: Iterable[str]) -> None:
    """Raise CatalogError for the first named file dataset whose local path is a directory."""
    from aether.datasets.files import AbstractFileDataSet

    for name in sorted(names):
        entry = catalog.entries.get(name)
        if entry is None:
            continue
        dataset = catalog.get(name)
        if not isinstance(dataset, AbstractFileDataSet) or "://" in dataset.filepath:
            continue  # remote paths: probing them is a network call, not a validation
        if os.path.isdir(dataset.filepath):
            written = entry.arguments.get("filepath", dataset.filepath)
            raise CatalogError(
                f"Dataset '{name}' ({entry.where}): filepath {written} is a directory, but "
                f"{type(dataset).__name__} reads and writes a single file",
                hint="point `filepath:` at a file (e.g. inside that directory), or move the "
                "directory away",
            )
