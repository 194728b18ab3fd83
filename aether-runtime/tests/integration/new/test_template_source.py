"""Where `aether new` renders from, and what the project records for `copier update`.

An installed runtime renders the template bundled in its wheel and records the public
repository (or a mirror) and its release tag; `--template` / `AETHER_TEMPLATE` name a fork.
The wheel itself is built and used in tests/test_bundled_template.py (slow); here the choices.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from aether.scaffold import new_project as scaffold

REPO_ROOT = Path(__file__).resolve().parents[4]
ANSWERS = """\
# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY
_src_path: /site-packages/aether/_template
aether_runtime_path: ''
description: 'Sales: orders & revenue'
project_name: Sales
"""


@pytest.mark.parametrize(
    ("version", "ref"),
    [
        ("1.4.2", "v1.4.2"),
        ("2.0.0rc1", "v2.0.0rc1"),
        ("1.4.3.dev2+g1a2b3c4", "1a2b3c4"),
        ("1.4.3.dev2+g1a2b3c4.d20261129", "1a2b3c4"),
        ("0.0.0", None),
        ("0.0.0+unknown", None),
    ],
)
def test_release_ref_names_the_tag_or_commit_a_build_came_from(version, ref):
    assert scaffold.release_ref(version) == ref


def test_record_origin_changes_the_source_and_commit_only(tmp_path):
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text(ANSWERS)

    scaffold.record_origin(answers, scaffold.PUBLIC_TEMPLATE, "v1.4.2")

    lines = answers.read_text().splitlines()
    assert lines[0].startswith("# Changes here will be overwritten by Copier")
    assert lines[1:3] == ["_commit: v1.4.2", f"_src_path: {scaffold.PUBLIC_TEMPLATE}"]
    assert lines[3:] == ANSWERS.splitlines()[2:]
    assert yaml.safe_load(answers.read_text())["description"] == "Sales: orders & revenue"


def test_an_installed_runtime_renders_its_bundled_copy(monkeypatch, tmp_path):
    bundle = tmp_path / "_template"
    (bundle / "template").mkdir(parents=True)
    (bundle / "copier.yml").write_text("")
    monkeypatch.setattr(scaffold, "BUNDLED_TEMPLATE", bundle)
    monkeypatch.setattr(scaffold, "local_monorepo", lambda: None)
    monkeypatch.setattr(scaffold, "runtime_version", lambda: "1.4.2")
    monkeypatch.delenv(scaffold.MIRROR_ENV, raising=False)

    chosen = scaffold.choose_template(None)
    assert chosen.render == str(bundle)
    assert (chosen.recorded_source, chosen.recorded_commit) == (scaffold.PUBLIC_TEMPLATE, "v1.4.2")
    assert chosen.runtime_path is None

    monkeypatch.setenv(scaffold.MIRROR_ENV, "https://git.acme.example/mirrors/aether.git")
    mirror = scaffold.choose_template(None)
    assert mirror.render == str(bundle)
    assert mirror.recorded_source == "https://git.acme.example/mirrors/aether.git"


def test_a_fork_is_rendered_and_recorded_as_given():
    chosen = scaffold.choose_template("gh:acme/aether-template")
    assert chosen == scaffold.TemplateSource(render="gh:acme/aether-template")


def test_an_installation_without_the_template_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.setattr(scaffold, "BUNDLED_TEMPLATE", tmp_path / "missing")
    monkeypatch.setattr(scaffold, "local_monorepo", lambda: None)
    with pytest.raises(scaffold.AetherError) as caught:
        scaffold.choose_template(None)
    assert scaffold.PUBLIC_TEMPLATE in caught.value.hint


def git(*args: str, cwd: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_aether_template_names_a_fork_to_render(aether, tmp_path):
    fork = tmp_path / "fork"
    fork.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", fork / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", fork / "template", symlinks=True)
    git("init", "--quiet", cwd=fork)
    git("add", "--all", cwd=fork)
    git("commit", "--quiet", "-m", "fork", cwd=fork)

    done = aether(tmp_path, "new", "made", "--defaults", env={"AETHER_TEMPLATE": str(fork)})

    assert done.returncode == 0, done.stderr
    answers = yaml.safe_load((tmp_path / "made" / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(fork)
    assert answers["aether_runtime_path"] == ""  # a fork decides where the runtime comes from
