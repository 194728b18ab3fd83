"""How hard a save presses its data onto the disk: the project's ``durability`` setting.

- ``process-crash`` (the default): what a run published survives the crash of any process
  at any instant (``kill -9``, out of memory, a node calling ``os._exit``). A save writes a
  complete temporary copy and renames it into place; the kernel keeps both in its page
  cache whatever happens to the process, so no reader ever sees a torn file, and the state
  store (SQLite in WAL mode) never records a version that was not published.
- ``power-loss``: the same, and it also survives a power cut or an operating-system crash:
  every staged file and the folder of every rename are flushed to the device (``fsync``)
  and the state store commits with ``synchronous = FULL``. It costs about a millisecond or
  more per output on a typical disk, which is why it is a choice.

The setting is process-wide (like the redaction registry): the project context sets it from
``[tool.aether] durability`` or the ``AETHER_DURABILITY`` environment variable, and worker
processes receive it from the run that starts them.
"""

from __future__ import annotations

import contextlib
import os

PROCESS_CRASH = "process-crash"
POWER_LOSS = "power-loss"
LEVELS = (PROCESS_CRASH, POWER_LOSS)
ENV_VARIABLE = "AETHER_DURABILITY"

_level = PROCESS_CRASH


def set_level(level: str) -> None:
    """Choose the durability of every save that follows in this process."""
    global _level
    if level not in LEVELS:
        raise ValueError(f"durability must be one of {', '.join(LEVELS)}, not {level!r}")
    _level = level


def level() -> str:
    return _level


def against_power_loss() -> bool:
    return _level == POWER_LOSS


def sync_file(fd: int) -> None:
    """Flush an open file to the device, when the setting asks for it."""
    if _level == POWER_LOSS:
        os.fsync(fd)


def sync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable, when the setting asks for it.

    POSIX only: Windows cannot open a directory (its renames are journaled by NTFS)."""
    if _level != POWER_LOSS or os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
