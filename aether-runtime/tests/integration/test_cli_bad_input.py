"""Bad input (issue 2): one test per kind, each a small project named for its scenario.

Every one must exit 2 with a single ``error: <what and where> — <what to do>`` line on
stderr, no traceback, and write nothing (no file outside data/01_raw).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]

REMOTE_ENTRY = """\
remote_orders:
  type: PandasCsvDataSet
  filepath: s3://shop-exports/orders.csv
  credentials: s3_exports
"""


def _written(project: Path) -> list[str]:
    return sorted(
        str(path.relative_to(project))
        for path in (project / "data").rglob("*")
        if path.is_file() and "01_raw" not in path.parts
    )


def assert_bad_input(
    result: subprocess.CompletedProcess[str], project: Path, *culprits: str
) -> str:
    """Exit 2, one ``error:`` line naming every culprit, with a hint; nothing written."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ")
    assert " — " in line, f"no hint in: {line}"
    for culprit in culprits:
        assert culprit in line, f"{culprit!r} not in: {line}"
    assert "Traceback" not in result.stderr + result.stdout
    assert _written(project) == []
    return line


def test_malformed_yaml_names_file_and_line(make_project: MakeProject, aether: Aether) -> None:
    project = make_project(
        "malformed_yaml",
        catalog=lambda text: text.replace(
            "  filepath: data/02_intermediate/doubled.csv",
            "   filepath: data/02_intermediate/doubled.csv",
        ),
    )

    line = assert_bad_input(aether(project, "run"), project, "Malformed YAML")

    assert "conf/base/catalog.yml:7:" in line


def test_unknown_dataset_type_suggests_the_nearest(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "unknown_type",
        catalog=lambda text: text.replace(
            "type: PandasCsvDataSet\n  filepath: data/03",
            "type: PandasCvsDataSet\n  filepath: data/03",
        ),
    )

    assert_bad_input(
        aether(project, "run"),
        project,
        "Dataset 'total'",
        "conf/base/catalog.yml:8",
        "unknown type 'PandasCvsDataSet'",
        "did you mean 'PandasCsvDataSet'?",
    )


def test_missing_input(make_project: MakeProject, aether: Aether) -> None:
    project = make_project(
        "missing_input", pipeline=lambda text: text.replace("rows: doubled", "rows: dubled")
    )

    assert_bad_input(
        aether(project, "run"), project, "Node 'total'", "'dubled'", "did you mean 'doubled'?"
    )


def test_duplicate_output(make_project: MakeProject, aether: Aether) -> None:
    project = make_project(
        "duplicate_output", pipeline=lambda text: text.replace("outputs: total", "outputs: doubled")
    )

    assert_bad_input(
        aether(project, "run"), project, "dataset 'doubled'", "node 'double'", "node 'total'"
    )


def test_cycle_is_printed_as_a_path(make_project: MakeProject, aether: Aether) -> None:
    project = make_project(
        "cyclic", pipeline=lambda text: text.replace("rows: numbers", "rows: total")
    )

    assert_bad_input(
        aether(project, "run"),
        project,
        "has a cycle: double -> [doubled] -> total -> [total] -> double",
    )


def test_missing_credentials_key(make_project: MakeProject, aether: Aether) -> None:
    project = make_project(
        "missing_credentials_key",
        catalog=lambda text: text + REMOTE_ENTRY,
        local={"credentials.yml": "other_bucket:\n  key: SECRET_OTHER_KEY\n"},
    )

    line = assert_bad_input(
        aether(project, "run"),
        project,
        "Dataset 'remote_orders'",
        "'s3_exports'",
        "conf/local/credentials.yml",
    )
    assert "SECRET_OTHER_KEY" not in line


def test_credentials_referenced_without_a_credentials_file(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project("no_credentials_file", catalog=lambda text: text + REMOTE_ENTRY)

    assert_bad_input(
        aether(project, "run"),
        project,
        "'s3_exports'",
        "conf/local/credentials.yml does not exist",
    )


def test_unknown_pipeline(make_project: MakeProject, aether: Aether) -> None:
    project = make_project("unknown_pipeline")

    assert_bad_input(
        aether(project, "run", "--pipeline", "mian"),
        project,
        "Unknown pipeline 'mian'",
        "did you mean 'main'?",
    )


def test_transformation_path_that_does_not_import(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "bad_transformation_path",
        pipeline=lambda text: text.replace("mini.nodes.total", "mini.nodez.total"),
    )

    assert_bad_input(aether(project, "run"), project, "Node 'total'", "'mini.nodez.total'", "src/")


def test_missing_parameter(make_project: MakeProject, aether: Aether) -> None:
    project = make_project("missing_parameter", parameters="unrelated: 1\n")

    assert_bad_input(
        aether(project, "run"), project, "Node 'double'", "parameter 'factor'", "parameters.yml"
    )


@pytest.mark.parametrize("params", ["factor", "factor=[1,"])
def test_malformed_params(make_project: MakeProject, aether: Aether, params: str) -> None:
    project = make_project("malformed_params")

    assert_bad_input(aether(project, "run", "--params", params), project, f"'{params}'", "--params")


def test_transformation_returning_the_wrong_number_of_outputs(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "wrong_output_count",
        pipeline=lambda text: text.replace("mini.nodes.total", "mini.nodes.pair").replace(
            "outputs: total", "outputs: [total, total_copy]"
        ),
    )

    result = aether(project, "run")

    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "Node 'total' declares 2 outputs ['total', 'total_copy'] but its transformation "
        "returned 3 values"
    ) in " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in result.stderr
    assert not (project / "data/03_primary/total.csv").exists()


def test_transformation_returning_the_wrong_output_names(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project(
        "wrong_output_names",
        pipeline=lambda text: text.replace("mini.nodes.total", "mini.nodes.halves").replace(
            "outputs: total", "outputs: {first: total, second: total_copy}"
        ),
    )

    result = aether(project, "run")

    assert result.returncode == 2, result.stdout + result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert (
        "Node 'total' returned keys ['first', 'wrong_key'], expected ['first', 'second']" in output
    )
    assert not (project / "data/03_primary/total.csv").exists()


def test_debug_shows_the_traceback_that_is_otherwise_hidden(
    make_project: MakeProject, aether: Aether
) -> None:
    project = make_project("debug_traceback", parameters="unrelated: 1\n")

    result = aether(project, "--debug", "run")

    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "parameter 'factor'" in result.stderr


@pytest.mark.parametrize("args", [("run", "--debug"), ("run", "--env", "local", "--debug")])
def test_debug_after_the_command_works_as_before_it(
    make_project: MakeProject, aether: Aether, args: tuple[str, ...]
) -> None:
    """Errors say "see the traceback with --debug"; users put it after the command."""
    project = make_project("debug_after", parameters="unrelated: 1\n")

    result = aether(project, *args)

    assert result.returncode != 0
    assert "No such option" not in result.stderr
    assert "Traceback" in result.stderr


def test_debug_stays_with_the_commands_that_pass_their_arguments_on() -> None:
    from aether.cli.app import debug_first

    assert debug_first(["run", "--debug"]) == ["--debug", "run"]
    assert debug_first(["test", "--debug"]) == ["test", "--debug"]  # pytest's own --debug
    assert debug_first(["run", "--", "--debug"]) == ["run", "--", "--debug"]
    assert debug_first(["--debug", "run"]) == ["--debug", "run"]
