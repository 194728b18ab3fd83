"""The monorepo's own workflows, and the release workflow's helpers.

Every workflow passes the GitHub workflow schema and actionlint. The release workflow runs on a
`v*` tag, publishes with PyPI Trusted Publishing only (environment `pypi`, `id-token: write`,
no token), and takes its release notes from the CHANGELOG section that
`scripts/changelog_section.py` extracts.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from .conftest import BIN, REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
CI = REPO_ROOT / ".github" / "workflows" / "ci.yml"
RELEASE = REPO_ROOT / ".github" / "workflows" / "release.yml"
SCRIPT = REPO_ROOT / "scripts" / "changelog_section.py"
CHANGELOG = """\
# Changelog

## Unreleased
- Something not released yet.

## 1.4.2 — 2026-03-01

### Runtime
- `aether new` works offline.

## 1.4.1 - 2026-02-01
- A fix.

## 1.4.10
- Not 1.4.1.
"""


def load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def changelog() -> ModuleType:
    return load_script(SCRIPT)


def test_every_workflow_passes_the_schema_and_actionlint():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "release.yml"}
    paths = [str(p) for p in WORKFLOWS]
    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *paths],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    lint = subprocess.run([BIN / "actionlint", *paths], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_release_runs_on_version_tags_and_publishes_with_trusted_publishing():
    text = RELEASE.read_text()
    workflow = yaml.safe_load(text)
    assert workflow[True]["push"] == {"tags": ["v*"]}  # YAML 1.1 reads the key `on` as True
    jobs = workflow["jobs"]
    publish = jobs["publish"]
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    (step,) = [s for s in publish["steps"] if "gh-action-pypi-publish" in s.get("uses", "")]
    assert "with" not in step, "Trusted Publishing needs no password or token"
    assert "secrets." not in text
    assert workflow["permissions"] == {"contents": "read"}
    assert jobs["github-release"]["needs"] == "publish"


def test_release_builds_with_uv_and_checks_before_publishing():
    steps = yaml.safe_load(RELEASE.read_text())["jobs"]["build"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert any(u.startswith("astral-sh/setup-uv@") for u in uses)
    assert "uv build --out-dir dist aether-runtime" in runs
    assert "uvx twine check --strict dist/*" in runs
    assert 'scripts/check_dist.py dist "$GITHUB_REF_NAME"' in runs
    assert 'scripts/changelog_section.py "$GITHUB_REF_NAME"' in runs
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "hatch-vcs needs the tags"


def test_ci_deploys_the_strictly_built_docs_to_github_pages_from_main_only():
    workflow = yaml.safe_load(CI.read_text())
    jobs = workflow["jobs"]
    build = [s.get("uses", "") or s.get("run", "") for s in jobs["docs"]["steps"]]
    upload = next(s for s in jobs["docs"]["steps"] if "upload-pages-artifact" in s.get("uses", ""))

    assert build.index("make docs") < build.index(upload["uses"])
    assert upload["with"]["path"] == "site/"  # mkdocs.yml's site_dir
    deploy = jobs["deploy-docs"]
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert set(deploy["needs"]) == {"docs", "test"}  # a red main publishes nothing
    # OIDC, only in the job that deploys: the workflow stays read-only everywhere else.
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow["permissions"] == {"contents": "read"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    (step,) = deploy["steps"]
    assert step["id"] == "deployment" and step["uses"].startswith("actions/deploy-pages@")


@pytest.mark.parametrize("version", ["1.4.2", "v1.4.2"])
def test_changelog_section_is_the_body_under_the_version_heading(changelog, version):
    assert changelog.section(CHANGELOG, version) == "### Runtime\n- `aether new` works offline.\n"


def test_changelog_section_does_not_take_a_longer_version(changelog):
    assert changelog.section(CHANGELOG, "1.4.1") == "- A fix.\n"
    assert changelog.section(CHANGELOG, "1.4.10") == "- Not 1.4.1.\n"


def test_a_missing_or_empty_section_stops_the_release(changelog, tmp_path):
    with pytest.raises(changelog.MissingSectionError, match=r"no '## 1\.5\.0' section"):
        changelog.section(CHANGELOG, "1.5.0")
    with pytest.raises(changelog.MissingSectionError, match="is empty"):
        changelog.section("## 2.0.0 — soon\n\n## 1.0.0\n- x\n", "2.0.0")
    file = tmp_path / "CHANGELOG.md"
    file.write_text(CHANGELOG)
    done = subprocess.run(
        [sys.executable, SCRIPT, "v1.5.0", "--changelog", file], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "no '## 1.5.0' section" in done.stderr
    assert done.stdout == ""


def test_the_script_prints_the_section(tmp_path):
    file = tmp_path / "CHANGELOG.md"
    file.write_text(CHANGELOG)
    done = subprocess.run(
        [sys.executable, SCRIPT, "v1.4.1", "--changelog", file], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "- A fix.\n"
