"""The state store's errors: SQLite's failures turned into StateErrors that say what to do."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from aether.errors import StateError, StateNotWritableError


def not_running(attempt_id: int, status: str | None) -> StateError:
    return StateError(
        f"Attempt {attempt_id} is {status or 'unknown'}, not running; its results were not "
        "recorded",
        hint="run again; a run that was taken for dead had its attempts aborted",
    )


def is_unwritable(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed for want of write permission, not because the file is bad."""
    name = getattr(exc, "sqlite_errorname", "")  # Python 3.11+
    return name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN")) or (
        "readonly database" in str(exc)
    )


def unwritable_error(path: Path, exc: sqlite3.Error) -> StateError:
    return StateNotWritableError(
        f"{path} cannot be written by this user ({exc})",
        hint=f"run as the user who owns {path.parent}, or make it and its files writable "
        "(the file itself is sound: keep it)",
    )


# Under this much free space, an I/O error writing the state is taken for a full disk: SQLite
# reports ENOSPC as SQLITE_FULL on a data write but as a bare "disk I/O error" when growing its
# WAL index, so the error name alone cannot tell.
_NEARLY_FULL_BYTES = 1024 * 1024


def is_damaged(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file itself is bad (the only case where moving it aside helps)."""
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
        "malformed" in text or "not a database" in text
    )


def is_disk_full(path: Path, exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_FULL") or "disk is full" in str(exc):
        return True
    is_io_error = name.startswith("SQLITE_IOERR") or "disk I/O error" in str(exc)
    return is_io_error and _free_bytes(path.parent) < _NEARLY_FULL_BYTES


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return _NEARLY_FULL_BYTES  # cannot tell: do not claim the disk is full


def disk_full_error(path: Path) -> StateError:
    return StateError(
        f"The disk holding {path} is full; nothing was recorded",
        hint="free some space and run again (the state file is sound: keep it)",
    )


_KEEP_IT = "check the disk it is on and run again (the file is not known to be damaged: keep it)"


def io_error(path: Path, exc: sqlite3.Error) -> StateError:
    return StateError(f"Reading or writing {path} failed ({exc})", hint=_KEEP_IT)


def unusable_error(path: Path, exc: sqlite3.Error) -> StateError:
    """What SQLite raised while opening the state: only a damaged file is worth moving aside."""
    if is_unwritable(exc):  # a sound file this user may not write
        return unwritable_error(path, exc)
    if is_disk_full(path, exc):
        return disk_full_error(path)
    if not is_damaged(exc):
        return io_error(path, exc)
    return StateError(
        f"{path} is not a usable Aether state database ({exc})",
        hint=f"move it aside (mv {path} {path}.broken) and run again; "
        "Aether then starts a new state and rebuilds what it cannot trust",
    )


def state_error(path: Path, exc: sqlite3.Error) -> StateError:
    if is_unwritable(exc):
        return unwritable_error(path, exc)
    if is_disk_full(path, exc):
        return disk_full_error(path)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        hint = "another process held the state store for over 30 s; try again"
    elif is_damaged(exc):
        hint = f"if {path} is damaged, move it aside and run again"
    else:
        hint = _KEEP_IT
    return StateError(f"State store {path} failed: {exc}", hint=hint)
