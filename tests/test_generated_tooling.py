"""The generated project's tooling, as rendered: hooks, types, coverage, versions, CI, notebooks.

These read the rendered files; test_build.py runs them (slow: installs the project).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .conftest import BIN, bake_with_cookiecutter, bake_with_copier, files_of

# The executables the hooks run, by the distribution of the dev group that installs them.
HOOK_TOOLS = {
    "check-yaml": "pre-commit-hooks",
    "check-toml": "pre-commit-hooks",
    "end-of-file-fixer": "pre-commit-hooks",
    "trailing-whitespace-fixer": "pre-commit-hooks",
    "check-added-large-files": "pre-commit-hooks",
    "nbstripout": "nbstripout",
    "ruff": "ruff",
    "mypy": "mypy",
    "check-jsonschema": "check-jsonschema",
}


def pyproject_of(project: Path) -> dict:
    return tomllib.loads((project / "pyproject.toml").read_text())


def dev_group(project: Path) -> set[str]:
    """The distribution names of the `dev` dependency group, without specifiers or extras."""
    specs = pyproject_of(project)["dependency-groups"]["dev"]
    return {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0] for spec in specs}


def test_every_pre_commit_hook_is_local_and_runs_a_dev_dependency(bake):
    project = bake("copier")
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    dev = dev_group(project)

    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = config["repos"][0]["hooks"]
    assert {"ruff-check", "ruff-format", "mypy", "nbstripout"} <= {hook["id"] for hook in hooks}
    assert "pre-commit" in dev
    for hook in hooks:
        assert hook["language"] == "system", hook["id"]
        executable = hook["entry"].split()[0]
        assert executable.startswith(".venv/bin/"), hook["id"]
        assert HOOK_TOOLS[executable.removeprefix(".venv/bin/")] in dev, hook["id"]


def test_make_install_installs_the_hooks_only_at_the_top_of_a_git_repository(bake):
    makefile = (bake("copier") / "Makefile").read_text()
    recipe = makefile.split("\ninstall:", 1)[1].split("\n\n", 1)[0]

    assert "$(UV) sync" in recipe
    # $(UV) (a bootstrapped uv too) runs the pre-commit of .venv: no uvx, no global install.
    assert re.search(r"if \[ -e \.git \]; then \$\(UV\) run pre-commit install;", recipe)
    assert "uvx" not in makefile


def test_lint_type_checks_and_test_measures_coverage_against_a_threshold(bake):
    project = bake("copier", package_name="shop_data")
    makefile = (project / "Makefile").read_text()
    meta = pyproject_of(project)

    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    test = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "$(UV) run mypy" in lint
    assert "$(UV) run pytest --cov" in test
    assert {"mypy", "pytest-cov", "pytest-mock"} <= dev_group(project)
    assert meta["tool"]["coverage"]["run"]["source"] == ["shop_data"]
    assert 50 <= meta["tool"]["coverage"]["report"]["fail_under"] < 100
    assert meta["tool"]["mypy"]["files"] == ["src", "tests"]
    strict, pandas = meta["tool"]["mypy"]["overrides"]
    assert strict["module"] == ["shop_data", "shop_data.*"] and strict["disallow_untyped_defs"]
    # pandas-stubs rejects idiomatic pandas: pandas is read as untyped (test_build.py runs it).
    assert "pandas-stubs" not in dev_group(project)
    assert pandas == {"module": ["pandas", "pandas.*"], "ignore_missing_imports": True}


def test_the_tests_show_the_mocking_strategies_of_each_edge(bake):
    """dbutils injected as a MagicMock fixture, the API patched with mocker, SQLite in memory."""
    project = bake("copier", package_name="shop_data")
    tests = project / "tests"
    conftest = (tests / "conftest.py").read_text()
    unit = (tests / "unit" / "test_customers.py").read_text()
    integration = (tests / "integration" / "test_customers_db.py").read_text()

    assert "def dbutils(mocker: MockerFixture) -> MagicMock:" in conftest
    assert "def test_landed_files_lists_the_folder_through_dbutils(dbutils):" in unit
    assert 'mocker.patch.object(customers, "urlopen")' in unit
    assert 'sqlite3.connect(":memory:")' in integration
    assert "def dbutils(dbutils" not in unit and "patch" not in integration  # real, not mocked
    assert "pytest-mock" in dev_group(project)
    testing = (project / "docs" / "testing.md").read_text()
    assert "mocker.patch.object" in testing and "MagicMock" in testing and ":memory:" in testing


def test_the_version_comes_from_git_tags_with_a_fallback_before_the_first_commit(bake):
    meta = pyproject_of(bake("copier"))

    assert "version" not in meta["project"] and meta["project"]["dynamic"] == ["version"]
    assert any(req.startswith("hatch-vcs") for req in meta["build-system"]["requires"])
    assert meta["tool"]["hatch"]["version"]["source"] == "vcs"
    assert meta["tool"]["hatch"]["version"]["raw-options"]["fallback_version"] == "0.1.0"
    # Without the tags in uv's cache keys, `uv sync` keeps the version of the last install.
    assert {"git": {"commit": True, "tags": True}} in meta["tool"]["uv"]["cache-keys"]


def test_ci_checks_the_lock_file_and_builds_with_the_tags(bake):
    workflows = bake("copier") / ".github" / "workflows"
    pr_checks = yaml.safe_load((workflows / "pr_checks.yml").read_text())["jobs"]
    publish = yaml.safe_load((workflows / "publish.yml").read_text())["jobs"]

    lint_runs = [step.get("run") for step in pr_checks["lint"]["steps"]]
    assert lint_runs.index("uv lock --locked") < lint_runs.index("make install")
    for job in (pr_checks["build"], publish["build"]):
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
        assert checkout["with"]["fetch-depth"] == 0


def test_dependabot_updates_the_actions_and_the_uv_lock(bake):
    config = bake("copier") / ".github" / "dependabot.yml"

    updates = yaml.safe_load(config.read_text())["updates"]
    assert {update["package-ecosystem"] for update in updates} == {"github-actions", "uv"}
    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.dependabot", str(config)],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr


@pytest.mark.parametrize("engine", ["copier", "cookiecutter"])
def test_the_starter_notebook_loads_the_catalog_and_has_no_outputs(bake, engine):
    project = bake(engine)

    notebook = json.loads((project / "notebooks" / "explore.ipynb").read_text())
    assert notebook["nbformat"] == 4
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code and all(cell["outputs"] == [] for cell in code)
    assert all(cell["execution_count"] is None for cell in code)
    source = "\n".join("".join(cell["source"]) for cell in code)
    assert "from aether.project import load_context" in source
    assert "context = load_context()" in source and "context.catalog.load(" in source
    assert "notebooks/explore.ipynb" in (project / "README.md").read_text()


def runtime_source(project: Path) -> str:
    return pyproject_of(project)["tool"]["uv"]["sources"]["aether-data"]["path"]


def test_the_runtime_path_is_written_relative_to_the_project_by_both_engines(
    template_repo, cookiecutter_config, tmp_path
):
    runtime = tmp_path / "checkout" / "aether-runtime"
    answers = {"aether_runtime_path": str(runtime)}
    # At the same depth under tmp_path: the relative path is the same for both.
    by_copier = bake_with_copier(template_repo, tmp_path / "copier" / "my-data-project", answers)
    by_cookiecutter = bake_with_cookiecutter(
        template_repo, tmp_path / "cookiecutter", answers, cookiecutter_config
    )

    assert runtime_source(by_copier) == "../../checkout/aether-runtime"
    assert (by_copier / runtime_source(by_copier)).resolve() == runtime
    copied, cut = files_of(by_copier), files_of(by_cookiecutter)
    copied.pop(".copier-answers.yml")
    assert copied == cut


def test_a_runtime_path_is_kept_as_given_where_no_relative_path_fits(
    template_repo, tmp_path, monkeypatch
):
    far = bake_with_copier(template_repo, tmp_path / "far", {"aether_runtime_path": "/opt/rt"})
    relative = bake_with_copier(
        template_repo, tmp_path / "relative", {"aether_runtime_path": "../rt"}
    )
    monkeypatch.chdir(tmp_path)  # copier told only "unknown": it cannot know where that is
    bake_with_copier(template_repo, Path("unknown"), {"aether_runtime_path": str(tmp_path / "rt")})

    assert runtime_source(far) == "/opt/rt"  # sharing only "/": a relative path would mislead
    assert runtime_source(relative) == "../rt"  # already relative to the project
    assert runtime_source(tmp_path / "unknown") == str(tmp_path / "rt")


@pytest.mark.parametrize("engine", ["copier", "cookiecutter"])
def test_the_readme_says_how_ci_gets_a_runtime_from_a_local_path(bake, engine):
    with_path = (bake(engine, aether_runtime_path="/opt/rt") / "README.md").read_text()
    from_index = (bake(engine) / "README.md").read_text()

    assert "## Where the runtime comes from" in with_path
    assert "A CI runner has no such\nfolder" in with_path
    assert "[tool.uv.sources]" in with_path and "actions/checkout" in with_path
    assert "Where the runtime comes from" not in from_index
