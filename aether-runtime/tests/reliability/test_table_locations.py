"""One table, one writer: tables are locations too, however their database and name are
spelled. Checked from the configuration's text: nothing connects to a database, so the
PostgreSQL cases need no server (their URLs point nowhere)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import assert_no_secret, assert_refused, snapshot

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]
PASSWORD = "s3cret-Table-Pass"


def tables(doubled: tuple[str, str], total: tuple[str, str], *, schema: str = "") -> str:
    """The fixture catalog with ``doubled`` and ``total`` as tables: (credentials, table)."""
    schema_line = f"  schema: {schema}\n" if schema else ""
    return f"""\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
doubled:
  type: SQLTableDataSet
  table_name: '{doubled[1]}'
  credentials: {doubled[0]}
total:
  type: SQLTableDataSet
  table_name: '{total[1]}'
  credentials: {total[0]}
{schema_line}"""


def credentials(**urls: str) -> dict[str, str]:
    return {"credentials.yml": "".join(f"{name}:\n  con: '{url}'\n" for name, url in urls.items())}


CASES = {
    "one sqlite file spelt two ways": (
        credentials(a="sqlite:///data/w.db", b="sqlite:///./data/../data/w.db"),
        ("a", "t"),
        ("b", "t"),
    ),
    "sqlite names differing in case": (
        credentials(a="sqlite:///data/w.db"),
        ("a", "Totals"),
        ("a", "totals"),
    ),
    "duckdb names differing in case": (
        credentials(a="duckdb:///data/w.duckdb", b="duckdb:///data/w.duckdb"),
        ("a", "Totals"),
        ("b", "TOTALS"),
    ),
    "postgresql port with a leading zero, host as a parameter": (
        credentials(
            a=f"postgresql://etl:{PASSWORD}@127.0.0.1:5544/shop",
            b=f"postgresql://etl:{PASSWORD}@/shop?host=localhost&port=05544",
        ),
        ("a", "totals"),
        ("b", "totals"),
    ),
    "postgresql host and driver spelt two ways": (
        credentials(
            a=f"postgresql+psycopg://etl:{PASSWORD}@localhost:5432/shop",
            b=f"postgresql://etl:{PASSWORD}@127.0.0.1/shop",
        ),
        ("a", "totals"),
        ("b", "totals"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_two_outputs_of_one_table_are_refused(
    make_project: MakeProject, aether: Aether, case: str, command: str
) -> None:
    """Two nodes writing one table, spelled differently (a database file's path, a host,
    a driver, a name's case where the engine folds it): exit 2 from `validate` and `run`,
    one line naming both entries, nothing written, no password shown."""
    local, doubled, total = CASES[case]
    project = make_project(catalog=tables(doubled, total), local=local)
    before = snapshot(project)

    result = aether(project, command)

    line = assert_refused(result, project, before, "'doubled'", "'total'", "same location")
    assert "a table of its own" in line
    assert_no_secret(PASSWORD, project, result)


def test_an_output_table_that_is_a_source_table_is_refused(
    make_project: MakeProject, aether: Aether
) -> None:
    """An output table that is the very table a source entry reads (the schema spelled out on
    one side only) is refused: a run would replace the raw rows with its own."""
    catalog = """\
raw:
  type: SQLTableDataSet
  table_name: numbers
  credentials: warehouse
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
total:
  type: SQLTableDataSet
  table_name: NUMBERS
  schema: main
  credentials: warehouse
"""
    project = make_project(
        catalog=catalog,
        pipeline=lambda text: text.replace("rows: numbers,", "rows: raw,"),
        local=credentials(warehouse="sqlite:///data/w.db"),
    )
    before = snapshot(project)

    result = aether(project, "validate")

    assert_refused(result, project, before, "'total'", "'raw'")


def test_an_output_table_in_the_state_database_is_refused(
    make_project: MakeProject, aether: Aether
) -> None:
    """A table written into `.aether/state.db` (however the path is spelled) is refused
    before anything runs: it would break Aether's own state."""
    project = make_project(
        catalog=tables(("a", "doubled"), ("b", "total")),
        local=credentials(a="sqlite:///data/w.db", b="sqlite:///./data/../.aether/state.db"),
    )
    assert aether(project, "status").returncode == 0  # the state database exists
    before = snapshot(project)

    result = aether(project, "run")

    line = assert_refused(result, project, before, "'total'", ".aether")
    assert "database" in line


def test_an_output_through_a_symlinked_conf_folder_is_refused(
    make_project: MakeProject, aether: Aether, tmp_path: Path
) -> None:
    """With `conf/base` a symlink to a folder elsewhere, an output naming a file in it
    (`conf/base/parameters.yml`) is refused: the folder is compared where it really is."""
    project = make_project(
        catalog=lambda text: text.replace(
            "data/03_primary/total.csv", "conf/base/parameters.yml"
        ).replace(
            "type: PandasCsvDataSet\n  filepath: conf", "type: PandasCsvDataSet\n  filepath: conf"
        )
    )
    elsewhere = tmp_path / "shared-conf" / "base"
    elsewhere.parent.mkdir()
    (project / "conf" / "base").rename(elsewhere)
    (project / "conf" / "base").symlink_to(elsewhere)
    before = snapshot(project)
    parameters = (elsewhere / "parameters.yml").read_text()

    result = aether(project, "run")

    assert_refused(result, project, before, "'total'", "conf/")
    assert (elsewhere / "parameters.yml").read_text() == parameters


def test_read_only_aliases_of_one_table_are_allowed(
    make_project: MakeProject, aether: Aether
) -> None:
    """Two source entries reading one table (no node writes it) stay allowed."""
    catalog = """\
raw:
  type: SQLTableDataSet
  table_name: numbers
  credentials: warehouse
raw_again:
  type: SQLTableDataSet
  table_name: NUMBERS
  credentials: warehouse
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
"""
    project = make_project(catalog=catalog, local=credentials(warehouse="sqlite:///data/w.db"))

    result = aether(project, "validate")

    assert result.returncode == 0, result.stdout + result.stderr
