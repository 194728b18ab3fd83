"""Helpers for files on fsspec filesystems (object stores and the like)."""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

# fs.info() keys that identify a remote object's version, per filesystem family.
_REMOTE_SIGNATURE_KEYS = {
    "etag": ("ETag", "etag", "md5Hash", "content_md5"),
    "version_id": ("VersionId", "version_id", "generation"),
    "mtime": ("mtime", "LastModified", "last_modified", "updated", "created"),
}


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
