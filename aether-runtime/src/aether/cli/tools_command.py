"""``aether test``, ``aether lint``, ``aether docs``: the project's tools, run from its root.

Thin on purpose: they run pytest, ruff and MkDocs from the project's environment, so
`aether test` behaves exactly like `pytest` typed in the project folder.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from aether.errors import ConfigError


def run_tool(module: str, args: list[str], project: Path | None, package: str) -> int:
    """``python -m <module> <args>`` in the project root; exit code passed through."""
    from aether.project.context import find_project_root

    root = find_project_root(project)
    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"{package} is not installed in this environment ({sys.executable})",
            hint=f"add {package} to the project's dev dependencies (uv add --dev {package})",
        )
    return subprocess.call([sys.executable, "-m", module, *args], cwd=root)


def lint_command(project: Path | None, env: str | None, fix: bool) -> int:
    """ruff check (and format check), then aether validate; the worst exit code wins."""
    from aether.cli.validate_command import validate_command

    ruff = ["check", "--fix", "."] if fix else ["check", "."]
    codes = [run_tool("ruff", ruff, project, "ruff")]
    codes.append(
        run_tool("ruff", ["format", "."] if fix else ["format", "--check", "."], project, "ruff")
    )
    codes.append(validate_command(project, env))
    return max(codes)
