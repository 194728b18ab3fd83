"""Rendering the template with both engines: files, syntax, parity, validation, workflows."""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .conftest import ANSWERS_FILE, BIN, REPO_ROOT, files_of, git, project_env

ANSWER_SETS = {
    "defaults": {},
    "everything": {
        "project_name": "Acme Sales Pipelines",
        "description": 'Sales data: "orders" & revenue, daily',
        "author_name": "Ana O'Neil",
        "author_email": "ana@acme.example",
        "python_version": "3.12",
        "license": "Apache-2.0",
        "include_spark": True,
        "include_docker": True,
        "include_vscode": True,
        "scheduled_runs": "aws",
        "databricks_bundle": True,
    },
    "minimal": {
        "project_name": "Lean",
        "project_slug": "lean-etl",
        "package_name": "lean_pipelines",
        "python_version": "3.10",
        "license": "Proprietary",
        "include_vscode": False,
        "aether_runtime_version": "==0.1.0",
        "aether_runtime_path": "/opt/aether/aether-runtime",
    },
    "bsd-no-extras": {
        "project_name": "Finance Marts",
        "license": "BSD-3-Clause",
        "python_version": "3.13",
        "scheduled_runs": "gcp",
    },
    "azure-runs": {"project_name": "Cloud Runs", "scheduled_runs": "azure"},
}
ENGINES = ["copier", "cookiecutter"]
UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|\{#|cookiecutter\.")
TEXT_SUFFIXES = {
    "", ".md", ".py", ".yml", ".yaml", ".toml", ".json", ".cfg", ".txt", ".csv", ".ipynb",
}  # fmt: skip
EXAMPLE = REPO_ROOT / "examples" / "orders"
DATA_LAYERS = (
    "01_raw", "02_intermediate", "03_primary", "04_feature",
    "05_model_input", "06_models", "07_model_output", "08_reporting",
)  # fmt: skip


def text_files(files: dict[str, bytes]) -> dict[str, str]:
    return {
        name: data.decode() for name, data in files.items() if Path(name).suffix in TEXT_SUFFIXES
    }


def is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def package_of(answers: dict) -> str:
    """The package name the template derives when the answers do not give one."""
    name = answers.get("project_name", "My Data Project")
    slug = answers.get("project_slug", name.lower().strip().replace(" ", "-").replace("_", "-"))
    return answers.get("package_name", slug.replace("-", "_"))


@pytest.fixture(params=list(ANSWER_SETS), scope="module")
def answers_id(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("engine", ENGINES)
def test_renders_the_expected_files(bake, engine, answers_id):
    answers = ANSWER_SETS[answers_id]
    project = bake(engine, **answers)
    files = files_of(project)
    package = package_of(answers)

    expected = {
        "Makefile", "pyproject.toml", "README.md", "CONTRIBUTING.md", ".gitignore",
        ".python-version", ".pre-commit-config.yaml", "mkdocs.yml", "docs/index.md",
        "docs/reference.md", "docs/testing.md", ".github/workflows/pr_checks.yml",
        ".github/workflows/docs.yml",
        "conf/base/catalog.yml", "conf/base/parameters.yml",
        "conf/base/pipeline.yml", "conf/local/credentials.example.yml", "data/01_raw/orders.csv",
        "conf/prod/parameters.yml",
        "conf/base/glossary.yml", "conf/base/governance.yml",
        f"src/{package}/__init__.py", f"src/{package}/nodes/__init__.py",
        f"src/{package}/nodes/orders.py", f"src/{package}/nodes/reports.py",
        f"src/{package}/nodes/customers.py", "tests/unit/test_customers.py",
        "tests/integration/test_customers_db.py",
        "tests/conftest.py", "tests/unit/test_nodes.py", "tests/integration/test_pipeline.py",
        "tests/e2e/test_cli.py", "data/README.md", ".github/dependabot.yml",
        ".github/pull_request_template.md", ".github/CODEOWNERS",
        "notebooks/explore.ipynb",
        *(f"data/{layer}/.gitkeep" for layer in DATA_LAYERS),
    }  # fmt: skip
    optional = {
        "Dockerfile": answers.get("include_docker", False),
        ".dockerignore": answers.get("include_docker", False),
        "conf/base/spark.yml": answers.get("include_spark", False),
        f"src/{package}/nodes/spark_reports.py": answers.get("include_spark", False),
        "tests/integration/test_spark_pipeline.py": answers.get("include_spark", False),
        ".vscode/extensions.json": answers.get("include_vscode", True),
        ".vscode/settings.json": answers.get("include_vscode", True),
        ".vscode/tasks.json": answers.get("include_vscode", True),
        "LICENSE": answers.get("license", "MIT") != "Proprietary",
        ".github/workflows/publish.yml": answers.get("license", "MIT") != "Proprietary",
        ".github/workflows/run.yml": answers.get("scheduled_runs", "none") != "none",
        "databricks.yml": answers.get("databricks_bundle", False),
        "conf/databricks/catalog.yml": answers.get("databricks_bundle", False),
        ANSWERS_FILE: engine == "copier",
    }
    wanted = expected | {name for name, present in optional.items() if present}
    assert set(files) == wanted
    # Both engines keep the folder of skipped files; git does not track an empty folder.
    empty = {p.relative_to(project).as_posix() for p in project.rglob("*") if is_empty_dir(p)}
    assert empty == (
        ({".vscode"} if not answers.get("include_vscode", True) else set())
        | ({"conf/databricks"} if not answers.get("databricks_bundle", False) else set())
    )


def test_every_file_is_fully_rendered_and_parses(bake, answers_id):
    project = bake("copier", **ANSWER_SETS[answers_id])

    for name, text in text_files(files_of(project)).items():
        assert not UNRENDERED.search(text), f"{name} has unrendered template syntax"
        if Path(name).name == ".gitkeep":
            assert not text, name
            continue
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{name}: one final newline"
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), f"{name}: trailing whitespace"
        suffix = Path(name).suffix
        if suffix in {".yml", ".yaml"}:
            assert yaml.safe_load(text) is not None, name
        elif suffix == ".toml":
            tomllib.loads(text)
        elif suffix in {".json", ".ipynb"}:
            json.loads(text)
        elif suffix == ".py":
            ast.parse(text, filename=name)


def test_answers_reach_pyproject(bake, answers_id):
    answers = ANSWER_SETS[answers_id]
    project = bake("copier", **answers)

    meta = tomllib.loads((project / "pyproject.toml").read_text())
    version = answers.get("aether_runtime_version", ">=0.1")
    if answers.get("aether_runtime_path"):
        version = ""  # the local checkout decides, whatever its (dev) version
    assert meta["project"]["dependencies"] == [f"aether-data{version}"]
    assert meta["project"]["requires-python"] == f">={answers.get('python_version', '3.11')}"
    assert meta["project"]["authors"][0]["name"] == answers.get("author_name", "Your Name")
    assert meta["project"]["description"] == answers.get(
        "description", "Data pipelines built with Aether"
    )
    sources = meta.get("tool", {}).get("uv", {}).get("sources", {})
    if answers.get("aether_runtime_path"):
        runtime = {"path": answers["aether_runtime_path"], "editable": True}
        assert sources == {"aether-data": runtime}
    else:
        assert sources == {}
    assert ("spark" in meta["project"].get("optional-dependencies", {})) == answers.get(
        "include_spark", False
    )


def test_cookiecutter_and_copier_render_identical_projects(bake, answers_id):
    answers = ANSWER_SETS[answers_id]
    by_copier = files_of(bake("copier", **answers))
    by_cookiecutter = files_of(bake("cookiecutter", **answers))

    assert by_copier.pop(ANSWERS_FILE)
    assert sorted(by_copier) == sorted(by_cookiecutter)
    different = [name for name in by_copier if by_copier[name] != by_cookiecutter[name]]
    assert not different, f"engines disagree on {different}"


def test_copier_answers_file_records_every_question_and_nothing_else(bake, answers_id):
    project = bake("copier", **ANSWER_SETS[answers_id])

    recorded = yaml.safe_load((project / ANSWERS_FILE).read_text())
    questions = json.loads((REPO_ROOT / "template" / "cookiecutter.json").read_text())
    public = {name for name in questions if not name.startswith("_")}
    assert {name for name in recorded if not name.startswith("_")} == public
    assert {"_commit", "_src_path"} <= set(recorded)


def test_ruff_accepts_the_generated_code(bake, answers_id):
    project = bake("copier", **ANSWER_SETS[answers_id])

    for args in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [BIN / "ruff", *args, "--no-cache", "."], cwd=project, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_pass_the_schema_and_actionlint(bake, answers_id):
    project = bake("copier", **ANSWER_SETS[answers_id])
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.yml"))
    answers = ANSWER_SETS[answers_id]
    expected = 2 + (answers.get("license") != "Proprietary")
    expected += answers.get("scheduled_runs", "none") != "none"
    assert len(workflows) == expected

    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    lint = subprocess.run([BIN / "actionlint", *workflows], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_workflows_keep_github_expressions_and_publish_without_tokens(bake):
    project = bake("copier", python_version="3.12")
    workflows = project / ".github" / "workflows"

    pr_checks = yaml.safe_load((workflows / "pr_checks.yml").read_text())
    matrix = pr_checks["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert matrix == ["3.12", "3.13"]
    assert "${{ matrix.python-version }}" in (workflows / "pr_checks.yml").read_text()
    steps = [step.get("run") for job in pr_checks["jobs"].values() for step in job["steps"]]
    assert {"make lint", "make test"} <= set(steps)

    publish_text = (workflows / "publish.yml").read_text()
    publish = yaml.safe_load(publish_text)["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert "secrets." not in publish_text and "password" not in publish_text

    docs = yaml.safe_load((workflows / "docs.yml").read_text())["jobs"]
    assert "${{ steps.deployment.outputs.page_url }}" in docs["deploy"]["environment"]["url"]
    assert {"run": "make docs"} in docs["build"]["steps"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("license", ["MIT", "Proprietary"])
def test_only_publishable_projects_get_the_publish_workflow(bake, engine, license):
    project = bake(engine, license=license)

    publish = project / ".github" / "workflows" / "publish.yml"
    assert publish.is_file() == (license != "Proprietary")
    contributing = (project / "CONTRIBUTING.md").read_text()
    assert ("publish.yml" in contributing) == (license != "Proprietary")


def test_python_choices_run_oldest_to_newest_and_default_to_3_11(bake):
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    copier_question = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["python_version"]
    assert copier_question["choices"] == sorted(copier_question["choices"], key=key)
    assert copier_question["default"] == "3.11"
    # Cookiecutter's default is always its first item: 3.11 first, then oldest to newest.
    listed = json.loads((REPO_ROOT / "template" / "cookiecutter.json").read_text())
    choices = listed["python_version"]
    assert choices[0] == "3.11"
    assert choices[1:] == sorted(choices[1:], key=key)
    assert sorted(choices, key=key) == copier_question["choices"]
    for engine in ENGINES:
        meta = tomllib.loads((bake(engine) / "pyproject.toml").read_text())
        assert meta["project"]["requires-python"] == ">=3.11", engine


def test_example_is_the_bundled_orders_example(bake):
    project = bake("copier", package_name="shop_data")

    def same(generated: str, bundled: str) -> None:
        expected = (EXAMPLE / bundled).read_text().replace("orders_demo", "shop_data")
        assert (project / generated).read_text() == expected, generated

    for name in ("catalog.yml", "parameters.yml", "pipeline.yml"):
        same(f"conf/base/{name}", f"conf/base/{name}")
    for name in ("orders.py", "reports.py"):
        same(f"src/shop_data/nodes/{name}", f"src/orders_demo/nodes/{name}")
    same("data/01_raw/orders.csv", "data/01_raw/orders.csv")


def test_catalog_metadata_is_never_cut_at_a_comma(bake):
    """A flow-style `{description: a, b}` becomes {description: a, b: None}: block style only."""
    project = bake("copier")
    for catalog in (project / "conf/base/catalog.yml", EXAMPLE / "conf/base/catalog.yml"):
        entries = yaml.safe_load(catalog.read_text())
        for name, entry in entries.items():
            metadata = entry.get("metadata", {})
            assert None not in metadata.values(), f"{catalog}: {name}: {metadata}"
        description = entries["clean_orders"]["metadata"]["description"]
        assert description == "Real orders with an amount, test orders removed"


@pytest.mark.parametrize("engine", ENGINES)
def test_data_layers_are_kept_in_git_but_their_contents_are_not(bake, engine):
    project = bake(engine)
    for layer in DATA_LAYERS:
        assert (project / "data" / layer / ".gitkeep").is_file(), layer
        assert f"`{layer}/`" in (project / "data" / "README.md").read_text(), layer
    git("init", "--quiet", cwd=project)
    produced = ["data/03_primary/customers.parquet", "data/08_reporting/daily.csv", "data/x.csv"]
    kept = [*(f"data/{layer}/.gitkeep" for layer in DATA_LAYERS), "data/01_raw/orders.csv"]
    kept.append("data/README.md")

    def ignored(path: str) -> bool:
        done = subprocess.run(["git", "check-ignore", "--quiet", "--no-index", path], cwd=project)
        assert done.returncode in (0, 1), path
        return done.returncode == 0

    assert all(ignored(path) for path in produced)
    assert not [path for path in kept if ignored(path)]
    git("add", "--all", cwd=project)
    tracked = set(git("ls-files", "data", cwd=project).split())
    assert tracked == set(kept)


def test_makefile_has_every_target_help_first_and_includes_local_mk(bake):
    makefile = (bake("copier") / "Makefile").read_text()

    targets = re.findall(r"^([a-z]+):", makefile, re.MULTILINE)
    wanted = ["help", "install", "run", "test", "lint", "format", "docs", "viz", "status"]
    assert {*wanted, "update", "clean"} <= set(targets)
    assert ".DEFAULT_GOAL := help" in makefile
    assert makefile.rstrip().endswith("-include local.mk")


def test_make_viz_honours_args_and_writes_where_aether_viz_does(bake):
    project = bake("copier")
    help_text = subprocess.run(
        [BIN / "python", "-m", "aether", "viz", "--help"], capture_output=True, text=True
    ).stdout
    runtime_default = re.search(r"html default:\s*(\S+?)\)", help_text)
    assert runtime_default, help_text
    default = runtime_default.group(1)

    def make_viz(*variables: str) -> str:
        done = subprocess.run(
            ["make", "--dry-run", "--no-print-directory", "viz", "UV=uv", *variables],
            cwd=project,
            capture_output=True,
            text=True,
            env=project_env(),
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return " ".join(next(ln for ln in done.stdout.splitlines() if "aether viz" in ln).split())

    html = f"uv run aether viz --format html --output {default}"
    assert make_viz() == html
    assert make_viz("ARGS=--pipeline orders") == f"{html} --pipeline orders"
    assert make_viz("ARGS=--format mermaid") == "uv run aether viz --format mermaid"
    assert make_viz("ARGS=-f json -o dag.json") == "uv run aether viz -f json -o dag.json"
    assert (
        make_viz("VIZ_OUTPUT=site/dag.html")
        == "uv run aether viz --format html --output site/dag.html"
    )


def test_cookiecutter_from_the_repository_root_uses_the_router(
    template_repo, cookiecutter_config, tmp_path, bake
):
    from cookiecutter.main import cookiecutter

    made = Path(
        cookiecutter(
            str(template_repo),
            no_input=True,
            output_dir=str(tmp_path / "routed"),
            config_file=str(cookiecutter_config),
        )
    )

    assert files_of(made) == files_of(bake("cookiecutter"))


BAD_ANSWERS = {
    "slug-with-capitals": (
        {"project_slug": "My_Project"},
        "project_slug 'My_Project' is not valid",
    ),
    "slug-leading-digit": ({"project_slug": "1-data"}, "project_slug '1-data' is not valid"),
    "package-with-dash": ({"package_name": "my-pkg"}, "package_name 'my-pkg' is not valid"),
    "package-keyword": ({"package_name": "class"}, "package_name 'class' is reserved"),
    "package-aether": ({"package_name": "aether"}, "package_name 'aether' is reserved"),
    "slug-too-long": ({"project_slug": "a" * 65}, "project_slug is too long (65 characters)"),
    "package-too-long": (
        {"package_name": "a" * 65},
        "package_name is too long (65 characters)",
    ),
    "name-on-two-lines": (
        {"project_name": "Sales\nData", "project_slug": "sales"},
        "project_name must be a single line",
    ),
    "runtime-version": (
        {"aether_runtime_version": "0.1"},
        "aether_runtime_version '0.1' is not a version specifier",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_both_engines_reject_bad_names_with_the_same_message(bake, case, capfd):
    answers, message = BAD_ANSWERS[case]

    with pytest.raises(ValueError, match=re.escape(message)):
        bake("copier", **answers)
    with pytest.raises(FailedHookException):
        bake("cookiecutter", **answers)
    assert f"error: {message}" in capfd.readouterr().err


def test_aether_new_makes_the_same_project_as_copier(template_repo, bake, tmp_path):
    """`aether new` is copier underneath (SPEC §4); skipped until the runtime has the command."""
    aether = [str(BIN / "python"), "-m", "aether"]
    if subprocess.run([*aether, "new", "--help"], capture_output=True).returncode != 0:
        pytest.skip("the runtime has no `aether new` command yet")
    dest = tmp_path / "new"
    options = ["--defaults", "--template", str(template_repo), "--data", "project_name=Via New"]

    done = subprocess.run([*aether, "new", str(dest), *options], capture_output=True, text=True)

    assert done.returncode == 0, done.stdout + done.stderr
    made, expected = files_of(dest), files_of(bake("copier", project_name="Via New"))
    made.pop(ANSWERS_FILE), expected.pop(ANSWERS_FILE)
    assert made == expected


LOGINS = [
    ("aws", "aws-actions/configure-aws-credentials@v4"),
    ("azure", "azure/login@v2"),
    ("gcp", "google-github-actions/auth@v2"),
]


@pytest.mark.parametrize(("cloud", "login"), LOGINS)
def test_scheduled_runs_assume_a_cloud_role_run_prod_gate_and_keep_the_evidence(bake, cloud, login):
    project = bake("copier", scheduled_runs=cloud)
    workflow = yaml.safe_load((project / ".github" / "workflows" / "run.yml").read_text())
    triggers = workflow[True]  # PyYAML reads the key `on` as True
    job = workflow["jobs"]["run"]
    steps = job["steps"]
    runs = [step.get("run", "") for step in steps]

    assert "schedule" in triggers and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "id-token": "write"}
    logins = {uses for _, uses in LOGINS}
    assert [step["uses"] for step in steps if step.get("uses") in logins] == [login]
    assert not any("secrets." in str(value) for value in steps)  # no long-lived secret
    assert 'uv run aether run --env "$AETHER_ENV"' in runs
    assert 'uv run aether status --env "$AETHER_ENV" --exit-code' in runs
    assert job["env"]["AETHER_ENV"] == "${{ inputs.env || 'prod' }}"
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload"))
    assert upload["if"] == "always()" and "dag.html" in upload["with"]["path"]
    assert (project / "conf" / "prod" / "parameters.yml").exists()


def test_no_scheduled_runs_by_default(bake):
    project = bake("copier")

    assert not (project / ".github" / "workflows" / "run.yml").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_codeowners_is_in_step_with_the_example_catalog(bake, engine):
    """`aether validate` passes right after generation: the CODEOWNERS block matches the catalog."""
    project = bake(engine)

    def aether(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "aether"), *args, "--project", str(project)],
            capture_output=True, text=True, env=project_env(), timeout=300,
        )  # fmt: skip

    validated = aether("validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    rendered = aether("catalog", "codeowners")
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout in (project / ".github" / "CODEOWNERS").read_text()
    assert "/data/08_reporting/daily_revenue.csv @acme/finance" in rendered.stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_databricks_bundle_runs_aether_from_a_wheel_on_a_job_cluster(bake, engine):
    """The keys Databricks documents for a bundle (no bundle schema is available offline)."""
    project = bake(engine, databricks_bundle=True, package_name="shop_data")
    bundle = yaml.safe_load((project / "databricks.yml").read_text())

    assert bundle["bundle"]["name"] == "my-data-project"
    assert {name: target["mode"] for name, target in bundle["targets"].items()} == {
        "dev": "development",
        "prod": "production",
    }
    assert bundle["targets"]["dev"]["default"] is True
    artifact = bundle["artifacts"]["project"]
    assert artifact["type"] == "whl" and artifact["build"].startswith("uv build")
    job = bundle["resources"]["jobs"]["shop_data_run"]
    (task,) = job["tasks"]
    wheel = task["python_wheel_task"]
    assert wheel["package_name"] == "aether_data" and wheel["entry_point"] == "aether"
    assert wheel["parameters"] == [
        "run", "--env", "databricks", "--project", "${workspace.file_path}",
    ]  # fmt: skip
    assert task["libraries"] == [{"whl": "./dist/*.whl"}]
    (cluster,) = job["job_clusters"]
    assert cluster["job_cluster_key"] == task["job_cluster_key"]
    assert {"spark_version", "node_type_id", "num_workers"} <= set(cluster["new_cluster"])
    # The synced files carry conf/ (not ignored by git); the data and secrets stay behind.
    ignored = (project / ".gitignore").read_text().splitlines()
    assert "conf/local/*" in ignored and "data/**" in ignored and ".aether/" in ignored
    assert not any(line.startswith("conf/") and "local" not in line for line in ignored)


def test_databricks_env_is_a_valid_aether_environment(bake):
    project = bake("copier", databricks_bundle=True)
    catalog = yaml.safe_load((project / "conf/databricks/catalog.yml").read_text())
    base = yaml.safe_load((project / "conf/base/catalog.yml").read_text())

    assert set(catalog) == set(base)
    assert all(entry["filepath"].startswith("/Volumes/") for entry in catalog.values())
    validated = subprocess.run(
        [str(BIN / "aether"), "validate", "--env", "databricks", "--project", str(project)],
        capture_output=True, text=True, env=project_env(), timeout=300,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "(env databricks)" in validated.stdout


def test_no_databricks_bundle_by_default(bake):
    project = bake("copier")

    assert not (project / "databricks.yml").exists()
    assert not list((project / "conf").glob("databricks/*"))
