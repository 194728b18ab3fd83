"""What a SQL table publish promises when frames change type, projects race, names are odd
and runs fail: against real SQLite, DuckDB and PostgreSQL."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from .conftest import assert_no_traceback

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]


def query(url: str, statement: str) -> list[tuple]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def table_project(
    make_project: MakeProject,
    url: str,
    *,
    name: str = "project",
    table: str = "doubled",
    schema: str | None = None,
    nodes: str | None = None,
    save_args: str = "{}",
) -> Path:
    """The fixture project whose ``doubled`` is a table in ``url``."""
    schema_line = f"  schema: '{schema}'\n" if schema else ""
    entry = (
        "doubled:\n  type: SQLTableDataSet\n"
        f"  table_name: '{table}'\n{schema_line}  credentials: warehouse\n"
        f"  save_args: {save_args}\n"
    )
    return make_project(
        name,
        catalog=lambda text_: text_.replace(
            "doubled:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv\n",
            entry,
        ),
        local={"credentials.yml": f"warehouse:\n  con: '{url}'\n"},
        files={"src/mini/extra.py": nodes} if nodes else None,
    )


def run_ok(aether: Aether, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = aether(project, "run", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    return result


def test_new_types_replace_the_tables_types_not_the_values(
    make_project: MakeProject, aether: Aether, database_url: str
) -> None:
    """A table made of integers, then replaced by 1.5, 3.0, 4.5: the table holds 1.5, 3.0,
    4.5 (it used to keep its integer column and hold 2, 3, 4 in DuckDB and PostgreSQL)."""
    project = table_project(make_project, database_url)
    run_ok(aether, project)
    assert sorted(query(database_url, "SELECT n FROM doubled")) == [(2,), (4,), (6,)]

    run_ok(aether, project, "--params", "factor=1.5")

    assert sorted(query(database_url, "SELECT n FROM doubled")) == [(1.5,), (3.0,), (4.5,)]


@pytest.mark.parametrize("database_url", ["duckdb", "postgresql"], indirect=True)
def test_appending_rows_the_table_would_cast_fails_in_one_line(
    make_project: MakeProject, aether: Aether, database_url: str
) -> None:
    """Appending 1.5 to an integer table fails the node in one line naming the column; the
    table keeps exactly its rows (nothing cast, nothing half appended)."""
    # Not SQLite: it stores 1.5 in an integer column as 1.5, nothing is cast.
    project = table_project(make_project, database_url, save_args="{if_exists: append}")
    run_ok(aether, project)

    result = aether(project, "run", "--params", "factor=1.5")

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "would change values" in result.stdout and "n: table" in result.stdout, result.stdout
    assert sorted(query(database_url, "SELECT n FROM doubled")) == [(2,), (4,), (6,)]


def test_a_name_holding_percent_and_quote_publishes_every_time(
    make_project: MakeProject, aether: Aether, postgres_url: str
) -> None:
    """A legal PostgreSQL schema and table name holding `%` and `"` is published on every
    run, not only the first."""
    query(postgres_url, 'CREATE SCHEMA "sch%""ema"')
    project = table_project(make_project, postgres_url, table='we%ird"name', schema='sch%"ema')
    for factor in (2, 3, 4):
        run_ok(aether, project, "--params", f"factor={factor}")
        rows = query(postgres_url, 'SELECT n FROM "sch%""ema"."we%ird""name"')
        assert sorted(rows) == [(factor,), (2 * factor,), (3 * factor,)]


MANY_ROWS = """\
import pandas as pd


def many(rows, factor):
    count = 60_000
    return pd.DataFrame({"n": range(count), "run": [int(factor)] * count})
"""


def test_two_projects_replacing_one_table_at_once_leave_one_runs_rows(
    make_project: MakeProject, aether: Aether, postgres_url: str
) -> None:
    """Two projects replace one PostgreSQL table at the same moment, three rounds: after each
    the table holds one run's rows, never both (it used to hold both, every round)."""
    projects = [
        table_project(
            make_project,
            postgres_url,
            name=f"p{i}",
            nodes=MANY_ROWS,
            table="shared",
        )
        for i in (1, 2)
    ]
    for project in projects:
        pipeline = project / "conf/base/pipeline.yml"
        pipeline.write_text(pipeline.read_text().replace("mini.nodes.double", "mini.extra.many"))
    for round_ in range(3):
        results: list[subprocess.CompletedProcess[str]] = []

        def run(project: Path, factor: int, into: list = results) -> None:
            into.append(aether(project, "run", "--force", "--params", f"factor={factor}"))

        threads = [
            threading.Thread(target=run, args=(project, i + 10 * round_))
            for i, project in enumerate(projects, start=1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for result in results:
            assert result.returncode == 0, result.stdout + result.stderr
        counts = query(postgres_url, "SELECT run, COUNT(*) FROM shared GROUP BY run")
        assert len(counts) == 1 and counts[0][1] == 60_000, (round_, counts)


FAILING_SECOND_OUTPUT = '''\
import pandas as pd
from sqlalchemy import create_engine, text

from aether import AbstractDataSet


def both(rows, factor):
    return rows.assign(n=rows["n"] * factor), rows


class PinsTheStage(AbstractDataSet):
    """Saved after the table is staged: pins the staging table with a view (so discarding it
    fails, as when the database went away) and fails."""

    def __init__(self, con):
        self._con = con

    def _save(self, data):
        engine = create_engine(self._con)
        with engine.begin() as connection:
            stage = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE tablename LIKE '_aether_stage_%'")
            ).scalar_one()
            connection.execute(text(f'CREATE VIEW pin AS SELECT * FROM "{stage}"'))
        engine.dispose()
        raise RuntimeError("the second output failed")

    def _load(self):
        raise NotImplementedError

    def _exists(self):
        return False

    def _describe(self):
        return {}
'''


def test_a_failed_runs_staging_table_is_removed_by_the_next_run(
    make_project: MakeProject, aether: Aether, postgres_url: str
) -> None:
    """A run fails after staging a table and cannot drop its staging table (a view pins it,
    as a database gone away would). Once that is resolved, the next good run removes it (it
    used to stay for good: only a killed run's stages were looked for)."""
    project = table_project(make_project, postgres_url, nodes=FAILING_SECOND_OUTPUT)
    catalog = project / "conf/base/catalog.yml"
    catalog.write_text(
        catalog.read_text() + f"pinned:\n  type: mini.extra.PinsTheStage\n  con: '{postgres_url}'\n"
    )
    pipeline = project / "conf/base/pipeline.yml"
    pipeline.write_text(
        pipeline.read_text()
        .replace("mini.nodes.double", "mini.extra.both")
        .replace("outputs: doubled", "outputs: [doubled, pinned]")
    )
    failed = aether(project, "run")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    stages = "SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_aether\\_stage\\_%'"
    assert len(query(postgres_url, stages)) == 1
    query(postgres_url, "DROP VIEW pin")
    catalog.write_text(catalog.read_text().split("pinned:")[0])
    pipeline.write_text(
        pipeline.read_text().replace("outputs: [doubled, pinned]", "outputs: doubled")
    )
    pipeline.write_text(pipeline.read_text().replace("mini.extra.both", "mini.nodes.double"))

    run_ok(aether, project)

    assert query(postgres_url, stages) == []


def test_a_projects_clean_up_never_drops_another_projects_staging_table(
    make_project: MakeProject, aether: Aether, postgres_url: str
) -> None:
    """Two projects write tables whose long names share their first 40 bytes. Both are
    killed while staging; the next run of one removes its own staging table and leaves the
    other's alone (it used to drop both: their names shared a cut prefix)."""
    prefix = "a_very_long_table_name_shared_by_two_projects_"
    projects = [
        table_project(make_project, postgres_url, name=f"p{i}", table=f"{prefix}{i}")
        for i in (1, 2)
    ]
    stages = "SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_aether\\_stage\\_%'"
    for project in projects:
        killed = aether(project, "run", env={"AETHER_TEST_CRASH_AT": "during-staging"})
        assert killed.returncode != 0
    left = sorted(row[0] for row in query(postgres_url, stages))
    assert len(left) == 2, left

    run_ok(aether, projects[0])

    remaining = [row[0] for row in query(postgres_url, stages)]
    assert len(remaining) == 1 and remaining[0] in left, (left, remaining)
    run_ok(aether, projects[1])
    assert query(postgres_url, stages) == []


SHAPES = """\
import pandas as pd


def shaped(rows, kind):
    columns = {
        "int": [1, 2, 3],
        "text": ["1", "02", "x"],
        "bool": [True, False, True],
        "float": [1.5, None, 2.0],
    }
    return pd.DataFrame({"n": columns[kind]})
"""


@pytest.mark.parametrize(("before", "after"), [("int", "text"), ("bool", "float")])
def test_a_replace_with_other_column_types_is_published(
    make_project: MakeProject, aether: Aether, database_url: str, before: str, after: str
) -> None:
    """Integers replaced by text, booleans by floats: the publish recreates the table with
    the new types and the values read back as written (it used to fail on PostgreSQL and
    DuckDB, the old column types refusing the new values)."""
    project = table_project(make_project, database_url, nodes=SHAPES)
    pipeline = project / "conf/base/pipeline.yml"
    pipeline.write_text(
        pipeline.read_text()
        .replace("mini.nodes.double", "mini.extra.shaped")
        .replace("factor: params:factor", "kind: params:kind")
    )
    (project / "conf/base/parameters.yml").write_text(f"factor: 2\nkind: {before}\n")
    run_ok(aether, project, "--nodes", "double")

    run_ok(aether, project, "--nodes", "double", "--params", f"kind={after}")

    import pandas as pd

    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        read = pd.read_sql("SELECT n FROM doubled", connection)["n"].tolist()
    engine.dispose()
    expected = {"text": ["1", "02", "x"], "float": [1.5, None, 2.0]}[after]
    assert [None if pd.isna(v) else v for v in read] == expected


def test_sqlite_keeps_the_moment_of_a_timezone_aware_time(
    make_project: MakeProject, aether: Aether, tmp_path: Path
) -> None:
    """A time with a UTC offset written to SQLite (which has no such type) is stored in
    UTC: the same moment, never the wall time with the offset dropped."""
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    nodes = """\
import pandas as pd


def stamped(rows, factor):
    return pd.DataFrame({"at": pd.to_datetime(["2024-01-01T00:00:00+02:00"])})
"""
    project = table_project(make_project, url, nodes=nodes)
    pipeline = project / "conf/base/pipeline.yml"
    pipeline.write_text(pipeline.read_text().replace("mini.nodes.double", "mini.extra.stamped"))

    run_ok(aether, project, "--nodes", "double")

    assert query(url, "SELECT at FROM doubled")[0][0].startswith("2023-12-31 22:00:00")
