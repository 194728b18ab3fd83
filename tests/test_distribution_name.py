"""The runtime is installed as `aether-data`, never as `aether-runtime`.

The PyPI name `aether-runtime` belongs to an unrelated project that also ships an `aether`
package and command: a dependency on it, or an install command naming it, would pull a
stranger's code into a user's environment. The folder `aether-runtime/` keeps its name, so a
path (`aether-runtime/src`) and prose that warns about the name are fine; a requirement is not.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .conftest import REPO_ROOT

FORBIDDEN = "aether-runtime"
# The name, spelt any way PEP 503 normalises to it, not followed by "/" (a folder path).
NAME = r"aether[-_.]runtime(?![-_./\w])"
# An install command naming it: pip/uv/pipx/poetry/uvx, options and other packages before it.
INSTALL_COMMAND = re.compile(
    r"(pip3?\s+install|uv\s+pip\s+install|uv\s+add|uv\s+tool\s+install|uvx|pipx\s+install"
    r"|poetry\s+add)\b[^\n`|;&#]*?['\"]?" + NAME,
    re.IGNORECASE,
)
# A requirement string: the name then an extra or a version specifier. A bare quoted name is
# left to the TOML check below, since `"aether-runtime"` is also how code names the folder.
REQUIREMENT = re.compile(r"['\"]" + NAME + r"\s*(\[[^\]]*\]|~=|==|!=|<=|>=|<|>)")
TEXT_SUFFIXES = {".md", ".py", ".yml", ".yaml", ".toml", ".json", ".cfg", ".txt", ".sh", ".lock"}


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def toml_requirements(data: dict) -> list[str]:
    """Every requirement and source name a pyproject.toml or uv.lock declares."""
    project = data.get("project", {})
    found = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        found += group
    for group in data.get("dependency-groups", {}).values():
        found += [item for item in group if isinstance(item, str)]
    found += data.get("build-system", {}).get("requires", [])
    uv = data.get("tool", {}).get("uv", {})
    found += list(uv.get("sources", {}))
    found += [package["name"] for package in data.get("package", [])]  # uv.lock
    return found


def violations(root: Path, names: list[str] | None = None) -> list[str]:
    """Places below ``root`` (or its files ``names``) naming `aether-runtime` to install."""
    found = []
    paths = [root / name for name in names] if names is not None else sorted(root.rglob("*"))
    for path in paths:
        if not path.is_file() or ".git" in path.relative_to(root).parts:
            continue
        if path.name not in {"Makefile", "Dockerfile"} and path.suffix not in TEXT_SUFFIXES:
            continue
        if path.resolve() == Path(__file__).resolve():
            continue  # this file spells the name out to look for it
        text = path.read_text(errors="replace")
        where = path.relative_to(root).as_posix()
        if path.suffix in {".toml", ".lock"}:
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                data = {}  # a template file with Jinja in it: the text checks below still apply
            found += [
                f"{where}: requirement {item!r}"
                for item in toml_requirements(data)
                if requirement_name(item) == FORBIDDEN
            ]
        for pattern in (INSTALL_COMMAND, REQUIREMENT):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{where}:{line}: {match.group(0)!r}")
    return found


@pytest.mark.parametrize(
    "text",
    [
        "pip install aether-runtime",
        "pip install -U 'aether-runtime[new]'",
        "uv add pandas aether_runtime",
        "uvx --from aether-runtime aether new x",
        'dependencies = ["aether-runtime>=0.1"]',
        '"aether-runtime[sql]"',
    ],
)
def test_the_guard_catches_an_install_of_the_wrong_name(tmp_path, text):
    (tmp_path / "README.md").write_text(f"Set up:\n\n    {text}\n")
    assert violations(tmp_path), f"not caught: {text}"


@pytest.mark.parametrize(
    "text",
    [
        "pip install aether-data",
        "the runtime lives in `aether-runtime/src/aether`",
        "the PyPI name `aether-runtime` belongs to an unrelated project",
        "uv add aether-data  # never aether-runtime",
    ],
)
def test_the_guard_allows_folders_and_warnings(tmp_path, text):
    (tmp_path / "README.md").write_text(text + "\n")
    assert violations(tmp_path) == []


def test_a_toml_dependency_on_the_wrong_name_is_caught(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\ndependencies = ['Aether_Runtime >= 1']\n"
    )
    assert any("requirement" in item for item in violations(tmp_path))


def test_no_file_of_the_repository_installs_the_wrong_name():
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert tracked.returncode == 0, tracked.stderr
    assert violations(REPO_ROOT, tracked.stdout.splitlines()) == []


def test_the_runtime_is_distributed_as_aether_data():
    runtime = tomllib.loads((REPO_ROOT / "aether-runtime" / "pyproject.toml").read_text())
    assert runtime["project"]["name"] == "aether-data"
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    assert "aether-data" in {package["name"] for package in lock["package"]}


@pytest.mark.parametrize("engine", ["copier", "cookiecutter"])
@pytest.mark.parametrize("answers", [{}, {"aether_runtime_path": "/opt/aether/aether-runtime"}])
def test_no_generated_project_installs_the_wrong_name(bake, engine, answers):
    project = bake(engine, **answers)
    assert violations(project) == []
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    names = {requirement_name(item) for item in pyproject["project"]["dependencies"]}
    assert "aether-data" in names
