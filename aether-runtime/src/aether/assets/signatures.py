"""Physical signatures (size, mtime, inode...): when one may be trusted, and the version that
stands for a dataset known only by its signature."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# A file modified within this many seconds of when its signature was recorded may change
# again without its mtime moving (coarse timestamps): hash it rather than trust it ("racy").
RACY_SECONDS = 2.0


def is_racy(signature: Mapping[str, Any], observed_at: float) -> bool:
    """Whether ``signature`` was taken too close to the file's last change to vouch for it."""
    mtime_ns = signature.get("mtime_ns")
    return isinstance(mtime_ns, int) and abs(observed_at - mtime_ns / 1e9) < RACY_SECONDS


def signature_version(signature: Mapping[str, Any] | None) -> str:
    """A version made from a signature, for data that offers no content hash."""
    text = json.dumps(signature, sort_keys=True, default=str)
    return "signature:" + hashlib.sha256(text.encode()).hexdigest()[:32]
