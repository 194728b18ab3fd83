"""The dataset contract: what every dataset in the catalog implements.

Subclasses implement four small methods; the public ones wrap them with logging, timing and
errors that name the dataset. Nothing here rewrites subclasses: `load()` simply calls
`_load()`.

Example:
    ```python
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
    ```

Optional staging hooks let a node's outputs be published together or not at all: a dataset
that implements `_stage`/`_publish`/`_discard`/`_is_staged` is written aside first and
renamed into place only once every output of the node is ready. A dataset without them is
saved with `_save` after the others are staged, and is not atomic with them.
"""

from __future__ import annotations

import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.errors import AetherError, DataSetError

logger = logging.getLogger("aether.datasets")
_SAVE_HINT = "check the data type the node returns and that the location is writable"


@dataclass(frozen=True)
class Staged:
    """An output written aside, complete, waiting to be published under its real name.

    Plain JSON-able values only: it goes into the state store's publish journal so a run
    killed between two publishes can finish them.

    Attributes:
        temporary: Where the complete copy was written (a hidden sibling of `target`).
        target: The location it is published to (renamed into place).
        signature: The staged copy's signature, when known (a rename keeps it).
        content_hash: The staged copy's content hash, when known (a rename keeps it).
        change_time_ns: For an output left in place (`temporary` is `target`): the file's
            status-change time when its bytes were compared. Unlike the modification time
            no one can set it back, so a same-size rewrite with its mtime restored
            (`touch -r`) is still seen before the file is recorded as the node's output.
    """

    temporary: str
    target: str
    signature: dict[str, Any] | None = field(default=None, compare=False)
    content_hash: str | None = field(default=None, compare=False)
    change_time_ns: int | None = field(default=None, compare=False)


class AbstractDataSet(ABC):
    """Base class of every dataset: subclasses implement the four underscored methods.

    The contract a subclass fulfils (the public `load()`, `save()`, `exists()` and
    `describe()` wrap these with logging, timing and errors that name the dataset):

    - `_load() -> Any`: read and return the data;
    - `_save(data) -> None`: store `data`; atomically for files (write aside, then rename);
    - `_exists() -> bool`: whether the data is there;
    - `_describe() -> dict`: what to show about it, never any secret.

    `signature()` and `content_hash()` are optional hooks that let the staleness engine notice
    changes made outside Aether; a dataset with neither is trusted on Aether's own record.
    For a file, subclass [`AbstractFileDataSet`][aether.datasets.files.AbstractFileDataSet]
    instead: it implements all of this around two hooks, `_read` and `_write`.

    Attributes:
        name: The dataset's name in the catalog, set by the catalog.
        owner: Who writes it: 8 hex digits of the project's folder and the entry's name, set
            by the catalog. Staged copies carry it, so a project only ever cleans up its own
            (another project may be staging into the same database).
        write_key: Set by the run before a node's outputs are saved: the node's
            fingerprint. The same key writing again is the same write (a retry after a
            kill), which an appending dataset must not apply twice.
        read_only: True for data Aether only reads (a SQL query, an API): such a dataset is
            refused as a node output before a run starts, and its `save()` raises.
        last_recorded: Set by the run before a node's outputs are staged: the data as the
            state last recorded it (signature, content hash), or None. A file dataset does
            not write a small output again when it would hold those very bytes.
    """

    name: str = "<unnamed>"
    owner: str = "00000000"
    write_key: str | None = None
    read_only: bool = False
    last_recorded: tuple[Mapping[str, Any], str] | None = None

    def signature(self) -> dict[str, Any] | None:
        """The physical identity of the stored data, cheap to read (optional hook).

        The staleness engine compares it with the last one it recorded to notice changes
        made outside Aether: size, `mtime_ns` and inode for files, an ETag or a table version
        elsewhere.

        Returns:
            A JSON-able dict, or None (the default) when it cannot be told cheaply; the
                engine then relies on content hashes and its own record.
        """
        return None

    def content_hash(self) -> str | None:
        """A hash of the stored content, such as `"sha256:<hex>"` (optional hook).

        Returns:
            The hash, or None (the default) when unknown or too large to compute. File
                datasets compute it while writing and cache it against the signature.
        """
        return None

    @property
    def content_hash_is_costly(self) -> bool:
        """Whether `content_hash()` must read all of the data over the network (optional hook).

        True for a database table, an API response or a remote object: `aether status` then
        never calls `content_hash()`; it judges by `signature()` alone and, where there is no
        signature either, shows the last observation and says so. `aether run` and
        `aether reconcile` re-observe such data at their start. False (the default) for data
        that is cheap to hash, such as a local file.
        """
        return False

    # Optional staging hooks (all four, or none). ``_stage`` writes the data aside and
    # returns where; None (the default) means "cannot stage": the dataset is then saved with
    # ``_save``, after every stageable output of the node is staged. ``_publish`` must be
    # a single atomic step (a rename); ``_is_staged`` tells whether it is still to be done.
    def _stage(self, data: Any) -> Staged | None:
        return None

    def _publish(self, staged: Staged) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot stage")

    def _discard(self, staged: Staged) -> None:  # noqa: B027 - nothing staged by default
        """Remove the staged copy; quietly if it is already gone."""

    def _is_staged(self, staged: Staged) -> bool:
        return False

    def _remove_abandoned_stages(self) -> int:
        """Remove the staged copies a killed run left behind; how many (optional hook).

        Called under the project lock for the outputs of a node whose run was killed, once
        every journaled publish is finished: no staged copy is still to be published then.
        Local files are cleaned by the engine itself.
        """
        return 0

    @abstractmethod
    def _load(self) -> Any: ...

    @abstractmethod
    def _save(self, data: Any) -> None: ...

    @abstractmethod
    def _exists(self) -> bool: ...

    @abstractmethod
    def _describe(self) -> dict[str, Any]: ...

    def load(self) -> Any:
        """Return the dataset's data.

        Raises:
            DataSetError: The implementation failed; the message names the dataset.
        """
        started = time.perf_counter()
        hint = f"check that it exists and is readable: `aether catalog describe {self.name}` "
        with self._reported("load", hint + "shows where it lives"):
            data = self._load()
        logger.debug("loaded %s in %.3fs", self.name, time.perf_counter() - started)
        return data

    def loaded_version(self) -> str | None:
        """The version of what the last `load()` read, in the form `content_hash()` gives,
        when the dataset knows it without reading again (optional hook; None: unknown).

        The run compares it with the version the node's fingerprint records: data that
        changed between the look at the start of the run and the read is then recorded as
        what was actually read, so a later look never calls the output fresh.
        """
        return None

    def save(self, data: Any) -> None:
        """Store `data`; file datasets publish atomically (temporary path, then rename).

        Args:
            data: What to store, of the type the dataset handles (a DataFrame for pandas).

        Raises:
            DataSetError: The implementation failed; the message names the dataset.
        """
        self._refuse_if_read_only()
        started = time.perf_counter()
        with self._reported("save", _SAVE_HINT):
            self._save(data)
        logger.debug("saved %s in %.3fs", self.name, time.perf_counter() - started)

    def stage(self, data: Any) -> Staged | None:
        """Write `data` aside, complete, without replacing the current version.

        Args:
            data: What to store, as for `save()`.

        Returns:
            Where the copy was written, for `publish()` or `discard()`; None when the
                dataset cannot stage: call `save()` instead.
        """
        self._refuse_if_read_only()
        with self._reported("save", _SAVE_HINT):
            return self._stage(data)

    def publish(self, staged: Staged) -> None:
        """Put a staged copy in place of the current version, in one atomic step.

        Args:
            staged: What `stage()` returned.
        """
        with self._reported(
            "publish", "check that the location is writable; the next run finishes or redoes it"
        ):
            self._publish(staged)

    def discard(self, staged: Staged) -> None:
        """Remove a staged copy that will not be published (never raises).

        Args:
            staged: What `stage()` returned.
        """
        try:
            self._discard(staged)
        except Exception as exc:  # cleanup must not hide the error that caused it
            logger.warning("could not remove the staged copy of %s: %s", self.name, _short(exc))

    def is_staged(self, staged: Staged) -> bool:
        """Whether `staged` is still waiting to be published.

        Args:
            staged: What `stage()` returned (possibly by a run that was killed).
        """
        try:
            return bool(self._is_staged(staged))
        except Exception as exc:
            raise DataSetError(
                f"Cannot tell whether dataset '{self.name}' has a staged copy: {_short(exc)}",
                hint="check the location and credentials in the catalog entry",
            ) from exc

    def exists(self) -> bool:
        """Whether the data is there.

        Raises:
            DataSetError: The implementation could not tell (unreachable, no access).
        """
        try:
            return bool(self._exists())
        except AetherError:
            raise
        except Exception as exc:
            raise DataSetError(
                f"Failed to check whether dataset '{self.name}' exists: {_short(exc)}",
                hint="check the location and credentials in the catalog entry",
            ) from exc

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise DataSetError(
                f"Dataset '{self.name}' ({type(self).__name__}) is read-only: it cannot be saved",
                hint="write the data to a dataset that can be written (a table or a file)",
            )

    @contextlib.contextmanager
    def _reported(self, verb: str, hint: str) -> Iterator[None]:
        """Turn an implementation's own exception into a DataSetError naming this dataset."""
        try:
            yield
        except AetherError:
            raise
        except Exception as exc:
            raise DataSetError(
                f"Failed to {verb} dataset '{self.name}' ({type(self).__name__}): {_short(exc)}",
                hint=hint,
            ) from exc

    def written_identity(self, fallback_version: str) -> tuple[dict[str, Any] | None, str]:
        """The signature and version of the data just written, for the state to record.

        Args:
            fallback_version: The version when the dataset offers no content hash.

        Raises:
            DataSetError: `signature()` or `content_hash()` raised (a custom dataset's bug).
        """
        with self._reported(
            "observe",
            "its signature() or content_hash() raised: fix that method of the dataset's class",
        ):
            return self.signature(), self.content_hash() or fallback_version

    def describe(self) -> dict[str, Any]:
        """What to show about the dataset: its type and what `_describe()` returns.

        Implementations must never include credentials.
        """
        return {"type": type(self).__name__, **self._describe()}

    def __repr__(self) -> str:
        details = ", ".join(f"{k}={v!r}" for k, v in self._describe().items())
        return f"{type(self).__name__}({details})"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
