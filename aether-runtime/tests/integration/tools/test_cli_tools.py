"""`aether test`, `aether lint`, `aether docs`: the project's tools, run from its root."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project(
        "tools_project",
        catalog="",
        pipeline=(
            "pipelines:\n  p:\n    nodes:\n"
            "      - {name: double, transformation: toolsdemo.steps.double,"
            " inputs: {x: params:n}, outputs: doubled}\n"
        ),
        parameters="n: 2\n",
        files={
            "src/toolsdemo/__init__.py": "",
            "src/toolsdemo/steps.py": "def double(x):\n    return x * 2\n",
            "tests/test_steps.py": (
                "from toolsdemo.steps import double\n\n\n"
                "def test_double():\n    assert double(2) == 4\n"
            ),
            "pyproject.toml": (
                '[tool.pytest.ini_options]\npythonpath = ["src"]\n\n'
                "[tool.ruff]\nline-length = 100\n"
            ),
        },
    )


Aether = Callable[..., subprocess.CompletedProcess[str]]
# Every command runs from src/: any folder inside the project will do, tools run from its root.


def test_test_runs_pytest_from_the_root_and_passes_its_exit_code(
    aether: Aether, project: Path
) -> None:
    passed = aether(project / "src", "test", "-q")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 passed" in passed.stdout
    (project / "tests" / "test_more.py").write_text("def test_broken():\n    assert 1 == 2\n")
    failed = aether(project / "src", "test", "-q")
    assert failed.returncode == 1
    assert "1 failed" in failed.stdout


def test_lint_fails_on_a_ruff_finding_and_passes_when_clean(aether: Aether, project: Path) -> None:
    clean = aether(project / "src", "lint")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Configuration is valid" in clean.stdout
    (project / "src" / "toolsdemo" / "steps.py").write_text(
        "import os\n\n\ndef double(x):\n    return x * 2\n"
    )
    dirty = aether(project / "src", "lint")
    assert dirty.returncode != 0
    assert "F401" in dirty.stdout


def test_lint_fails_on_an_invalid_configuration(aether: Aether, project: Path) -> None:
    (project / "conf" / "base" / "parameters.yml").write_text("m: 2\n")
    result = aether(project / "src", "lint")
    assert result.returncode == 2
    assert "reads parameter 'n', which is not defined" in result.stderr


def test_docs_rejects_an_unknown_action(aether: Aether, project: Path) -> None:
    result = aether(project / "src", "docs", "publish")
    assert result.returncode == 2
    assert "Unknown docs action 'publish'" in result.stderr
