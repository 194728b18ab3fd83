"""Data held in memory for the length of a run: what a dataset absent from the catalog is."""

from __future__ import annotations

import copy
import logging
from typing import Any

from aether.datasets.base import AbstractDataSet
from aether.errors import CatalogError, DataSetError

logger = logging.getLogger("aether.datasets")

_EMPTY: Any = object()  # "no data yet", distinct from a node that returned None
COPY_MODES = ("deepcopy", "copy", "assign")
# Objects that must not be deep-copied: they are handles to data that lives elsewhere.
_ASSIGNED_MODULES = ("pyspark",)


class MemoryDataSet(AbstractDataSet):
    """Holds one Python object in memory; every ``load()`` returns a copy of it.

    Copies keep nodes apart: a node that mutates its input cannot change what another node
    reads. ``copy_mode`` is ``"copy"`` (``data.copy()``), ``"deepcopy"`` or ``"assign"`` (no
    copy); by default pandas objects are copied with ``.copy()``, Spark DataFrames assigned,
    and anything else deep-copied when possible, else assigned.

    .. code-block:: yaml

        model_features:
          type: MemoryDataSet
          copy_mode: assign      # large, and no node mutates it: skip the copies
    """

    def __init__(
        self,
        data: Any = _EMPTY,
        copy_mode: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if copy_mode is not None and copy_mode not in COPY_MODES:
            raise CatalogError(
                f"MemoryDataSet got copy_mode {copy_mode!r}, which is not one of "
                f"{', '.join(COPY_MODES)}",
                hint="set `copy_mode:` to deepcopy, copy or assign, or leave it out",
            )
        self._data = data
        self._copy_mode = copy_mode
        self.metadata = dict(metadata or {})

    def _load(self) -> Any:
        if self._data is _EMPTY:
            raise DataSetError(
                f"Dataset '{self.name}' (MemoryDataSet) has no data yet: is it produced by "
                "a node that did not run?",
                hint="run the node that produces it in the same run, or declare it in the "
                "catalog with a file type so it persists between runs",
            )
        return _copy(self._data, self._copy_mode)

    def _save(self, data: Any) -> None:
        # No copy here: the producer has handed its result over; copying on every load is
        # what keeps consumers apart, and one copy per load is enough.
        self._data = data

    def _exists(self) -> bool:
        return self._data is not _EMPTY

    def _describe(self) -> dict[str, Any]:
        # The type only, never the value: it may be large or sensitive.
        held = "<empty>" if self._data is _EMPTY else type(self._data).__name__
        return {"data": held, "copy_mode": self._copy_mode or "auto"}

    def release(self) -> None:
        """Drop the data, so memory is freed once no remaining node needs it."""
        self._data = _EMPTY


def _copy(data: Any, copy_mode: str | None) -> Any:
    mode = copy_mode or _default_copy_mode(data)
    if mode == "copy":
        return data.copy()
    if mode == "assign":
        return data
    if copy_mode is not None:
        return copy.deepcopy(data)  # asked for explicitly: a failure should surface
    try:
        return copy.deepcopy(data)
    except Exception as exc:
        # Locks, connections, generators... cannot be copied; sharing them is the only option.
        logger.debug("cannot deep-copy a %s (%s); passing it as is", type(data).__name__, exc)
        return data


def _default_copy_mode(data: Any) -> str:
    # Checked by module name so that pandas is never imported just to look at a type.
    module = type(data).__module__
    if module.startswith("pandas"):
        return "copy"
    if module.startswith(_ASSIGNED_MODULES):
        return "assign"
    return "deepcopy"
