"""The `aether` command as you type it, in a copy of the project."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd


def aether(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "aether", *args], cwd=cwd, capture_output=True, text=True
    )


def test_aether_run_materializes_the_outputs(project):
    result = aether("run", cwd=project)

    assert result.returncode == 0, result.stdout + result.stderr
    report = pd.read_csv(project / "data/08_reporting/daily_revenue.csv")
    assert len(report) > 0
    assert {"day", "orders", "revenue", "currency"} <= set(report.columns)


def test_aether_validate_accepts_the_configuration(project):
    result = aether("validate", cwd=project)

    assert result.returncode == 0, result.stdout + result.stderr
