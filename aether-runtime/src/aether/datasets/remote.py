"""Files on fsspec filesystems (object stores and the like): the filesystem package a protocol
needs, credentials turned into its ``storage_options``, object signatures, errors that name
the endpoint, and a writer that hashes what it uploads so a save never downloads it again."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import posixpath
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from aether.datasets import file_hashes
from aether.datasets.base import Staged
from aether.datasets.optional import is_installed, require
from aether.errors import CatalogError, DataSetError
from aether.support.redaction import redact

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer
    from fsspec import AbstractFileSystem

_Answer = TypeVar("_Answer")

_LOCAL_PROTOCOLS = ("file", "local")
# fs.info() keys that identify a remote object's version, per filesystem family.
_REMOTE_SIGNATURE_KEYS = {
    "etag": ("ETag", "etag", "md5Hash", "content_md5"),
    "version_id": ("VersionId", "version_id", "generation"),
    "mtime": ("mtime", "LastModified", "last_modified", "updated", "created"),
}
# protocol -> (the fsspec implementation's package, the aether-data extra installing it).
_FILESYSTEM_PACKAGES: dict[str, tuple[str, str | None]] = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", None),
    "gcs": ("gcsfs", None),
    "abfs": ("adlfs", None),
    "abfss": ("adlfs", None),
    "az": ("adlfs", None),
}
# What a user writes in credentials.yml for S3 -> what s3fs.S3FileSystem takes.
_S3_CREDENTIAL_KEYS = {
    "key": "key",
    "aws_access_key_id": "key",
    "secret": "secret",
    "aws_secret_access_key": "secret",
    "token": "token",
    "aws_session_token": "token",
    "endpoint_url": "endpoint_url",
}
_S3_REGION_KEYS = ("region", "region_name")


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
        # Imported here: urllib.request brings http, ssl and email (~20 ms), which no
        # plain local path (every command's common case) needs.
        from urllib.request import url2pathname

        return "file", os.path.abspath(url2pathname(path))
    return protocol, path


def require_filesystem(protocol: str, needed_by: str) -> None:
    """Raise a CatalogError when the fsspec package for `protocol` is not installed.

    Args:
        protocol: The URL scheme, such as `"s3"`.
        needed_by: What needs it, for the message (the dataset's type and location).

    Raises:
        CatalogError: The package is missing; the hint names the extra or package.
    """
    package, extra = _FILESYSTEM_PACKAGES.get(protocol, (None, None))
    if package is None:
        return  # fsspec's own (memory, http...) or a third party's: fsspec says what it lacks
    if extra is not None:
        require(package, extra, needed_by)
    elif not is_installed(package):
        raise CatalogError(
            f"{needed_by} needs the '{package}' package for {protocol}:// paths, which is "
            "not installed",
            hint=f"install it with: uv add {package} (or pip install {package})",
        )


def storage_options(
    protocol: str, credentials: dict[str, Any], fs_args: dict[str, Any]
) -> dict[str, Any]:
    """The keyword arguments of `fsspec.filesystem(protocol, ...)`.

    For S3, `credentials: {key, secret, token, endpoint_url, region}` become s3fs's `key`,
    `secret`, `token`, `endpoint_url` and `client_kwargs.region_name`; other keys and other
    protocols pass through as written. `fs_args` come last and win, `client_kwargs` merged.
    """
    if protocol not in ("s3", "s3a"):
        return {**credentials, **fs_args}
    if "retries" in fs_args:
        raise CatalogError(
            "`fs_args: {retries: ...}` is not an argument of s3fs's filesystem",
            hint="set botocore's instead: fs_args: {config_kwargs: {retries: {max_attempts: 2}}}",
        )
    options: dict[str, Any] = {}
    client_kwargs: dict[str, Any] = {}
    for key, value in credentials.items():
        if key in _S3_REGION_KEYS:
            client_kwargs["region_name"] = value
        elif key == "client_kwargs" and isinstance(value, dict):
            client_kwargs.update(value)
        else:
            options[_S3_CREDENTIAL_KEYS.get(key, key)] = value
    given_client_kwargs = fs_args.get("client_kwargs")
    if isinstance(given_client_kwargs, dict):
        client_kwargs.update(given_client_kwargs)
    options.update({k: v for k, v in fs_args.items() if k != "client_kwargs"})
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    given_config = options.get("config_kwargs")
    # A copy each time: botocore rewrites the `retries` mapping it is given.
    options["config_kwargs"] = copy.deepcopy(
        {**S3_DEFAULT_CONFIG, **(given_config if isinstance(given_config, dict) else {})}
    )
    return options


# botocore's defaults (60 s to connect, 60 s per read, 5 attempts, and s3fs's own 5 tries
# around them) let an endpoint that accepts connections and never answers hold a run or a
# `status` for many minutes. These bound one request to about a minute and a half; an
# entry's `fs_args: {config_kwargs: {...}}` overrides them key by key.
S3_DEFAULT_CONFIG: dict[str, Any] = {
    "connect_timeout": 10,
    "read_timeout": 30,
    "retries": {"max_attempts": 3, "mode": "standard"},
}
# s3fs retries a timed-out request itself, around botocore's attempts: once is enough.
S3FS_TRIES = 1
# The longest a look at an object's signature (one HEAD) may take, whatever the client's
# retries: `aether status` answers within it per remote source, calling it unreachable.
LOOK_DEADLINE_SECONDS = 30.0


def endpoint_of(protocol: str, options: dict[str, Any]) -> str:
    """The `host:port` the filesystem talks to, for error messages (never a secret)."""
    url = options.get("endpoint_url") or options.get("client_kwargs", {}).get("endpoint_url")
    if isinstance(url, str) and url:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        port = parts.port or (80 if parts.scheme == "http" else 443)
        return f"{parts.hostname}:{port}"
    if protocol in ("s3", "s3a"):
        region = options.get("client_kwargs", {}).get("region_name")
        return f"s3.{region}.amazonaws.com:443" if region else "s3.amazonaws.com:443"
    if protocol in ("gs", "gcs"):
        return "storage.googleapis.com:443"
    if protocol in ("abfs", "abfss", "az"):
        account = options.get("account_name", "<account>")
        return f"{account}.dfs.core.windows.net:443"
    return f"the {protocol} endpoint"


@contextlib.contextmanager
def reported_remote_errors(
    dataset: str, location: str, endpoint: str, verb: str, *, missing_passes: bool = True
) -> Iterator[None]:
    """Turn a filesystem's exception into a DataSetError naming the dataset, the URL and the
    endpoint. A FileNotFoundError (no such object) passes through when `missing_passes`, for
    the caller to decide; when writing it means the bucket does not exist, and is reported."""
    try:
        yield
    except DataSetError:
        raise
    except FileNotFoundError:
        if missing_passes:
            raise
        raise DataSetError(
            f"Cannot {verb} dataset '{dataset}' at {location} (endpoint {endpoint}): "
            "the bucket (or container) does not exist",
            hint="create the bucket, or fix `filepath:` in the catalog",
        ) from None
    except Exception as exc:
        raise DataSetError(
            f"Cannot {verb} dataset '{dataset}' at {location} (endpoint {endpoint}): "
            f"{type(exc).__name__}: {_first_line(redact(str(exc)))}",
            hint="check that the endpoint is reachable, the bucket exists and the "
            "credentials in conf/local/credentials.yml allow it",
        ) from exc


def remote_signature(info: dict[str, Any]) -> dict[str, Any]:
    """Size plus whichever of etag / version id / mtime the filesystem reports."""
    signature: dict[str, Any] = {"size": info.get("size")}
    for field, candidates in _REMOTE_SIGNATURE_KEYS.items():
        for key in candidates:
            if info.get(key) is not None:
                value = info[key]
                # The state store keeps signatures as JSON: datetimes and the like as text.
                signature[field] = value if isinstance(value, (str, int, float)) else str(value)
                break
    return signature


class HashingWriter(io.RawIOBase):
    """A binary file that passes every write to `target` and hashes it on the way, so the
    content hash of an upload is known without downloading it."""

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self._target = target
        self._digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        chunk = bytes(data)
        self._target.write(chunk)
        self._digest.update(chunk)
        self.size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.size

    def content_hash(self) -> str:
        """`"sha256:<hex>"` of everything written so far."""
        return f"sha256:{self._digest.hexdigest()}"


def object_signature(fs: AbstractFileSystem, path: str) -> dict[str, Any]:
    """Size, ETag, version id, last modified of the object at `path`: one HEAD request,
    never a download.

    Raises:
        FileNotFoundError: No object there (a prefix of other objects is none either).
    """
    fs.invalidate_cache(path)  # listings are cached; we must see outside changes
    info = within_deadline(lambda: fs.info(path), LOOK_DEADLINE_SECONDS)
    if info.get("type") == "directory":
        raise FileNotFoundError(path)
    return remote_signature(info)


def within_deadline(call: Callable[[], _Answer], seconds: float) -> _Answer:
    """``call()``, or TimeoutError once ``seconds`` have passed.

    The call runs in a daemon thread: a client stuck on a socket cannot be interrupted,
    but the caller goes on (and the process can exit) without it.
    """
    answers: list[_Answer] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            answers.append(call())
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="aether-remote-look", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if errors:
        raise errors[0]
    return answers[0]


def stage_object(
    fs: AbstractFileSystem, temporary: str, write: Callable[[IO[bytes]], None]
) -> str | None:
    """Upload what `write` writes to `temporary`, hashing it on the way up; its content hash,
    or None above `CONTENT_HASH_MAX_BYTES`. Nothing is left at `temporary` on failure."""
    try:
        with open_for_writing(fs, temporary) as file:
            writer = HashingWriter(file)
            write(cast("IO[bytes]", writer))  # a binary file, as far as writers care
    except BaseException:
        with contextlib.suppress(Exception):
            fs.rm(temporary)
        raise
    return writer.content_hash() if writer.size <= file_hashes.CONTENT_HASH_MAX_BYTES else None


def publish_object(fs: AbstractFileSystem, staged: Staged) -> dict[str, Any] | None:
    """Move the staged object into place (on S3: a server-side copy, then a delete of the
    temporary); the published object's signature when its content hash is known, else None
    (no signature without a hash to pair it with)."""
    fs.mv(staged.temporary, staged.target)
    if staged.content_hash is None:
        return None
    try:
        return object_signature(fs, staged.target)
    except FileNotFoundError:  # replaced or removed by someone else meanwhile
        return None


@contextlib.contextmanager
def open_for_writing(fs: AbstractFileSystem, path: str) -> Iterator[IO[bytes]]:
    """Open ``path`` for writing, creating its folder where the filesystem has folders."""
    try:
        file = fs.open(path, "wb")
    except FileNotFoundError:
        # Only filesystems with real directories get here; object stores (S3, GCS) have no
        # directories, and creating them there could mean creating a bucket.
        fs.makedirs(posixpath.dirname(path), exist_ok=True)
        file = fs.open(path, "wb")
    with file:
        yield file


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


# The random part of every staged copy's name (files, objects, staging tables): telling it
# apart is how a leftover copy is recognised, and nothing else is ever removed.
STAGED_TOKEN = re.compile(r"[0-9a-f]{8}")


def staged_copy_name(name: str) -> str:
    """``.<name>.tmp-<8 hex>``: where a file is staged before it is renamed into place."""
    # Hidden and in the same directory: the rename stays on one filesystem (atomic), and
    # globbing for `*.csv` never picks up a file being written.
    return f".{name}.tmp-{secrets.token_hex(4)}"


def remove_staged_objects(fs: AbstractFileSystem, path: str) -> int:
    """Remove the staged copies (:func:`staged_copy_name`) a killed run left beside ``path``."""
    directory, name = posixpath.split(path)
    prefix = f".{name}.tmp-"
    fs.invalidate_cache(directory)
    try:
        found = fs.ls(directory, detail=False)
    except FileNotFoundError:
        return 0
    left = [
        entry
        for entry in found
        if (base := posixpath.basename(entry)).startswith(prefix)
        and STAGED_TOKEN.fullmatch(base[len(prefix) :])
    ]
    for entry in left:
        fs.rm(entry)
    return len(left)
