"""Upgrading generated projects with `copier update`, and adopting copier after cookiecutter.

Each test tags two template versions in a scratch repository (CI clones may have no tags):
v1.0.0 is this checkout's template, v2.0.0 adds changes a real release would make. A project
is made at v1.0.0, committed, edited by its user, then updated to v2.0.0. `copier update`
exits 0 even when it leaves conflicts, so the tests look for them: `UU` in git status, `.rej`
files, conflict markers.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from copier import run_update

from .conftest import (
    ANSWERS_FILE,
    BIN,
    bake_with_cookiecutter,
    bake_with_copier,
    files_of,
    git,
    make_template_repo,
    project_env,
)

PROJECT = Path("template") / "{{cookiecutter.project_slug}}"
MARKERS = re.compile(r"^(<<<<<<<|=======$|>>>>>>>)", re.MULTILINE)
NEW_TARGET = "check: lint test ## Run lint and test, as CI does\n\n"
USER_DEPENDENCY = '"aether-data>=0.1", "requests>=2"'
DATA_README_LINE = "\nA line of release v2.\n"
USER_NODE = '"""A transformation the team added."""\n\n\ndef identity(data):\n    return data\n'


def release_v2(repo: Path) -> None:
    """Template changes of a release: a new make target, a new ruff rule, a new docs page,
    a line in data/README.md."""
    project = repo / PROJECT
    makefile = project / "Makefile"
    text = makefile.read_text()
    makefile.write_text(text.replace("-include local.mk", NEW_TARGET + "-include local.mk"))
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('"UP", "SIM"]', '"UP", "SIM", "RUF"]'))
    (project / "docs" / "changelog.md").write_text("# Changelog\n")
    layers = project / "data" / "README.md"  # template-owned, though named like README.md
    layers.write_text(layers.read_text() + DATA_README_LINE)
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "--message", "v2", cwd=repo)
    git("tag", "v2.0.0", cwd=repo)


@pytest.fixture(scope="module")
def template_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository tagged v1.0.0 (this checkout) and v2.0.0 (with release_v2)."""
    repo = make_template_repo(tmp_path_factory.mktemp("versions") / "template")
    git("tag", "v1.0.0", cwd=repo)
    release_v2(repo)
    return repo


def commit_all(project: Path, message: str) -> None:
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--message", message, cwd=project)


def user_edits(project: Path) -> None:
    """What a team does after generating: a dependency, a parameter, a node, local targets."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('"aether-data>=0.1"', USER_DEPENDENCY))
    parameters = project / "conf" / "base" / "parameters.yml"
    parameters.write_text(parameters.read_text().replace("min_amount: 5", "min_amount: 10"))
    (project / "src" / "my_data_project" / "nodes" / "extra.py").write_text(USER_NODE)
    (project / "local.mk").write_text("hello: ## Say hello\n\t@echo hello\n")


def assert_no_conflicts(project: Path) -> None:
    status = git("status", "--porcelain", cwd=project).splitlines()
    unmerged = [line for line in status if line[:2] in {"UU", "AA", "DU", "UD", "AU", "UA"}]
    assert not unmerged, f"unmerged files after copier update: {unmerged}"
    rejects = [p.name for p in project.rglob("*.rej")]
    assert not rejects, f".rej files after copier update: {rejects}"
    for name, data in files_of(project).items():
        marked = MARKERS.search(data.decode(errors="replace"))
        assert not marked, f"conflict marker in {name}: {marked.group(0)!r}"


def assert_has_v2(project: Path) -> None:
    assert NEW_TARGET in (project / "Makefile").read_text()
    assert '"RUF"]' in (project / "pyproject.toml").read_text()
    assert (project / "docs" / "changelog.md").exists()
    assert DATA_README_LINE in (project / "data" / "README.md").read_text()
    assert yaml.safe_load((project / ANSWERS_FILE).read_text())["_commit"] == "v2.0.0"


def test_update_brings_template_changes_and_keeps_user_edits(template_versions, tmp_path):
    project = bake_with_copier(template_versions, tmp_path / "project", {}, vcs_ref="v1.0.0")
    git("init", "--quiet", cwd=project)
    commit_all(project, "generated at v1.0.0")
    user_edits(project)
    commit_all(project, "our work")

    run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=False)

    assert_no_conflicts(project)
    assert_has_v2(project)
    assert USER_DEPENDENCY in (project / "pyproject.toml").read_text()
    # The whole result is a fresh v2 copy plus the same user edits: nothing lost or mangled.
    fresh = bake_with_copier(template_versions, tmp_path / "fresh", {}, vcs_ref="v2.0.0")
    user_edits(fresh)
    assert files_of(project) == files_of(fresh)


def test_update_leaves_files_the_project_owns(template_versions, tmp_path):
    project = bake_with_copier(template_versions, tmp_path / "project", {}, vcs_ref="v1.0.0")
    git("init", "--quiet", cwd=project)
    readme = project / "README.md"
    readme.write_text("# Our project\n\nWritten by us.\n")
    commit_all(project, "our readme")

    run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=False)

    assert_no_conflicts(project)
    assert readme.read_text() == "# Our project\n\nWritten by us.\n"


def test_cookiecutter_project_adopts_copier_update(
    template_versions, cookiecutter_config, tmp_path
):
    """The documented path: recopy at the version it was made from, commit, then update."""
    v1 = tmp_path / "v1"
    v1.mkdir()
    archive = subprocess.run(
        ["git", "archive", "v1.0.0"], cwd=template_versions, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", v1], input=archive.stdout, check=True)
    project = bake_with_cookiecutter(v1, tmp_path / "made", {}, cookiecutter_config)
    git("init", "--quiet", cwd=project)
    user_edits(project)
    commit_all(project, "made with cookiecutter, then our work")

    # Answers come from cookiecutter's replay file, as docs/template/upgrade.md shows.
    replay = json.loads((cookiecutter_config.parent / "replay" / "template.json").read_text())
    answers = {k: v for k, v in replay["cookiecutter"].items() if not k.startswith("_")}
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    copier = [str(BIN / "copier")]
    adopt = [*copier, "copy", "--vcs-ref", "v1.0.0", "--data-file", str(answers_file)]
    subprocess.run(
        [*adopt, "--defaults", "--overwrite", "--quiet", str(template_versions), str(project)],
        check=True,
        capture_output=True,
    )

    # Copier rewrote the files the user had edited back to v1 and added the answers file;
    # everything else was identical. `git restore .` takes the user's versions back.
    changed = sorted(git("status", "--porcelain", cwd=project).splitlines())
    assert changed == [
        " M conf/base/parameters.yml",
        " M pyproject.toml",
        "?? .copier-answers.yml",
    ]
    git("restore", ".", cwd=project)
    commit_all(project, "adopt copier")

    run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=False)

    assert_no_conflicts(project)
    assert_has_v2(project)
    assert USER_DEPENDENCY in (project / "pyproject.toml").read_text()
    assert "min_amount: 10" in (project / "conf" / "base" / "parameters.yml").read_text()


def test_conflict_detection_catches_what_copier_update_leaves(template_versions, tmp_path):
    """Guard for the checks above: a user edit on a line the template also changed conflicts."""
    project = bake_with_copier(template_versions, tmp_path / "project", {}, vcs_ref="v1.0.0")
    git("init", "--quiet", cwd=project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"UP", "SIM"]', '"UP", "SIM", "PL"]'))
    commit_all(project, "our own rule set")

    run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=False)

    with pytest.raises(AssertionError, match=r"unmerged|conflict marker"):
        assert_no_conflicts(project)


# A stand-in uv for `make update`: `--version` (the Makefile's check) passes and
# `tool run copier ...` runs the copier of this test environment, so nothing is downloaded.
COPIER_UV = f"""#!/bin/sh
case "$1" in
  --version) exit 0 ;;
  tool) shift 2; exec "{BIN}/$@" ;;
esac
exit 1
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def project_recording(template_versions: Path, project: Path, source: str) -> Path:
    """A committed project made at v1.0.0 whose answers record ``source`` as the template."""
    bake_with_copier(template_versions, project, {}, vcs_ref="v1.0.0")
    answers = project / ANSWERS_FILE
    text = answers.read_text()
    answers.write_text(re.sub(r"(?m)^_src_path: .*$", f"_src_path: {source}", text))
    git("init", "--quiet", cwd=project)
    commit_all(project, "generated at v1.0.0")
    return project


def make_update(project: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    fake_uv = project.parent / "uv"
    fake_uv.write_text(COPIER_UV)
    fake_uv.chmod(0o755)
    make = shutil.which("make")
    assert make is not None
    return subprocess.run(
        [make, "update", f"UV={fake_uv}", "ARGS=--defaults --quiet", *variables],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(),
        timeout=300,
    )


def test_make_update_offline_names_the_source_and_the_mirror_in_one_line(
    template_versions, tmp_path
):
    """An unreachable template source (here a closed port on loopback, as offline) stops
    `make update` with one line naming the source, without its credentials, and how to use a
    mirror; copier's 86-line traceback is never shown and the project is untouched."""
    source = f"https://user:s3cret-token@127.0.0.1:{closed_port()}/aether-data/aether.git"
    project = project_recording(template_versions, tmp_path / "project", source)
    before = files_of(project)

    done = make_update(project)

    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output and "s3cret-token" not in output, output
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    assert f"cannot reach the template at {source.replace('user:s3cret-token', '***')}" in errors[0]
    assert "AETHER_TEMPLATE_MIRROR=" in errors[0]
    assert files_of(project) == before


def test_make_update_from_a_mirror_keeps_recording_the_source(template_versions, tmp_path):
    """AETHER_TEMPLATE_MIRROR (a local clone with the tags) stands in for an unreachable
    source: the update to v2.0.0 happens, and the answers still record the source."""
    source = f"https://127.0.0.1:{closed_port()}/aether-data/aether.git"
    project = project_recording(template_versions, tmp_path / "project", source)

    done = make_update(project, f"AETHER_TEMPLATE_MIRROR={template_versions}")

    assert done.returncode == 0, done.stdout + done.stderr
    assert_no_conflicts(project)
    assert_has_v2(project)
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert answers["_src_path"] == source
