"""Signatures and content hashes of local files, the evidence the staleness engine compares.

A file is hashed right after it is written, while still in the page cache (and flushed to the
device when the project's durability asks for it), so nothing we just wrote is read again.
"""

from __future__ import annotations

import hashlib
import os
from typing import IO, Any

from aether.configuration import durability

# Files larger than this are not hashed: the staleness engine then relies on the signature
# and the producing fingerprint. Read at call time so tests and settings can lower it.
CONTENT_HASH_MAX_BYTES = 256 * 1024**2

_CHUNK_BYTES = 1024**2


def local_signature(stat: os.stat_result) -> dict[str, Any]:
    """`{size, mtime_ns, inode}` of a local file: what changes when anything rewrites it."""
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino}


def sha256(file: IO[bytes]) -> str:
    """`"sha256:<hex>"` of what is left to read in `file`, read in chunks."""
    digest = hashlib.sha256()
    while chunk := file.read(_CHUNK_BYTES):
        digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def sync_and_hash(path: str) -> tuple[dict[str, Any], str | None]:
    """The signature and content hash of the file just written at `path` (no hash above
    `CONTENT_HASH_MAX_BYTES`), hashed while it is still in the page cache, and flushed to
    the device when the project's durability asks for it."""
    # r+b, not rb: Windows refuses to fsync a read-only handle.
    with open(path, "r+b" if durability.against_power_loss() else "rb") as file:
        found = os.fstat(file.fileno())
        digest = sha256(file) if found.st_size <= CONTENT_HASH_MAX_BYTES else None
        if durability.against_power_loss():
            durability.sync_file(file.fileno())
            found = os.fstat(file.fileno())
        return local_signature(found), digest
