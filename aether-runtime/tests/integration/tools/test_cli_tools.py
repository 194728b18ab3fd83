"""`aether test`, `aether lint`, `aether docs`: the project's tools, run from its root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "tools_project"
    (root / "conf" / "base").mkdir(parents=True)
    (root / "src" / "toolsdemo").mkdir(parents=True)
    (root / "src" / "toolsdemo" / "__init__.py").write_text("")
    (root / "src" / "toolsdemo" / "steps.py").write_text("def double(x):\n    return x * 2\n")
    (root / "conf" / "base" / "pipeline.yml").write_text(
        "pipelines:\n  p:\n    nodes:\n"
        "      - {name: double, transformation: toolsdemo.steps.double,"
        " inputs: {x: params:n}, outputs: doubled}\n"
    )
    (root / "conf" / "base" / "parameters.yml").write_text("n: 2\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_steps.py").write_text(
        "from toolsdemo.steps import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    )
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n\n[tool.ruff]\nline-length = 100\n'
    )
    return root


def aether(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aether", *args],
        cwd=project / "src",  # any folder inside the project: tools run from its root
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_test_runs_pytest_from_the_root_and_passes_its_exit_code(project: Path) -> None:
    passed = aether(project, "test", "-q")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 passed" in passed.stdout
    (project / "tests" / "test_more.py").write_text("def test_broken():\n    assert 1 == 2\n")
    failed = aether(project, "test", "-q")
    assert failed.returncode == 1
    assert "1 failed" in failed.stdout


def test_lint_fails_on_a_ruff_finding_and_passes_when_clean(project: Path) -> None:
    clean = aether(project, "lint")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Configuration is valid" in clean.stdout
    (project / "src" / "toolsdemo" / "steps.py").write_text(
        "import os\n\n\ndef double(x):\n    return x * 2\n"
    )
    dirty = aether(project, "lint")
    assert dirty.returncode != 0
    assert "F401" in dirty.stdout


def test_lint_fails_on_an_invalid_configuration(project: Path) -> None:
    (project / "conf" / "base" / "parameters.yml").write_text("m: 2\n")
    result = aether(project, "lint")
    assert result.returncode == 2
    assert "reads parameter 'n', which is not defined" in result.stderr


def test_docs_rejects_an_unknown_action(project: Path) -> None:
    result = aether(project, "docs", "publish")
    assert result.returncode == 2
    assert "Unknown docs action 'publish'" in result.stderr
