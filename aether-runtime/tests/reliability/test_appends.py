"""Appends happen exactly once: a run killed right after its append was committed, before
Aether recorded it, does not append the same rows again when the next run retries."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from .conftest import assert_no_traceback

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]


def test_a_delta_append_killed_after_its_commit_is_not_appended_again(
    make_project: MakeProject, aether: Aether
) -> None:
    """`mode: append` to a Delta table; the run is SIGKILLed right after the commit. The
    next run retries the node and the table holds the rows once (it used to hold them
    twice); a run with new input appends the new rows."""
    import deltalake

    project = make_project(
        catalog=lambda text: text.replace(
            "doubled:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv\n",
            "doubled:\n  type: DeltaTableDataSet\n  filepath: data/02_intermediate/doubled\n"
            "  save_args: {mode: append}\n",
        )
    )
    table = project / "data/02_intermediate/doubled"

    killed = aether(project, "run", env={"AETHER_TEST_CRASH_AT": "after-saving"})
    assert killed.returncode != 0
    assert len(deltalake.DeltaTable(str(table)).to_pandas()) == 3  # committed, not recorded

    retry = aether(project, "run")

    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert_no_traceback(retry)
    assert sorted(deltalake.DeltaTable(str(table)).to_pandas()["n"]) == [2, 4, 6]

    (project / "data/01_raw/numbers.csv").write_text("n\n5\n")
    assert aether(project, "run").returncode == 0
    assert sorted(deltalake.DeltaTable(str(table)).to_pandas()["n"]) == [2, 4, 6, 10]


def test_a_sql_append_killed_after_its_publish_is_not_appended_again(
    make_project: MakeProject, aether: Aether, database_url: str
) -> None:
    """`if_exists: append` to a table; the run is SIGKILLed right after the publish
    committed. The next run retries the node and the table holds the rows once (it used to
    hold them twice); new input appends new rows."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    project = make_project(
        catalog=lambda text_: text_.replace(
            "doubled:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv\n",
            "doubled:\n  type: SQLTableDataSet\n  table_name: doubled\n  credentials: db\n"
            "  save_args: {if_exists: append}\n",
        ),
        local={"credentials.yml": f"db:\n  con: '{database_url}'\n"},
    )

    def rows() -> list[int]:
        engine = create_engine(database_url, poolclass=NullPool)
        with engine.connect() as connection:
            found = sorted(r[0] for r in connection.execute(text("SELECT n FROM doubled")))
        engine.dispose()
        return found

    killed = aether(project, "run", env={"AETHER_TEST_CRASH_AT": "after-publishing"})
    assert killed.returncode != 0
    assert rows() == [2, 4, 6]  # committed, not recorded

    retry = aether(project, "run")

    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert_no_traceback(retry)
    assert rows() == [2, 4, 6]
    (project / "data/01_raw/numbers.csv").write_text("n\n5\n")
    assert aether(project, "run").returncode == 0
    assert rows() == [2, 4, 6, 10]
