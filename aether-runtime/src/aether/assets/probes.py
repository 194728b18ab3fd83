"""What an evaluation reads of the datasets' stores, once per pass: signatures, and the
stores that answered with an error instead (a database down, an API failing).

An unreachable dataset is ``failed`` with the error as its reason, and what reads it is held
back, while everything else is judged and run as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aether.assets.status import AssetStatus
from aether.catalog import DataCatalog
from aether.errors import DataSetError
from aether.verdicts import Reason, ReasonKind, Status

T = TypeVar("T")


class StoreProbe:
    """Signatures read once per pass, and the datasets that could not be read."""

    def __init__(self, catalog: DataCatalog) -> None:
        self.catalog = catalog
        self._signatures: dict[str, dict[str, Any] | None] = {}
        self._unreachable: dict[str, DataSetError] = {}

    def signature(self, name: str) -> dict[str, Any] | None:
        """The dataset's physical signature (one stat for a file); None if unreadable."""
        if name not in self._signatures:
            self._signatures[name] = self.guarded(name, self.catalog.get(name).signature, None)
        return self._signatures[name]

    def guarded(self, name: str, read: Callable[[], T], otherwise: T) -> T:
        """``read()``, or ``otherwise`` once ``name`` is known unreachable or proves so."""
        if name in self._unreachable:
            return otherwise
        try:
            return read()
        except DataSetError as error:
            self._unreachable[name] = error
            return otherwise

    def forget(self, names: Iterable[str]) -> None:
        """The next look reads ``names`` again (signatures and unreachability)."""
        for name in names:
            self._signatures.pop(name, None)
            self._unreachable.pop(name, None)

    def failed_status(self, name: str, node: str | None) -> AssetStatus | None:
        """``failed`` with the store's error when ``name`` could not be read, else None."""
        error = self._unreachable.get(name)
        if error is None:
            return None
        reason = Reason(ReasonKind.UNREACHABLE, {"error": error.message})
        return AssetStatus(name, Status.FAILED, reason, node=node)
