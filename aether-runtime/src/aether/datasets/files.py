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
import hashlib
import io
import logging
import os
import posixpath
import re
import stat
from typing import IO, TYPE_CHECKING, Any, cast

from aether.configuration import durability
from aether.datasets import file_hashes
from aether.datasets.base import AbstractDataSet, Staged
from aether.datasets.remote import (
    LOOK_DEADLINE_SECONDS,
    S3FS_TRIES,
    endpoint_of,
    object_signature,
    publish_object,
    remove_staged_objects,
    reported_remote_errors,
    require_filesystem,
    resolve_filepath,
    stage_object,
    staged_copy_name,
    storage_options,
    within_deadline,
)
from aether.errors import CatalogError, DataSetError
from aether.support.redaction import redact, redact_url

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from aether.datasets.versions import VersionPolicy

logger = logging.getLogger("aether.datasets")

# An output last recorded at most this large is rendered in memory first: when it holds the
# bytes already in place, no file is created, written, read back or removed (its data frame
# is in memory already; the bytes are a fraction of it). Rendering stops at twice that (the
# output grew): it is then written to a file as usual.
IN_MEMORY_STAGING_MAX_BYTES = 64 * 1024**2
# Keys of load/save args whose values may hold secrets (pandas' storage_options, tokens...).
_SECRET_ARG = re.compile(r"storage_options|credential|password|passwd|secret|token", re.I)


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
        credentials: For remote paths, the filesystem's `storage_options` (local files use
            the OS directly); for S3 `{key, secret, token, endpoint_url, region}`. Never
            shown by `describe()` or `repr()`.
        fs_args: More arguments for `fsspec.filesystem()` (they win over `credentials`);
            only their keys are shown.
        metadata: Free-form information about the dataset, kept as `metadata`.

    Attributes:
        DEFAULT_LOAD_ARGS: The reader's default keyword arguments (a subclass sets them).
        DEFAULT_SAVE_ARGS: The writer's default keyword arguments (a subclass sets them).
        metadata: Free-form information about the dataset, from the constructor.
        versioned: `versioned:` of its catalog entry (every save kept, or the newest
            `keep`), set by the catalog; None keeps only the newest.
        pinned_version: The version a run reads instead of the newest
            (`--load-version NAME=ID`), or None.

    Raises:
        CatalogError: `filepath` is missing or empty, or the filesystem package for its
            protocol (s3fs, gcsfs, adlfs) is not installed.

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
        if not self._is_local:
            require_filesystem(self._protocol, f"{type(self).__name__} ({self.location})")
        self._load_args = {**self.DEFAULT_LOAD_ARGS, **(load_args or {})}
        self._save_args = {**self.DEFAULT_SAVE_ARGS, **(save_args or {})}
        self._credentials = dict(credentials or {})
        self._fs_args = dict(fs_args or {})
        if not self._is_local:
            self._storage_options()  # refuses arguments the filesystem would reject at save
        self.metadata = dict(metadata or {})
        self._fs: AbstractFileSystem | None = None
        # (signature, content hash) of the last version we wrote or hashed.
        self._known_hash: tuple[dict[str, Any], str | None] | None = None
        # `versioned:` of the entry (set by the catalog), the version a run reads instead of
        # the newest (`--load-version`), and the content hash of what it read.
        self.versioned: VersionPolicy | None = None
        self.pinned_version: str | None = None
        self._pinned_hash: str | None = None

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
    def content_hash_is_costly(self) -> bool:
        """True for a remote file: hashing it means downloading it."""
        return not self._is_local

    @property
    def _is_local(self) -> bool:
        return self._protocol == "file"

    def _storage_options(self) -> dict[str, Any]:
        return storage_options(self._protocol, self._credentials, self._fs_args)

    def filesystem(self) -> AbstractFileSystem:
        """The fsspec filesystem of a remote file (built on first use, with its credentials)."""
        return self._filesystem()

    def _filesystem(self) -> AbstractFileSystem:
        if self._fs is None:
            import fsspec

            self._fs = fsspec.filesystem(self._protocol, **self._storage_options())
            if self._protocol in ("s3", "s3a"):
                self._fs.retries = S3FS_TRIES  # botocore retries already (S3_DEFAULT_CONFIG)
        return self._fs

    def _remote_errors(
        self, verb: str, *, missing_passes: bool = True
    ) -> contextlib.AbstractContextManager[None]:
        endpoint = endpoint_of(self._protocol, self._storage_options())
        return reported_remote_errors(
            self.name, self.location, endpoint, verb, missing_passes=missing_passes
        )

    # -- the AbstractDataSet contract ---------------------------------------------------

    def _load(self) -> Any:
        if self.pinned_version is not None:
            return self._load_version(self.pinned_version)
        try:
            if self._is_local:
                return self._read(self._path)
            with self._remote_errors("load"), self._filesystem().open(self._path, "rb") as file:
                return self._read(file)
        except Exception:
            # Readers report a missing file in many ways (FileNotFoundError, ValueError...);
            # only a probe tells, and it is paid on the error path only.
            if self._is_missing():
                raise self._missing_error() from None
            raise

    def _load_version(self, version: str) -> Any:
        """Read version ``version`` (a versioned dataset's copy made by that run), and
        remember its content hash: a run records what its nodes actually read."""
        from aether.datasets.versions import Versions

        versions = Versions(self)
        path = versions.path_of(version)
        try:
            if self._is_local:
                with open(path, "rb") as file:
                    self._pinned_hash = file_hashes.sha256(file)
                return self._read(path)
            with self._remote_errors("load"):
                with self._filesystem().open(path, "rb") as file:
                    self._pinned_hash = file_hashes.sha256(file)
                with self._filesystem().open(path, "rb") as file:
                    return self._read(file)
        except FileNotFoundError:
            raise versions.missing_error(version) from None

    def loaded_version(self) -> str | None:
        """The content hash of the pinned version last read (a run records what its nodes
        actually read); None when the newest is read (the run's look already knows it)."""
        return self._pinned_hash if self.pinned_version is not None else None

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
        with self._remote_errors("look up"):
            fs = self._filesystem()
            fs.invalidate_cache(self._path)  # listings are cached; we must see outside changes
            return bool(within_deadline(lambda: fs.exists(self._path), LOOK_DEADLINE_SECONDS))

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
                if not stat.S_ISREG(found.st_mode):
                    # Hashing a FIFO would block forever; a device is no dataset; a directory
                    # cannot be opened as one file.
                    raise self._not_a_file_error(found.st_mode)
                return file_hashes.local_signature(found)
            with self._remote_errors("read the signature of"):
                return object_signature(self._filesystem(), self._path)
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
            with self._remote_errors("hash"), self._filesystem().open(self._path, "rb") as file:
                return file_hashes.sha256(file)
        except FileNotFoundError:
            return None
        except OSError as exc:  # unreadable, or replaced by a directory since the stat
            raise DataSetError(
                f"Cannot read dataset '{self.name}' at {self.location}: "
                f"{redact(exc.strerror or str(exc))}",
                hint="check that the file is readable by this user",
            ) from None

    def _not_a_file_error(self, mode: int) -> DataSetError:
        if stat.S_ISDIR(mode):
            return DataSetError(
                f"Dataset '{self.name}' at {self.location} is a directory, not a file",
                hint="point `filepath:` at a file (e.g. inside that directory), or move the "
                "directory away",
            )
        return DataSetError(
            f"Dataset '{self.name}' at {self.location} is not a regular file "
            "(a FIFO, device or socket)",
            hint="point `filepath:` at a regular file (e.g. under data/)",
        )

    # -- staging hooks: write a complete temporary sibling, then rename it into place ----

    def _stage(self, data: Any) -> Staged:
        self._validate(data)
        return self._stage_local(data) if self._is_local else self._stage_remote(data)

    def _publish(self, staged: Staged) -> None:
        if self._is_local:
            _keep_permissions(staged.target, staged.temporary)
            os.replace(staged.temporary, staged.target)
            durability.sync_directory(os.path.dirname(staged.target))
            published = staged.signature
        else:
            with self._remote_errors("publish", missing_passes=False):
                published = publish_object(self._filesystem(), staged)
        if staged.target == self._path and published is not None:
            # The hash taken while writing stays true as long as the signature holds (a local
            # rename keeps size, mtime and inode; a remote copy gets a signature of its own).
            self._known_hash = (published, staged.content_hash)
        else:
            self._known_hash = None

    def _discard(self, staged: Staged) -> None:
        if staged.temporary == staged.target:  # nothing was written aside (see _stage_local)
            return
        if self._is_local:
            _remove_quietly(staged.temporary)
        else:
            with contextlib.suppress(FileNotFoundError), self._remote_errors("clean up"):
                self._filesystem().rm(staged.temporary)

    def _remove_abandoned_stages(self) -> int:
        if self._is_local:  # the engine cleans local folders itself
            return 0
        with self._remote_errors("clean the staged copies of"):
            return remove_staged_objects(self._filesystem(), self._path)

    def _is_staged(self, staged: Staged) -> bool:
        if self._is_local:
            return os.path.isfile(staged.temporary)
        with self._remote_errors("find the staged copy of"):
            fs = self._filesystem()
            fs.invalidate_cache(staged.temporary)
            return bool(fs.exists(staged.temporary))

    def _stage_local(self, data: Any) -> Staged:
        rendered = self._rendered_if_small(data)
        if rendered is not None and self.last_recorded is not None:
            recorded_signature, recorded_version = self.last_recorded
            same = rendered.content_hash() == recorded_version
            held = self._holds(rendered) if same else None
            if held is not None and self.signature() == recorded_signature:
                # The very bytes the file holds (compared, not taken on its signature's word:
                # an edit can keep size, mtime and inode): nothing is written aside. The
                # publish leaves the file in place if its signature and status-change time
                # still hold (and fails the node if not: the file changed while it ran).
                return Staged(
                    self._path, self._path, dict(recorded_signature), recorded_version, held
                )
        directory, name = os.path.split(self._path)
        os.makedirs(directory, exist_ok=True)
        temporary = os.path.join(directory, staged_copy_name(name))
        try:
            if rendered is None:
                self._write(data, temporary)
                signature, digest = file_hashes.sync_and_hash(temporary)
            else:
                with open(temporary, "wb") as file:
                    file.writelines(rendered.chunks)
                    durability.sync_file(file.fileno())
                    found = os.fstat(file.fileno())
                signature, digest = file_hashes.local_signature(found), rendered.content_hash()
        except BaseException:
            _remove_quietly(temporary)
            raise
        return Staged(temporary, self._path, signature, digest)

    def _holds(self, rendered: _Rendered) -> int | None:
        """The file's status-change time if the local file holds exactly the ``rendered``
        bytes, and held still while they were compared; None otherwise (a symlink never
        holds them: kept, it would leave the output pointing wherever the link points,
        perhaps outside the project; the rename of a copy written aside replaces it)."""
        try:
            descriptor = os.open(self._path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with open(descriptor, "rb") as file:
                before = os.fstat(file.fileno()).st_ctime_ns
                for chunk in rendered.chunks:
                    if file.read(len(chunk)) != chunk:
                        return None
                if file.read(1) != b"" or os.fstat(file.fileno()).st_ctime_ns != before:
                    return None
                return before
        except OSError:
            return None

    def _rendered_if_small(self, data: Any) -> _Rendered | None:
        """The bytes ``_write`` makes of ``data``, rendered in memory, when the output was
        at most `IN_MEMORY_STAGING_MAX_BYTES` when last recorded (so probably is again) and
        ``_write`` is a built-in one; None otherwise, or when it fails on a file object."""
        recorded = self.last_recorded
        size = recorded[0].get("size") if recorded is not None else None
        if not isinstance(size, int) or size > IN_MEMORY_STAGING_MAX_BYTES:
            return None
        if not self._write.__module__.startswith("aether.datasets."):
            # Only the built-in writers are known to write a file object byte for byte as
            # they write a path (tested); a custom one writes its files as it always has.
            return None
        rendered = _Rendered(2 * IN_MEMORY_STAGING_MAX_BYTES)
        try:
            self._write(data, cast("IO[bytes]", rendered))  # a binary file, as writers see it
        except Exception:  # too large, or paths only: the ordinary path writes it (or fails)
            return None
        return rendered

    def _stage_remote(self, data: Any) -> Staged:
        directory, name = posixpath.split(self._path)
        temporary = posixpath.join(directory, staged_copy_name(name))
        # What a failed run could not remove (the endpoint went away mid-upload): gone
        # before the next copy is staged. Best effort: the save itself reports a dead
        # endpoint better.
        with contextlib.suppress(Exception):
            remove_staged_objects(self._filesystem(), self._path)
        with self._remote_errors("save", missing_passes=False):
            digest = stage_object(self._filesystem(), temporary, lambda f: self._write(data, f))
        return Staged(temporary, self._path, None, digest)

    def _is_missing(self) -> bool:
        try:
            return not self._exists()
        except Exception:
            return False  # cannot tell: the reader's own error is the better report

    def _missing_error(self) -> DataSetError:
        where = self.location
        if not self._is_local:
            where += f" (endpoint {endpoint_of(self._protocol, self._storage_options())})"
        return DataSetError(
            f"Dataset '{self.name}' ({type(self).__name__}) has no file at {where}",
            hint="is it produced by a node that has not run yet? `aether status` shows "
            "what is missing; otherwise fix `filepath:` in the catalog",
        )


class _Rendered(io.RawIOBase):
    """A write-only binary file in memory: the chunks as written (never copied into one
    growing buffer: for tens of MB that is a copy per growth), hashed as they come, and
    refused past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self._digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if self.size + len(chunk) > self.limit:
            raise OverflowError("larger than an output rendered in memory may be")
        self._digest.update(chunk)
        self.chunks.append(chunk)
        self.size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.size

    def content_hash(self) -> str:
        """`"sha256:<hex>"` of everything written (as `file_hashes.sha256` gives a file)."""
        return f"sha256:{self._digest.hexdigest()}"


def _keep_permissions(target: str, replacement: str) -> None:
    """Give ``replacement`` the permission bits of the file it replaces: a rename puts a new
    file in place, and an output someone restricted (chmod 640) must not come back
    readable by everyone."""
    try:
        mode = stat.S_IMODE(os.stat(target, follow_symlinks=False).st_mode)
    except OSError:  # nothing there yet (or a link): the new file keeps its own
        return
    if stat.S_IMODE(os.stat(replacement).st_mode) != mode:
        os.chmod(replacement, mode)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _redact(args: dict[str, Any]) -> dict[str, Any]:
    return {key: "***" if _SECRET_ARG.search(key) else value for key, value in args.items()}
