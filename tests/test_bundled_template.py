"""The template ships inside the runtime's wheel: `aether new` works from the runtime alone.

A scratch clone of this checkout is tagged v1.0.0 and built as the release workflow builds it
(`uv build`: the sdist, then the wheel from the sdist). The wheel is installed with its `[new]`
extra in a fresh virtualenv, and `aether new` runs from a folder outside any checkout, so it
can only render the bundled copy. The answers file must record the template's repository and
v1.0.0; the scratch clone stands in for the public repository (`AETHER_TEMPLATE_MIRROR`). Then
the clone gets a template change tagged v1.1.0, and `copier update` must bring it to the
project with the user's edits kept and no conflicts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from .conftest import ANSWERS_FILE, REPO_ROOT, git, project_env
from .test_update import assert_no_conflicts, commit_all

UV = shutil.which("uv")
PROJECT_FOLDER = "template/{{cookiecutter.project_slug}}"
BUNDLE = "aether/_template/"
NEW_TARGET = "check: lint test ## Run lint and test, as CI does\n\n"
# Characters a file name may not hold on Windows (and so in a wheel meant for every OS).
NOT_PORTABLE = re.compile(r'["<>|*?:\\]|[ .]$')
needs_uv = pytest.mark.skipif(UV is None, reason="needs uv on PATH (make test provides it)")


def test_template_file_names_are_valid_on_every_os():
    names = git("ls-files", "--", "copier.yml", "template", cwd=REPO_ROOT).splitlines()
    parts = {part for name in names for part in name.split("/")}
    assert not [part for part in parts if NOT_PORTABLE.search(part)]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def bundled_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name[len(BUNDLE) :] for name in archive.namelist() if name.startswith(BUNDLE)}


def tracked_template_files(repo: Path) -> set[str]:
    return set(git("ls-files", "--", "copier.yml", PROJECT_FOLDER, cwd=repo).splitlines())


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this checkout's HEAD, tagged v1.0.0 and nothing else."""
    clone = tmp_path_factory.mktemp("release") / "aether"
    git("clone", "--quiet", "--no-tags", str(REPO_ROOT), str(clone), cwd=REPO_ROOT)
    for tag in git("tag", cwd=clone).split():
        git("tag", "-d", tag, cwd=clone)
    git("tag", "v1.0.0", cwd=clone)
    return clone


@pytest.fixture(scope="module")
def release_wheel(scratch_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`uv build` at v1.0.0: the sdist, then the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    run(UV, "build", "--out-dir", out, "aether-runtime", cwd=scratch_repo)
    (wheel,) = out.glob("*.whl")
    assert wheel.name == "aether_data-1.0.0-py3-none-any.whl"
    return wheel


@pytest.fixture(scope="module")
def installed_aether(release_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel and its [new] extra; returns its `aether` command."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    env = project_env(UV_COMPILE_BYTECODE="1")  # bytecode in the bundle must not reach projects
    run(UV, "venv", "--quiet", venv, cwd=venv.parent, env=env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    wheel_with_extra = f"{release_wheel}[new]"
    run(
        UV,
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        wheel_with_extra,
        cwd=venv.parent,
        env=env,
    )
    return python.parent / "aether"


@needs_uv
@pytest.mark.slow
def test_the_wheel_from_the_sdist_carries_the_template(release_wheel, scratch_repo):
    assert bundled_names(release_wheel) == tracked_template_files(scratch_repo)


@needs_uv
@pytest.mark.slow
def test_a_wheel_built_straight_from_the_checkout_carries_the_template(scratch_repo, tmp_path):
    run(UV, "build", "--wheel", "--out-dir", tmp_path, "aether-runtime", cwd=scratch_repo)
    (wheel,) = tmp_path.glob("*.whl")
    assert bundled_names(wheel) == tracked_template_files(scratch_repo)


def release_v1_1(repo: Path) -> None:
    """A template change of the next release: a new make target and a new docs page."""
    project = repo / PROJECT_FOLDER
    makefile = project / "Makefile"
    makefile.write_text(
        makefile.read_text().replace("-include local.mk", NEW_TARGET + "-include local.mk")
    )
    (project / "docs" / "changelog.md").write_text("# Changelog\n")
    commit_all(repo, "template: a check target and a changelog page")
    git("tag", "v1.1.0", cwd=repo)


def user_edits(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"aether-data"', '"aether-data", "rich"'))
    parameters = project / "conf" / "base" / "parameters.yml"
    parameters.write_text(parameters.read_text().replace("min_amount: 5", "min_amount: 10"))


@needs_uv
@pytest.mark.slow
def test_aether_new_from_the_wheel_then_copier_update_to_the_next_tag(
    installed_aether, scratch_repo, tmp_path
):
    outside = tmp_path / "outside-any-checkout"
    outside.mkdir()
    runtime = scratch_repo / "aether-runtime"
    env = project_env(AETHER_TEMPLATE_MIRROR=str(scratch_repo))
    env.pop("AETHER_TEMPLATE", None)
    answer = f"aether_runtime_path={runtime}"
    run(installed_aether, "new", "sales", "--defaults", "--data", answer, cwd=outside, env=env)

    project = outside / "sales"
    assert (project / "conf" / "base" / "pipeline.yml").is_file()
    assert not [p for p in project.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert answers["_src_path"] == str(scratch_repo)
    assert answers["_commit"] == "v1.0.0"
    assert answers["project_name"] == "Sales"
    assert answers["aether_runtime_path"] == str(runtime)

    release_v1_1(scratch_repo)
    git("init", "--quiet", cwd=project)
    commit_all(project, "generated by aether new at v1.0.0")
    user_edits(project)
    commit_all(project, "our work")
    copier = installed_aether.parent / "copier"
    run(copier, "update", "--defaults", "--quiet", cwd=project, env=env)

    assert_no_conflicts(project)
    assert NEW_TARGET in (project / "Makefile").read_text()
    assert (project / "docs" / "changelog.md").read_text() == "# Changelog\n"
    assert '"aether-data", "rich"' in (project / "pyproject.toml").read_text()
    assert "min_amount: 10" in (project / "conf" / "base" / "parameters.yml").read_text()
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert answers["_commit"] == "v1.1.0"
    assert answers["_src_path"] == str(scratch_repo)
    assert git("status", "--porcelain", cwd=project).strip(), "the update changed nothing"


@needs_uv
@pytest.mark.slow
def test_the_release_check_accepts_the_build_of_its_tag_only(release_wheel):
    script = [sys.executable, REPO_ROOT / "scripts" / "check_dist.py", release_wheel.parent]
    done = subprocess.run([*script, "v1.0.0"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*script, "v1.0.1"], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Version is '1.0.0', expected '1.0.1'" in done.stderr
