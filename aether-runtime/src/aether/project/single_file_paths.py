"""Refusing a single-file dataset whose path is a directory or a special file, before anything
runs.

Reading a directory as a CSV fails only once the node that reads it runs, and writing to
one fails only after the node that produced the data has run (the rename onto a directory
is refused): either way after work was done and state recorded. Checked up front, it is
bad input like any other catalog mistake.

A FIFO, a device or a socket (``/dev/null``, ``mkfifo data/x.csv``) is refused too: hashing a
FIFO blocks forever, and publishing an output renames a new file over the path, which would
replace the device itself (``/dev/null`` for the whole machine, when run as root).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from aether.catalog import DataCatalog
from aether.errors import CatalogError


def refuse_directory_paths(catalog: DataCatalog, names: Iterable[str]) -> None:
    """Raise CatalogError for the first named file dataset whose local path is a directory
    or a special file (FIFO, device, socket)."""
    from aether.datasets.files import AbstractFileDataSet

    for name in sorted(names):
        entry = catalog.entries.get(name)
        if entry is None:
            continue
        dataset = catalog.get(name)
        if not isinstance(dataset, AbstractFileDataSet) or "://" in dataset.filepath:
            continue  # remote paths: probing them is a network call, not a validation
        kind = _non_file_kind(dataset.filepath)
        if kind is None:
            continue
        written = entry.arguments.get("filepath", dataset.filepath)
        if kind == "directory":
            raise CatalogError(
                f"Dataset '{name}' ({entry.where}): filepath {written} is a directory, but "
                f"{type(dataset).__name__} reads and writes a single file",
                hint="point `filepath:` at a file (e.g. inside that directory), or move the "
                "directory away",
            )
        raise CatalogError(
            f"Dataset '{name}' ({entry.where}): filepath {written} is {kind}, but "
            f"{type(dataset).__name__} reads and writes a regular file",
            hint="point `filepath:` at a regular file (e.g. under data/)",
        )


def _non_file_kind(path: str) -> str | None:
    """What ``path`` is when it exists but is not a regular file (symlinks followed)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing, unreachable, a NUL byte: the load/save says so
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"
