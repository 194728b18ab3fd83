"""The state store's errors: SQLite's failures turned into StateErrors that say what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aether.errors import StateError


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
    return StateError(
        f"{path} cannot be written by this user ({exc})",
        hint=f"run as the user who owns {path.parent}, or make it and its files writable "
        "(the file itself is sound: keep it)",
    )


def state_error(path: Path, exc: sqlite3.Error) -> StateError:
    if is_unwritable(exc):
        return unwritable_error(path, exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        hint = "another process held the state store for over 30 s; try again"
    else:
        hint = f"if {path} is damaged, move it aside and run again"
    return StateError(f"State store {path} failed: {exc}", hint=hint)
