"""Shared fixtures: a throwaway copy of the project, so tests never touch your data/, and the
stand-ins for what only exists elsewhere (Databricks' dbutils)."""

from __future__ import annotations

import shutil
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from pytest_mock import MockerFixture

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of conf/ and the raw data in a temporary folder, ready for `aether run`."""
    shutil.copytree(PROJECT_ROOT / "conf", tmp_path / "conf")
    shutil.copytree(PROJECT_ROOT / "data" / "01_raw", tmp_path / "data" / "01_raw")
    return tmp_path


@pytest.fixture
def dbutils(mocker: MockerFixture) -> MagicMock:
    """A stand-in for Databricks' ``dbutils``: each test sets what the calls it needs return.

    Code that uses dbutils takes it as an argument, so a test hands this one over: nothing
    global is patched, and the mock is reset after each test.
    """
    return mocker.MagicMock(name="dbutils")
