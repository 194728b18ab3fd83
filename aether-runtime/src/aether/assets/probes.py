"""What an evaluation reads of the datasets' stores, once per pass: signatures, and the
stores that answered with an error instead (a database down, an API failing).

An unreachable dataset is ``failed`` with the error as its reason, and what reads it is held
back, while everything else is judged and run as usual.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aether.catalog import DataCatalog
from aether.errors import AetherError, DataSetError
from aether.verdicts import Reason, ReasonKind

T = TypeVar("T")


class StoreProbe:
    """Signatures read once per pass, and the datasets that could not be read."""

    def __init__(self, catalog: DataCatalog) -> None:
        self.catalog = catalog
        self._signatures: dict[str, dict[str, Any] | None] = {}
        self._unreachable: dict[str, DataSetError] = {}
        self._read_at: dict[str, float] = {}  # when each signature was read (just before)

    def signature(self, name: str) -> dict[str, Any] | None:
        """The dataset's physical signature (one stat for a file); None if unreadable."""
        # Read for every asset of every look: plain dict lookups and one call, no wrappers.
        try:
            return self._signatures[name]
        except KeyError:
            pass
        signature = None
        self._read_at[name] = time.time()
        if name not in self._unreachable:
            try:
                signature = self.catalog.get(name).signature()
            except Exception as error:  # a custom dataset's hook may raise anything
                self._unreachable[name] = observing_error(self.catalog, name, error)
        self._signatures[name] = signature
        return signature

    def read_at(self, name: str) -> float | None:
        """When the signature :meth:`signature` gives for ``name`` was read (None: not yet)."""
        return self._read_at.get(name) if name in self._signatures else None

    def note_unreachable(self, name: str, error: DataSetError) -> None:
        """Reading ``name`` failed with ``error`` (outside :meth:`guarded`)."""
        self._unreachable[name] = error

    def guarded(self, name: str, read: Callable[[], T], otherwise: T) -> T:
        """``read()``, or ``otherwise`` once ``name`` is known unreachable or proves so."""
        if name in self._unreachable:
            return otherwise
        try:
            return read()
        except Exception as error:  # a custom dataset's hook may raise anything
            self._unreachable[name] = observing_error(self.catalog, name, error)
            return otherwise

    def forget(self, names: Iterable[str]) -> None:
        """The next look reads ``names`` again (signatures and unreachability)."""
        for name in names:
            self._signatures.pop(name, None)
            self._unreachable.pop(name, None)
            self._read_at.pop(name, None)

    def failure(self, name: str) -> Reason | None:
        """Why ``name`` is ``failed`` when its store could not be read in this pass."""
        error = self._unreachable.get(name)
        return None if error is None else Reason(ReasonKind.UNREACHABLE, {"error": error.message})


def observing_error(catalog: DataCatalog, name: str, error: Exception) -> DataSetError:
    """``error``, raised while observing ``name`` (its ``signature()`` or ``content_hash()``),
    as a DataSetError naming the dataset: the built-in datasets raise one already; a custom
    dataset's hook may raise anything, which must not become a traceback."""
    if isinstance(error, DataSetError):
        return error
    if isinstance(error, AetherError):
        raise error
    kind = type(catalog.get(name)).__name__
    first = str(error).strip().splitlines()
    detail = f"{type(error).__name__}: {first[0]}" if first else type(error).__name__
    return DataSetError(
        f"Failed to observe dataset '{name}' ({kind}): {detail}",
        hint="its signature() or content_hash() raised: fix that method of the dataset's class",
    )
