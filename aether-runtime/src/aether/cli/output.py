"""Printing for the CLI: one console, errors as one line, small table helpers."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from aether.errors import AetherError

_console = None
_err_console = None


def console() -> Any:
    """The stdout console (rich is imported on first use, not at start-up)."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    return _console


def err_console() -> Any:
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False, soft_wrap=True)
    return _err_console


def print_error(error: AetherError) -> None:
    """``error: <what, where> — <what to do>`` on one line, on stderr."""
    line = f"error: {error.message}"
    if error.hint:
        line += f" — {error.hint}"
    details = getattr(error, "details", None)
    if details and os.environ.get("AETHER_DEBUG"):
        line += "\n" + details
    err_console().print(line, markup=False, style="red")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Any:
    from rich.table import Table

    result = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if cell is None else str(cell) for cell in row))
    return result
