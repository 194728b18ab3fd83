"""Shared fixtures: a throwaway copy of the project, so tests never touch your data/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of conf/ and the raw data in a temporary folder, ready for `aether run`."""
    shutil.copytree(PROJECT_ROOT / "conf", tmp_path / "conf")
    shutil.copytree(PROJECT_ROOT / "data" / "01_raw", tmp_path / "data" / "01_raw")
    return tmp_path
