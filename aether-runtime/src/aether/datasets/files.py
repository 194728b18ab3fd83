"""What every file-backed dataset shares: paths, fsspec, atomic saves, signatures, hashes.

A file dataset subclasses `AbstractFileDataSet` and implements two hooks:

- `_read(source)` returns the data from `source`;
- `_write(data, target)` writes `data` to `target`;

where `source`/`target` is a local path (`str`) for local files, so pandas and pyarrow
use their fast native I/O, or an open binary file for remote filesystems. pandas readers and
writers accept either; `binary_stream` turns both into a file for the others.

The base class does the rest: the save goes to a temporary sibling (`.<name>.tmp-<random>`)
that is renamed into place only once complete, so a crash never leaves a half-written file
under the real name (the two steps are also the staging hooks `_stage` and `_publish`, so
all outputs of a node are renamed into place together); the content hash of a local file is
computed right after writing and cached against the file's signature, so the staleness engine
never rereads what we just wrote.

Example:
    ```python
    class TextDataSet(AbstractFileDataSet):
        def _read(self, source):
            with binary_stream(source, "rb") as file:
                return file.read().decode()

        def _write(self, data, target):
            with binary_stream(target, "wb") as file:
                file.write(data.encode())
    ```

    ```yaml
    notes:
      type: my_project.datasets.TextDataSet
      filepath: data/01_raw/notes.txt
    ```
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import re
import secrets
import stat
from typing import IO, TYPE_CHECKING, Any
from urllib.request import url2pathname

from aether import durability
from aether.datasets import file_hashes
from aether.datasets.base import AbstractDataSet, Staged
from aether.datasets.remote import open_for_writing, remote_signature
from aether.errors import CatalogError, DataSetError
from aether.redaction import redact, redact_url

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

logger = logging.getLogger("aether.datasets")

_LOCAL_PROTOCOLS = ("file", "local")
# Keys of load/save args whose values may hold secrets (pandas' storage_options, tokens...).
_SECRET_ARG = re.compile(r"storage_options|credential|password|passwd|secret|token", re.I)


def resolve_filepath(filepath: str) -> tuple[str, str]:
    """Split ``filepath`` into ``(protocol, path)``; local paths become absolute.

    ``"data/x.csv"`` and ``"file:///srv/x.csv"`` give ``("file", "/abs/data/x.csv")`` and
    ``("file", "/srv/x.csv")``; ``"s3://bucket/x.csv"`` gives ``("s3", "bucket/x.csv")``.
    """
    filepath = os.fspath(filepath)
    if "://" not in filepath:
        # Plain local path: skip importing fsspec, which costs ~0.1 s on a cold start.
        return "file", os.path.abspath(filepath)
    from fsspec.core import split_protocol

    protocol, path = split_protocol(filepath)
    if protocol is None or protocol in _LOCAL_PROTOCOLS:
        return "file", os.path.abspath(url2pathname(path))
    return protocol, path


def binary_stream(
    target: str | IO[bytes], mode: str
) -> contextlib.AbstractContextManager[IO[bytes]]:
    """Open ``target`` in binary ``mode`` if it is a path; pass an open file through as is."""
    if isinstance(target, str):
        return open(target, mode)  # closed by the caller's `with`
    return contextlib.nullcontext(target)


class AbstractFileDataSet(AbstractDataSet):
    """Base of datasets stored as one file, locally or on any fsspec filesystem.

    Subclasses set `DEFAULT_LOAD_ARGS`/`DEFAULT_SAVE_ARGS` (user arguments override them
    key by key) and implement two hooks: `_read(source)` returns the data and
    `_write(data, target)` writes it, where `source`/`target` is a local path (`str`) or an
    open binary file on a remote filesystem (`binary_stream()` turns both into a file). The
    base class makes every save atomic (a temporary sibling renamed into place) and
    provides `signature()` and `content_hash()`.

    Args:
        filepath: A local path (relative to the project in catalog.yml) or a URL such as
            `s3://bucket/key.parquet`.
        load_args: Keyword arguments for the reader, merged over `DEFAULT_LOAD_ARGS`.
        save_args: Keyword arguments for the writer, merged over `DEFAULT_SAVE_ARGS`.
        credentials: Passed to `fsspec.filesystem(protocol, ...)` for remote paths (local
            files use the OS directly); never shown by `describe()` or `repr()`.
        fs_args: More arguments for `fsspec.filesystem()`; only their keys are shown.
        metadata: Free-form information about the dataset, kept as `metadata`.

    Attributes:
        DEFAULT_LOAD_ARGS: The reader's default keyword arguments (a subclass sets them).
        DEFAULT_SAVE_ARGS: The writer's default keyword arguments (a subclass sets them).
        metadata: Free-form information about the dataset, from the constructor.

    Raises:
        CatalogError: `filepath` is missing or empty.

    Example:
        ```yaml
        orders_copy:
          type: PandasParquetDataSet
          filepath: s3://reports/orders.parquet
          credentials: s3_reports          # a key in conf/local/credentials.yml
          fs_args: {client_kwargs: {region_name: eu-west-1}}
        ```
    """

    DEFAULT_LOAD_ARGS: dict[str, Any] = {}
    DEFAULT_SAVE_ARGS: dict[str, Any] = {}

    def __init__(
        self,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(filepath, (str, os.PathLike)) or not os.fspath(filepath):
            raise CatalogError(
                f"{type(self).__name__} needs a non-empty 'filepath', got {filepath!r}",
                hint="set `filepath:` in the catalog entry, e.g. data/01_raw/orders.csv",
            )
        self._protocol, self._path = resolve_filepath(os.fspath(filepath))
        self._load_args = {**self.DEFAULT_LOAD_ARGS, **(load_args or {})}
        self._save_args = {**self.DEFAULT_SAVE_ARGS, **(save_args or {})}
        self._credentials = dict(credentials or {})
        self._fs_args = dict(fs_args or {})
        self.metadata = dict(metadata or {})
        self._fs: AbstractFileSystem | None = None
        # (signature, content hash) of the last version we wrote or hashed.
        self._known_hash: tuple[dict[str, Any], str | None] | None = None

    # -- hooks for subclasses -----------------------------------------------------------

    def _read(self, source: str | IO[bytes]) -> Any:
        raise NotImplementedError

    def _write(self, data: Any, target: str | IO[bytes]) -> None:
        raise NotImplementedError

    def _validate(self, data: Any) -> None:
        """Raise DataSetError for data this dataset cannot store, before touching any file."""

    # -- properties ---------------------------------------------------------------------

    @property
    def filepath(self) -> str:
        """The full location: an absolute local path, or `protocol://path`."""
        return self._path if self._is_local else f"{self._protocol}://{self._path}"

    @property
    def location(self) -> str:
        """The file path for messages and display: any password in a URL masked."""
        return redact_url(self.filepath)

    @property
    def local_path(self) -> str | None:
        """The absolute path of a local file; None for a remote one."""
        return self._path if self._is_local else None

    @property
    def _is_local(self) -> bool:
        return self._protocol == "file"

    def _filesystem(self) -> AbstractFileSystem:
        if self._fs is None:
            import fsspec

            self._fs = fsspec.filesystem(self._protocol, **self._fs_args, **self._credentials)
        return self._fs

    # -- the AbstractDataSet contract ---------------------------------------------------

    def _load(self) -> Any:
        try:
            if self._is_local:
                return self._read(self._path)
            with self._filesystem().open(self._path, "rb") as file:
                return self._read(file)
        except Exception:
            # Readers report a missing file in many ways (FileNotFoundError, ValueError...);
            # only a probe tells, and it is paid on the error path only.
            if self._is_missing():
                raise self._missing_error() from None
            raise

    def _save(self, data: Any) -> None:
        staged = self._stage(data)
        try:
            self._publish(staged)
        except BaseException:
            self._discard(staged)
            raise

    def _exists(self) -> bool:
        if self._is_local:
            return os.path.isfile(self._path)
        fs = self._filesystem()
        fs.invalidate_cache(self._path)  # listings are cached; we must see outside changes
        return bool(fs.exists(self._path))

    def _describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "filepath": self.location,
            "load_args": _redact(self._load_args),
            "save_args": _redact(self._save_args),
        }
        if self._fs_args:
            described["fs_args"] = sorted(self._fs_args)  # keys only: values may be secrets
        return described

    # -- signature and content hash -----------------------------------------------------

    def signature(self) -> dict[str, Any] | None:
        """The file's signature: `{size, mtime_ns, inode}` locally, `{size, etag...}` remotely.

        Returns:
            The signature, or None when the file does not exist.

        Raises:
            DataSetError: The location is not a regular file, or cannot be reached.
        """
        try:
            if self._is_local:
                found = os.stat(self._path)
                if not (stat.S_ISREG(found.st_mode) or stat.S_ISDIR(found.st_mode)):
                    # Hashing a FIFO would block forever; a device is no dataset.
                    raise DataSetError(
                        f"Dataset '{self.name}' at {self.location} is not a regular file "
                        "(a FIFO, device or socket)",
                        hint="point `filepath:` at a regular file (e.g. under data/)",
                    )
                return file_hashes.local_signature(found)
            fs = self._filesystem()
            fs.invalidate_cache(self._path)
            return remote_signature(fs.info(self._path))
        except (FileNotFoundError, NotADirectoryError):  # a file where a folder should be
            return None
        except DataSetError:
            raise
        except Exception as exc:
            raise DataSetError(
                f"Cannot read the signature of dataset '{self.name}' at {self.location}: "
                f"{redact(str(exc))}",
                hint="check that the location is reachable and the credentials allow reading",
            ) from exc

    def content_hash(self) -> str | None:
        """`"sha256:<hex>"` of the stored file, or None if missing or too large to hash.

        The hash computed while saving is reused as long as the signature is unchanged, so a
        `touch` costs one rehash and an unchanged file costs one `stat`.
        """
        signature = self.signature()
        if signature is None:
            return None
        if self._known_hash is not None and self._known_hash[0] == signature:
            return self._known_hash[1]
        digest = self._hash_stored_file(signature)
        self._known_hash = (signature, digest)
        return digest

    def _hash_stored_file(self, signature: dict[str, Any]) -> str | None:
        size = signature.get("size")
        if not isinstance(size, int) or size > file_hashes.CONTENT_HASH_MAX_BYTES:
            return None
        try:
            if self._is_local:
                with open(self._path, "rb") as file:
                    return file_hashes.sha256(file)
            with self._filesystem().open(self._path, "rb") as file:
                return file_hashes.sha256(file)
        except FileNotFoundError:
            return None

    # -- atomic saves -------------------------------------------------------------------

    # -- staging hooks: write a complete temporary sibling, then rename it into place ----

    def _stage(self, data: Any) -> Staged:
        self._validate(data)
        return self._stage_local(data) if self._is_local else self._stage_remote(data)

    def _publish(self, staged: Staged) -> None:
        if self._is_local:
            os.replace(staged.temporary, staged.target)
            durability.sync_directory(os.path.dirname(staged.target))
        else:
            self._filesystem().mv(staged.temporary, staged.target)
        if staged.target == self._path and staged.signature is not None:
            # rename keeps size, mtime and inode, so the temporary's signature is the file's.
            self._known_hash = (staged.signature, staged.content_hash)
        else:
            self._known_hash = None  # hashed on demand: rereading a remote file downloads it

    def _discard(self, staged: Staged) -> None:
        if self._is_local:
            _remove_quietly(staged.temporary)
        else:
            with contextlib.suppress(FileNotFoundError):
                self._filesystem().rm(staged.temporary)

    def _is_staged(self, staged: Staged) -> bool:
        if self._is_local:
            return os.path.isfile(staged.temporary)
        fs = self._filesystem()
        fs.invalidate_cache(staged.temporary)
        return bool(fs.exists(staged.temporary))

    def _stage_local(self, data: Any) -> Staged:
        directory, name = os.path.split(self._path)
        os.makedirs(directory, exist_ok=True)
        temporary = os.path.join(directory, _temporary_name(name))
        try:
            self._write(data, temporary)
            signature, digest = file_hashes.sync_and_hash(temporary)
        except BaseException:
            _remove_quietly(temporary)
            raise
        return Staged(temporary, self._path, signature, digest)

    def _stage_remote(self, data: Any) -> Staged:
        fs = self._filesystem()
        directory, name = posixpath.split(self._path)
        temporary = posixpath.join(directory, _temporary_name(name))
        try:
            with open_for_writing(fs, temporary) as file:
                self._write(data, file)
        except BaseException:
            with contextlib.suppress(Exception):
                fs.rm(temporary)
            raise
        return Staged(temporary, self._path)

    def _is_missing(self) -> bool:
        try:
            return not self._exists()
        except Exception:
            return False  # cannot tell: the reader's own error is the better report

    def _missing_error(self) -> DataSetError:
        return DataSetError(
            f"Dataset '{self.name}' ({type(self).__name__}) has no file at {self.location}",
            hint="is it produced by a node that has not run yet? `aether status` shows "
            "what is missing; otherwise fix `filepath:` in the catalog",
        )


def _temporary_name(name: str) -> str:
    # Hidden and in the same directory: the rename stays on one filesystem (atomic), and
    # globbing for `*.csv` never picks up a file being written.
    return f".{name}.tmp-{secrets.token_hex(4)}"


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _redact(args: dict[str, Any]) -> dict[str, Any]:
    return {key: "***" if _SECRET_ARG.search(key) else value for key, value in args.items()}
