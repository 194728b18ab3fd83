"""The generated project's governance: its example catalog, glossary and governance.yml
validate clean in every environment, and `make lint` validates each environment of conf/, so a
rule that names `prod` fails it."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from .conftest import BIN, RUNTIME_PATH, bake_with_copier, project_env

ENGINES = ["copier", "cookiecutter"]
PROD_RULE = "  - {rule: allowed_types, env: prod, types: [SQLTableDataSet], severity: error}\n"


def _aether(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "aether"), *args, "--project", str(project)],
        capture_output=True, text=True, env=project_env(), timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_the_example_validates_clean_in_every_environment(bake, engine):
    project = bake(engine, databricks_bundle=True)
    envs = sorted(p.name for p in (project / "conf").iterdir() if p.name not in ("base", "local"))
    assert envs == ["databricks", "prod"]
    for env in ("local", *envs):
        validated = _aether(project, "validate", "--env", env)
        assert validated.returncode == 0, (env, validated.stdout + validated.stderr)
        assert validated.stderr == "", (env, validated.stderr)  # not even a warning


def test_every_environment_sees_the_same_governed_datasets(bake):
    # An environment's catalog entry replaces the base one whole: one that moved a dataset
    # (conf/databricks) and dropped its metadata made pii_propagation blind there.
    project = bake("copier", databricks_bundle=True)
    described = {
        env: _aether(project, "catalog", "list", "--json", "--env", env).stdout
        for env in ("local", "databricks")
    }
    assert '"pii": true' in described["local"]
    assert described["databricks"].count('"pii": true') == described["local"].count('"pii": true')
    assert '"tier": null' not in described["databricks"]


def test_the_example_catalog_is_governed(bake):
    project = bake("copier")
    listed = _aether(project, "catalog", "list", "--tier", "gold", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"name": "daily_revenue"' in listed.stdout and '"pii": false' in listed.stdout
    # The example shows pii_propagation at work: without removes_pii, validate fails.
    pipeline = project / "conf/base/pipeline.yml"
    text = pipeline.read_text()
    pipeline.write_text(
        "".join(line for line in text.splitlines(True) if "removes_pii" not in line)
    )
    refused = _aether(project, "validate")
    assert refused.returncode == 2
    assert "rule pii_propagation" in refused.stderr and "'daily_revenue'" in refused.stderr


def _uv_shim(folder: Path) -> Path:
    """A stand-in for uv that runs `aether` for real and passes every other tool: what
    `make lint` adds over `aether validate` is the loop over environments, tested here
    without installing the project (test_build.py runs the real `make lint`)."""
    shim = folder / "uv"
    shim.write_text(
        "#!/bin/sh\n"
        '[ "$1" = run ] && shift\n'
        f'if [ "$1" = aether ]; then shift; exec "{BIN / "aether"}" "$@"; fi\n'
        "exit 0\n"
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return shim


def test_make_lint_validates_every_environment_so_prod_rules_bite(bake, tmp_path):
    project = bake("copier", databricks_bundle=True)
    uv = _uv_shim(tmp_path)

    def lint() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "lint", f"UV={uv}"],
            cwd=project, capture_output=True, text=True, env=project_env(), timeout=300,
        )  # fmt: skip

    clean = lint()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert f"{uv} run aether validate --env prod" in clean.stdout
    assert f"{uv} run aether validate --env databricks" in clean.stdout
    assert "(env prod)" in clean.stdout and "(env databricks)" in clean.stdout

    with (project / "conf/base/governance.yml").open("a") as governance:
        governance.write(PROD_RULE)
    refused = lint()
    assert refused.returncode != 0
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert errors and all("not allowed in env prod" in line for line in errors), refused.stderr
    assert "(env local)" in refused.stdout  # local passed: only prod fails


@pytest.mark.slow
def test_the_real_make_lint_fails_on_a_prod_violation(template_repo, tmp_path):
    """The installed project, its own uv, ruff and mypy: clean, then a prod rule broken."""
    project = bake_with_copier(
        template_repo, tmp_path / "governed", {"aether_runtime_path": str(RUNTIME_PATH)}
    )

    def lint() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "lint"], cwd=project, capture_output=True, text=True, env=project_env(),
            timeout=900,
        )  # fmt: skip

    clean = lint()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "aether validate --env prod" in clean.stdout and "(env prod)" in clean.stdout
    with (project / "conf/base/governance.yml").open("a") as governance:
        governance.write(PROD_RULE)
    refused = lint()
    assert refused.returncode != 0
    assert "rule allowed_types" in refused.stderr and "not allowed in env prod" in refused.stderr
