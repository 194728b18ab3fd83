"""Fixtures for the asset tests: copies of the bundled orders example, driven by the CLI.

The example turns ``data/01_raw/orders.csv`` into ``clean_orders`` (Parquet, node
``clean_orders``) and then ``daily_revenue`` (CSV, node ``daily_revenue``). Every test works
on its own copy under ``tmp_path`` with the real CLI in a subprocess and the real SQLite
state store (``.aether/state.db``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "orders"
RAW = "data/01_raw/orders.csv"
CLEAN = "data/02_intermediate/clean_orders.parquet"
REVENUE = "data/08_reporting/daily_revenue.csv"
ORDERS_PY = "src/orders_demo/nodes/orders.py"
REPORTS_PY = "src/orders_demo/nodes/reports.py"
CATALOG = "conf/base/catalog.yml"
PIPELINE = "conf/base/pipeline.yml"
PARAMETERS = "conf/base/parameters.yml"
TEST_ORDER = "1999,tester,2026-01-05 10:00,42.0,EUR,true"


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a CLI subprocess: no inherited AETHER_*, wide plain output."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AETHER_")}
    environ.update({"COLUMNS": "250", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **(extra or {})})
    return environ


class Project:
    """A project folder plus the few things the tests do to it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __truediv__(self, relative: str) -> Path:
        return self.path / relative

    def aether(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """``python -m aether ARGS`` in the project, as a user would type it."""
        return subprocess.run(
            [sys.executable, "-m", "aether", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env=cli_env(env),
            timeout=timeout,
        )

    def popen(
        self, *args: str, log: Path, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen:
        """Start ``python -m aether ARGS`` in the background, output to ``log``."""
        handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed by the child's end
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "aether", *args],
                cwd=self.path,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=cli_env(env),
            )
        finally:
            handle.close()

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
def orders(tmp_path: Path) -> Project:
    """A copy of examples/orders that was never run (its shipped outputs removed)."""
    path = tmp_path / "orders"
    shutil.copytree(EXAMPLE, path, ignore=shutil.ignore_patterns(".aether", "__pycache__"))
    (path / CLEAN).unlink(missing_ok=True)
    (path / REVENUE).unlink(missing_ok=True)
    return Project(path)


@pytest.fixture
def ran_orders(orders: Project) -> Project:
    """The orders example after one successful ``aether run``."""
    orders.run_ok()
    return orders
