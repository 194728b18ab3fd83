"""Fixtures for the asset tests: copies of the bundled orders example, driven by the CLI.

The example turns ``data/01_raw/orders.csv`` into ``clean_orders`` (Parquet, node
``clean_orders``) and then ``daily_revenue`` (CSV, node ``daily_revenue``). Every test works
on its own copy under ``tmp_path`` with the real CLI in a subprocess and the real SQLite
state store (``.aether/state.db``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from subprocess import CompletedProcess, Popen

import pytest

Aether = Callable[..., CompletedProcess[str]]
AetherInBackground = Callable[..., Popen[str]]


class Project:
    """A project folder plus the few things the tests do to it."""

    def __init__(self, path: Path, aether: Aether, aether_in_background: AetherInBackground):
        self.path = path
        self._aether = aether
        self._aether_in_background = aether_in_background

    def __truediv__(self, relative: str) -> Path:
        return self.path / relative

    def aether(self, *args: str, env: Mapping[str, str] | None = None) -> CompletedProcess[str]:
        """``python -m aether ARGS`` in the project, as a user would type it."""
        return self._aether(self.path, *args, env=env)

    def popen(self, *args: str, log: Path, env: Mapping[str, str] | None = None) -> Popen[str]:
        """Start ``python -m aether ARGS`` in the background, output to ``log``."""
        with open(log, "w", encoding="utf-8") as handle:  # the child keeps its own copy
            return self._aether_in_background(
                self.path, *args, env=env, stdout=handle, stderr=subprocess.STDOUT
            )

    def run_ok(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """``aether run ARGS``, which must succeed; returns its output."""
        result = self.aether("run", *args, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def statuses(self) -> dict[str, dict]:
        """``aether status --json`` as {asset name: entry}."""
        result = self.aether("status", "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        return {entry["name"]: entry for entry in json.loads(result.stdout)["assets"]}

    def status_of(self, asset: str) -> tuple[str, str | None]:
        entry = self.statuses()[asset]
        return entry["status"], entry["reason"]

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace ``old`` (which must occur) by ``new`` in a project file."""
        path = self.path / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append(self, relative: str, text: str) -> None:
        with open(self.path / relative, "a", encoding="utf-8") as handle:
            handle.write(text)

    def snapshot(self, relative: str) -> tuple[bytes, int]:
        """Content and mtime_ns: an equal snapshot means the file was not rewritten."""
        path = self.path / relative
        return path.read_bytes(), path.stat().st_mtime_ns


@pytest.fixture
def orders(
    orders_project: Path, aether: Aether, aether_in_background: AetherInBackground
) -> Project:
    """A copy of examples/orders that was never run."""
    return Project(orders_project, aether, aether_in_background)


@pytest.fixture
def ran_orders(orders: Project) -> Project:
    """The orders example after one successful ``aether run``."""
    orders.run_ok()
    return orders
