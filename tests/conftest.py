"""Fixtures for the template tests: a scratch git copy of the template and `bake(**answers)`.

The template is copied (not used in place) so that copier sees a clean git repository of
exactly the template files: no dirty-tree warning, no other engineer's half-written files,
and tags can be made freely.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from copier import run_copy

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME_PATH = REPO_ROOT / "aether-runtime"
TEMPLATE_FILES = ("cookiecutter.json", "copier.yml", "hooks", "template")
ANSWERS_FILE = ".copier-answers.yml"
BIN = Path(sys.executable).parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True, scope="session")
def _git_identity() -> None:
    """Copier commits inside its own temporary clones: give git an identity, ignore user config."""
    previous = {key: os.environ.get(key) for key in GIT_ENV}
    os.environ.update(GIT_ENV)
    yield
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def git(*args: str, cwd: Path) -> str:
    """Run git in ``cwd`` and return its output; fail the test with git's message on error."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def export_template(dest: Path) -> Path:
    """Copy the template files of this checkout into ``dest`` (a new folder)."""
    dest.mkdir(parents=True)
    for name in TEMPLATE_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, dest / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, dest / name)
    return dest


def make_template_repo(dest: Path) -> Path:
    """A git repository holding the template files, committed once."""
    export_template(dest)
    git("init", "--quiet", "--initial-branch=main", cwd=dest)
    git("add", "--all", cwd=dest)
    git("commit", "--quiet", "--message", "template", cwd=dest)
    return dest


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as it is in this checkout, as a scratch git repository."""
    return make_template_repo(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cookiecutter config that keeps replay files out of the home folder."""
    folder = tmp_path_factory.mktemp("cookiecutter")
    config = folder / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {folder / 'cookiecutters'}\nreplay_dir: {folder / 'replay'}\n"
    )
    return config


def bake_with_copier(repo: Path, dest: Path, answers: dict, vcs_ref: str = "HEAD") -> Path:
    run_copy(
        str(repo), dest, data=answers, defaults=True, quiet=True, vcs_ref=vcs_ref, unsafe=False
    )
    return dest


def bake_with_cookiecutter(template_dir: Path, out: Path, answers: dict, config: Path) -> Path:
    made = cookiecutter(
        str(template_dir),
        directory="template",
        no_input=True,
        extra_context=answers,
        output_dir=str(out),
        config_file=str(config),
    )
    return Path(made)


Bake = Callable[..., Path]


@pytest.fixture
def bake(template_repo: Path, cookiecutter_config: Path, tmp_path: Path) -> Bake:
    """``bake(engine="copier", **answers)`` generates a project and returns its folder."""
    counter = iter(range(1000))

    def _bake(engine: str = "copier", **answers: object) -> Path:
        out = tmp_path / f"{engine}-{next(counter)}"
        if engine == "copier":
            return bake_with_copier(template_repo, out, answers)
        if engine == "cookiecutter":
            return bake_with_cookiecutter(template_repo, out, answers, cookiecutter_config)
        raise ValueError(f"unknown engine {engine!r}: use 'copier' or 'cookiecutter'")

    return _bake


def project_env(**extra: str) -> dict[str, str]:
    """Environment for commands run inside a generated project.

    Offline-friendly: uv must use this machine's interpreter, never download one; the monorepo's
    virtualenv must not leak into the project's.
    """
    # Nor the monorepo's make: a parent `make test` exports MAKEFLAGS (-w prints
    # "Entering directory" lines), which a user running make in the project never has.
    leaks = {"VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}
    env = {key: value for key, value in os.environ.items() if key not in leaks}
    env.update(
        UV_PYTHON_DOWNLOADS="never",
        UV_PYTHON=env.get("UV_PYTHON", sys.executable),
        **GIT_ENV,
    )
    env.update(extra)
    return env


def files_of(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (outside .git) by relative path, with its content."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
