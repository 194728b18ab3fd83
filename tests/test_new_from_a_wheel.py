"""A runtime that is not on the package index still makes projects that install (issue 15, 4).

A scratch clone of this checkout, with no tag, is built into a wheel (a development version,
`0.0.1.devN+g<commit>`, which no `>=` specifier of a release admits), installed with its `[new]`
extra in a fresh virtualenv, and `aether new` runs from a folder outside any checkout. The
project must then install that very wheel and run: `make install run`, as its README says. Its
other dependencies come from the package index (slow: installs packages).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, git, project_env

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

UV = shutil.which("uv")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(UV is None, reason="needs uv on PATH (make test provides it)"),
]


def run(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = project_env()
    env.pop("AETHER_TEMPLATE", None)
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=900
    )
    if check:
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dev_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`uv build --wheel` of an untagged clone of this checkout's HEAD."""
    clone = tmp_path_factory.mktemp("checkout") / "aether"
    git("clone", "--quiet", "--no-tags", str(REPO_ROOT), str(clone), cwd=REPO_ROOT)
    for tag in git("tag", cwd=clone).split():
        git("tag", "-d", tag, cwd=clone)
    out = clone.parent / "dist"
    run(UV, "build", "--wheel", "--out-dir", out, "aether-runtime", cwd=clone)
    (wheel,) = out.glob("*.whl")
    assert ".dev" in wheel.name and "+g" in wheel.name
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A fresh virtualenv holding the wheel and its [new] extra; returns its `aether`."""
    run(UV, "venv", "--quiet", venv, cwd=venv.parent)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run(UV, "pip", "install", "--quiet", "--python", python, f"{wheel}[new]", cwd=venv.parent)
    return python.parent / "aether"


def test_a_project_made_by_a_wheel_off_the_index_installs_it_and_runs(dev_wheel, tmp_path):
    aether = install(dev_wheel, tmp_path / "venv")
    outside = tmp_path / "work"
    outside.mkdir()

    run(aether, "new", "sales", "--defaults", cwd=outside)

    project = outside / "sales"
    umask = os.umask(0o022)
    os.umask(umask)
    assert project.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's 0700
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    assert meta["project"]["dependencies"] == ["aether-data"]
    # Relative: the project and the wheel may move together (docs/install.md says why).
    source = meta["tool"]["uv"]["sources"]["aether-data"]
    assert source == {"path": os.path.relpath(dev_wheel, project)}

    git("init", "--quiet", cwd=project)
    run("make", "install", "run", cwd=project)
    version = run(project / ".venv" / "bin" / "aether", "--version", cwd=project).stdout
    assert dev_wheel.name.split("-")[1] in version
    assert (project / "data" / "02_intermediate" / "clean_orders.parquet").is_file()
    assert (project / "data" / "08_reporting" / "daily_revenue.csv").is_file()


def test_a_runtime_whose_wheel_is_gone_says_how_to_make_a_project(dev_wheel, tmp_path):
    moved = tmp_path / "downloads" / dev_wheel.name
    moved.parent.mkdir()
    shutil.copy2(dev_wheel, moved)
    aether = install(moved, tmp_path / "venv")
    moved.unlink()

    done = run(aether, "new", "sales", "--defaults", cwd=tmp_path, check=False)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert f"installed from {moved}, which no longer exists" in done.stderr
    assert "--data aether_runtime_path=PATH" in done.stderr
    assert not (tmp_path / "sales").exists()
