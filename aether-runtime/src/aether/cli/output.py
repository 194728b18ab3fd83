"""Printing for the CLI: one console, errors as one line, small table helpers.

Everything printed has its secrets masked (:mod:`aether.support.redaction`): the helpers here mask
what they print, and :func:`mask_standard_streams` masks whatever else reaches stdout or
stderr (rich's console, typer, a traceback under ``--debug``).
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from aether.errors import AetherError, NodeFailedError
from aether.support.redaction import mask_standard_streams, redact, redact_value

if TYPE_CHECKING:  # rich is imported on first use: `aether --help` stays fast
    from rich.console import Console
    from rich.table import Table

__all__ = ["mask_standard_streams"]  # re-exported: the CLI's entry point installs it

_console: Console | None = None


def console() -> Console:
    """The stdout console (rich is imported on first use, not at start-up)."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    return _console


def option_duration(value: str, option: str) -> float:
    """Seconds in a duration option (``30s``, ``5m``, ``1h``, ``2d``, ``1w``), or exit 2."""
    from aether.errors import AetherError, ConfigError
    from aether.support.durations import parse_duration

    try:
        seconds = parse_duration(value)
    except AetherError:
        seconds = None
    if not seconds or seconds <= 0:
        raise ConfigError(
            f"{option} {value!r} is not a duration", hint="write a number and a unit: 30s, 5m, 1h"
        )
    return seconds


def say(text: str) -> None:
    """Print a plain line (no markup, no rich import: this is on every command's path)."""
    sys.stdout.write(redact(text) + "\n")


def print_error(error: AetherError) -> None:
    """``error: <what, where> — <what to do>`` on one line, on stderr."""
    line = f"error: {error.message}"
    if error.hint:
        line += f" — {error.hint}"
    if isinstance(error, NodeFailedError) and error.details and os.environ.get("AETHER_DEBUG"):
        line += "\n" + error.details
    line = redact(line)
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        line = f"\033[31m{line}\033[0m"
    sys.stderr.write(line + "\n")


def print_warning(message: str, hint: str) -> None:
    """``warning: <what, where> — <what to do>`` on stderr; the exit code is not affected."""
    sys.stderr.write(redact(f"warning: {message} — {hint}") + "\n")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(redact_value(data), indent=2, sort_keys=True, default=str) + "\n")


_ANSI = {"green": "32", "yellow": "33", "red": "31", "magenta": "35", "dim": "2", "bold": "1"}


def print_table(
    title: str | None,
    columns: list[str],
    rows: list[list[Any]],
    styles: dict[int, dict[str, str]] | None = None,
) -> None:
    """Print aligned columns fast (thousands of rows in milliseconds, unlike a rich Table).

    ``styles`` maps a column index to {cell value: colour}; colours only on a terminal.
    """
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(name) for name in columns]
    for row in cells:
        for index, cell in enumerate(row[:-1]):
            widths[index] = max(widths[index], len(cell))
    lines = [title] if title else []
    lines.append(_join(columns, widths, None, bold=colour))
    for row in cells:
        lines.append(_join(row, widths, styles if colour else None))
    sys.stdout.write(redact("\n".join(lines)) + "\n")


def _join(
    row: list[str], widths: list[int], styles: dict[int, dict[str, str]] | None, bold: bool = False
) -> str:
    last = len(row) - 1
    if styles is None and not bold:  # not a terminal: the common case of thousands of rows
        return "  ".join(
            [c if i == last else c.ljust(widths[i]) for i, c in enumerate(row)]
        ).rstrip()
    parts = []
    for index, cell in enumerate(row):
        padded = cell if index == last else cell.ljust(widths[index])
        style = (styles or {}).get(index, {}).get(cell.split(" ")[0])
        if style:
            padded = f"\033[{_ANSI[style]}m{padded}\033[0m"
        parts.append(padded)
    line = "  ".join(parts).rstrip()
    return f"\033[1m{line}\033[0m" if bold else line


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Table:
    from rich.table import Table

    result = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if cell is None else str(cell) for cell in row))
    return result
