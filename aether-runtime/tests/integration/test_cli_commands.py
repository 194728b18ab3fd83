"""The CLI against small fixture projects: run options, validate, catalog, help and version."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "orders"
SECRET_KEY_ID = "AKIA-RECOGNISABLE-KEY-ID-4242"
SECRET_VALUE = "s3cret-RECOGNISABLE-VALUE-7777"
REMOTE_ENTRY = """\
remote_orders:
  type: PandasCsvDataSet
  filepath: s3://shop-exports/orders.csv
  credentials: s3_exports
  metadata: {owner: finance, description: Orders mirrored to the exports bucket}
"""
CREDENTIALS = f"""\
s3_exports:
  key: {SECRET_KEY_ID}
  secret: {SECRET_VALUE}
"""
PROD_AND_LOCAL = {
    "envs": {"prod": {"parameters.yml": "factor: 10\n"}},
    "local": {"parameters.yml": "factor: 100\n"},
}


def _total(project: Path) -> int:
    return int((project / "data/03_primary/total.csv").read_text().split()[-1])


def _data_files(project: Path) -> list[str]:
    return sorted(str(p.relative_to(project)) for p in (project / "data").rglob("*") if p.is_file())


# run ---------------------------------------------------------------------------------------
def test_run_materializes_every_output(make_project: MakeProject, aether: Aether) -> None:
    project = make_project("plain")

    result = aether(project, "run")

    assert result.returncode == 0, result.stderr
    assert _total(project) == 12  # (1 + 2 + 3) * factor 2
    assert "2 succeeded" in result.stdout


def test_env_prod_uses_prod_and_ignores_local(make_project: MakeProject, aether: Aether) -> None:
    project = make_project("env_prod", **PROD_AND_LOCAL)

    assert aether(project, "run").returncode == 0
    assert _total(project) == 600  # local is the default environment
    assert aether(project, "run", "--env", "prod").returncode == 0
    assert _total(project) == 60


def test_aether_env_variable_selects_the_environment(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project("aether_env", **PROD_AND_LOCAL)

    result = aether(project, "run", env={"AETHER_ENV": "prod"})

    assert result.returncode == 0, result.stderr
    assert _total(project) == 60


def test_unknown_env_is_bad_input(make_project: MakeProject, aether: Aether) -> None:
    project = make_project("unknown_env", **PROD_AND_LOCAL)

    result = aether(project, "run", "--env", "staging")

    assert result.returncode == 2
    assert result.stderr.startswith("error: Environment 'staging'")
    assert "local, prod" in result.stderr


def test_params_override_changes_the_output(make_project: MakeProject, aether: Aether) -> None:
    project = make_project("params_override")

    result = aether(project, "run", "--params", "factor=5")

    assert result.returncode == 0, result.stderr
    assert _total(project) == 30


@pytest.mark.parametrize(
    ("options", "ran"),
    [
        (["--nodes", "double"], ["double"]),
        (["--to-nodes", "double"], ["double"]),
        (["--from-nodes", "total"], ["total"]),
        (["--tags", "report"], ["total"]),
        (["--from-nodes", "double", "--tags", "report"], ["total"]),
    ],
)
def test_node_selection_runs_only_the_selected_nodes(
    make_project: MakeProject, aether: Aether, options: list[str], ran: list[str]
) -> None:
    project = make_project("selection")
    assert aether(project, "run", "--nodes", "double").returncode == 0  # total's input exists
    (project / "data/02_intermediate/doubled.csv").write_text("n\n7\n")

    result = aether(project, "run", "--force", *options)  # selection alone, whatever is fresh

    assert result.returncode == 0, result.stdout + result.stderr
    progress = [line.split() for line in result.stdout.splitlines() if line.startswith("[")]
    succeeded = [words[1] for words in progress if words[2] == "succeeded"]
    assert succeeded == ran
    doubled = (project / "data/02_intermediate/doubled.csv").read_text()
    assert (doubled == "n\n7\n") == ("double" not in ran)


def test_dry_run_prints_the_plan_and_writes_nothing(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project("dry_run")

    result = aether(project, "run", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "Plan for pipeline 'main': 2 to run" in result.stdout
    assert "double" in result.stdout and "total" in result.stdout
    assert _data_files(project) == ["data/01_raw/numbers.csv"]


def test_failing_node_exits_1_and_prints_the_resume_command(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "failing_node", pipeline=lambda text: text.replace("mini.nodes.total", "mini.nodes.boom")
    )

    result = aether(project, "run", "--params", "factor=3")

    assert result.returncode == 1
    output = " ".join(result.stdout.split())
    assert "Node 'total' failed: ValueError: boom on purpose" in output
    assert "Resume with: aether run --params factor=3" in output
    assert "--from-nodes" not in output
    assert "Traceback" not in result.stdout + result.stderr
    assert (project / "data/02_intermediate/doubled.csv").exists()


def test_parallel_runner_writes_the_same_outputs_as_sequential(
    make_project: MakeProject, aether: Aether
) -> None:
    sequential, parallel = make_project("sequential"), make_project("parallel")

    assert aether(sequential, "run").returncode == 0
    result = aether(parallel, "run", "--runner", "parallel", "--workers", "2")

    assert result.returncode == 0, result.stdout + result.stderr
    for relative in ("data/02_intermediate/doubled.csv", "data/03_primary/total.csv"):
        assert (parallel / relative).read_bytes() == (sequential / relative).read_bytes()


def test_project_option_runs_a_project_from_elsewhere(
    make_project: MakeProject, aether: Aether, tmp_path: Path
) -> None:
    project = make_project("elsewhere")

    result = aether(tmp_path, "run", "--project", str(project))

    assert result.returncode == 0, result.stderr
    assert _total(project) == 12


def test_outside_a_project_says_how_to_get_one(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "run")

    assert result.returncode == 2
    assert result.stderr.startswith("error: No Aether project found")


# validate ----------------------------------------------------------------------------------
def test_validate_passes_on_the_example_project(aether: Aether, orders_project: Path) -> None:
    result = aether(orders_project, "validate")

    assert result.returncode == 0, result.stderr
    assert "Configuration is valid: 1 pipeline(s), 2 node(s), 3 catalog entries" in result.stdout


def test_validate_lists_several_problems_at_once(make_project: MakeProject, aether: Aether) -> None:
    project = make_project(
        "many_problems",
        catalog=lambda text: text.replace(
            "type: PandasCsvDataSet\n  filepath: data/03",
            "type: PandasCvsDataSet\n  filepath: data/03",
        ),
        pipeline=lambda text: text.replace("rows: doubled", "rows: dubled"),
        parameters="unrelated: 1\n",
    )

    result = aether(project, "validate")

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) >= 3, result.stderr
    assert any("unknown type 'PandasCvsDataSet'" in line for line in errors)
    assert any("'dubled'" in line for line in errors)
    assert any("parameter 'factor'" in line for line in errors)
    assert _data_files(project) == ["data/01_raw/numbers.csv"]


def test_validate_flags_secrets_committed_in_conf_base(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "committed_secret",
        catalog=lambda text: (
            text
            + "api_orders:\n  type: PandasCsvDataSet\n  filepath: x.csv\n"
            + "  load_args:\n    storage_options:\n      password: letmein\n"
        ),
    )

    result = aether(project, "validate")

    assert result.returncode == 2
    assert "conf/base/catalog.yml:16: 'password' holds a literal secret" in result.stderr
    assert "conf/local/credentials.yml" in result.stderr


def test_validate_reports_a_catalog_problem_once(make_project: MakeProject, aether: Aether) -> None:
    project = make_project(
        "catalog_problem_once",
        catalog=lambda text: text.replace(
            "type: PandasCsvDataSet\n  filepath: data/03",
            "type: PandasCvsDataSet\n  filepath: data/03",
        ),
    )

    result = aether(project, "validate")

    assert result.returncode == 2
    assert result.stderr.count("unknown type 'PandasCvsDataSet'") == 1, result.stderr


def test_validate_does_not_flag_env_references_numbers_or_flags(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "not_secrets",
        catalog=lambda text: (
            text
            + "db_orders:\n  type: PandasCsvDataSet\n  filepath: x.csv\n"
            + '  load_args:\n    storage_options:\n      password: "${env:DB_PASSWORD}"\n'
        ),
        parameters="factor: 2\nmax_tokens: 512\nuse_token: true\n",
    )

    result = aether(project, "validate", env={"DB_PASSWORD": "from-the-environment"})

    assert result.returncode == 0, result.stderr
    assert "Configuration is valid" in result.stdout


def test_validate_flags_a_credentials_file_in_conf_base(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project("credentials_in_base", files={"conf/base/credentials.yml": CREDENTIALS})

    result = aether(project, "validate")

    assert result.returncode == 2
    assert "conf/base/credentials.yml exists" in result.stderr
    assert SECRET_VALUE not in result.stderr


# catalog -----------------------------------------------------------------------------------
@pytest.fixture
def secret_project(make_project: MakeProject) -> Path:
    return make_project(
        "with_credentials",
        catalog=lambda text: text + REMOTE_ENTRY,
        local={"credentials.yml": CREDENTIALS},
    )


def _assert_no_secret(result: subprocess.CompletedProcess[str]) -> None:
    for secret in (SECRET_KEY_ID, SECRET_VALUE):
        assert secret not in result.stdout + result.stderr


def test_catalog_list_json(secret_project: Path, aether: Aether) -> None:
    result = aether(secret_project, "catalog", "list", "--json")

    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["datasets"]}
    assert sorted(rows) == ["doubled", "numbers", "remote_orders", "total"]
    assert rows["numbers"]["owner"] == "data-team"
    assert rows["remote_orders"]["location"] == "s3://shop-exports/orders.csv"
    _assert_no_secret(result)


def test_catalog_list_piped_keeps_every_row_whole(secret_project: Path, aether: Aether) -> None:
    """Piped (not a terminal), the listing is one line per dataset, never wrapped at 80
    columns: ``aether catalog list | grep`` finds a name, its type and its location."""
    result = aether(secret_project, "catalog", "list")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "type", "location", "owner", "description"]
    remote = next(line for line in lines if line.startswith("remote_orders "))
    assert "s3://shop-exports/orders.csv" in remote
    assert len(lines) == 1 + 4
    _assert_no_secret(result)


@pytest.mark.parametrize("as_json", [True, False])
def test_catalog_describe_hides_credentials(
    secret_project: Path, aether: Aether, as_json: bool
) -> None:
    result = aether(secret_project, "catalog", "describe", "remote_orders", *(["--json"] * as_json))

    assert result.returncode == 0, result.stderr
    assert "<s3_exports: hidden>" in result.stdout
    assert "Orders mirrored to the exports bucket" in result.stdout
    _assert_no_secret(result)
    if as_json:
        assert json.loads(result.stdout)["defined_in"] == "conf/base/catalog.yml:11"


@pytest.mark.parametrize(
    "args",
    [["catalog", "list"], ["validate"], ["run", "--dry-run"], ["catalog", "describe", "nope"]],
)
def test_no_command_ever_prints_a_secret(
    secret_project: Path, aether: Aether, args: list[str]
) -> None:
    _assert_no_secret(aether(secret_project, *args))


def test_catalog_describe_unknown_name_suggests(secret_project: Path, aether: Aether) -> None:
    result = aether(secret_project, "catalog", "describe", "nubmers")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: The catalog has no dataset 'nubmers' — did you mean 'numbers'?"
    )


def test_catalog_types_lists_the_builtin_types(secret_project: Path, aether: Aether) -> None:
    result = aether(secret_project, "catalog", "types")

    assert result.returncode == 0
    assert {"PandasCsvDataSet", "PandasParquetDataSet", "MemoryDataSet"} <= set(
        result.stdout.split()
    )


# version and help ------------------------------------------------------------------------------
def test_version(aether: Aether, tmp_path: Path) -> None:
    from aether import __version__

    result = aether(tmp_path, "--version")

    assert result.returncode == 0
    assert result.stdout.strip() == f"aether {__version__}"


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["validate"], ["catalog"], ["catalog", "list"], ["catalog", "describe"],
     ["catalog", "types"]],
)  # fmt: skip
def test_every_help_has_an_example(aether: Aether, tmp_path: Path, command: list[str]) -> None:
    result = aether(tmp_path, *command, "--help")

    assert result.returncode == 0, result.stderr
    assert "Example" in result.stdout


def test_help_imports_no_pandas(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "sys.argv = ['aether', '--help']\n"
        "from aether.cli.app import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "heavy = {'pandas', 'pyarrow', 'fsspec'} & {m.split('.')[0] for m in sys.modules}\n"
        "print('HEAVY', sorted(heavy))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )

    assert "HEAVY []" in result.stdout
