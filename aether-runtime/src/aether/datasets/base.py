"""The dataset contract: what every dataset in the catalog implements.

Subclasses implement four small methods; the public ones wrap them with logging, timing and
errors that name the dataset. Nothing here rewrites subclasses: ``load()`` simply calls
``_load()``.

Example::

    class TextDataSet(AbstractDataSet):
        def __init__(self, filepath: str) -> None:
            self._path = Path(filepath)

        def _load(self) -> str:
            return self._path.read_text()

        def _save(self, data: str) -> None:
            write_atomically(self._path, data.encode())

        def _exists(self) -> bool:
            return self._path.exists()

        def _describe(self) -> dict[str, Any]:
            return {"filepath": str(self._path)}
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from typing import Any

from aether.errors import AetherError, DataSetError

logger = logging.getLogger("aether.datasets")


class AbstractDataSet(ABC):
    """Base class of every dataset. ``name`` is set by the catalog."""

    name: str = "<unnamed>"

    # Optional: the physical signature used by the staleness engine to notice outside
    # changes cheaply (size, mtime_ns, inode for files; ETag for object stores). None means
    # "cannot tell cheaply" and makes the engine rely on content versions only.
    def signature(self) -> dict[str, Any] | None:
        return None

    # Optional: a hash of the stored content (e.g. "sha256:..."), or None when unknown or too
    # large to hash. File datasets compute it while writing and cache it by signature.
    def content_hash(self) -> str | None:
        return None

    @abstractmethod
    def _load(self) -> Any: ...

    @abstractmethod
    def _save(self, data: Any) -> None: ...

    @abstractmethod
    def _exists(self) -> bool: ...

    @abstractmethod
    def _describe(self) -> dict[str, Any]: ...

    def load(self) -> Any:
        """Return the dataset's data."""
        started = time.perf_counter()
        try:
            data = self._load()
        except AetherError:
            raise
        except Exception as exc:
            raise DataSetError(
                f"Failed to load dataset '{self.name}' ({type(self).__name__}): {_short(exc)}",
                hint="check that it exists and is readable: `aether catalog describe "
                f"{self.name}` shows where it lives",
            ) from exc
        logger.debug("loaded %s in %.3fs", self.name, time.perf_counter() - started)
        return data

    def save(self, data: Any) -> None:
        """Store ``data``; file datasets publish atomically (temporary path, then rename)."""
        started = time.perf_counter()
        try:
            self._save(data)
        except AetherError:
            raise
        except Exception as exc:
            raise DataSetError(
                f"Failed to save dataset '{self.name}' ({type(self).__name__}): {_short(exc)}",
                hint="check the data type the node returns and that the location is writable",
            ) from exc
        logger.debug("saved %s in %.3fs", self.name, time.perf_counter() - started)

    def exists(self) -> bool:
        """Whether the data is there."""
        try:
            return bool(self._exists())
        except AetherError:
            raise
        except Exception as exc:
            raise DataSetError(
                f"Failed to check whether dataset '{self.name}' exists: {_short(exc)}",
                hint="check the location and credentials in the catalog entry",
            ) from exc

    def describe(self) -> dict[str, Any]:
        """A dict for display. Implementations must never include credentials."""
        return {"type": type(self).__name__, **self._describe()}

    def __repr__(self) -> str:
        details = ", ".join(f"{k}={v!r}" for k, v in self._describe().items())
        return f"{type(self).__name__}({details})"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
