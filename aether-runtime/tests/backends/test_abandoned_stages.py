"""What a killed run staged outside local folders (a staging table, a staged object) is
removed by the next run, which then publishes normally: nothing is left behind."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

KILLED_WHILE_STAGING = {"AETHER_TEST_CRASH_AT": "during-staging"}


def _with_doubled(entry: str):
    return lambda text: text.replace(
        "doubled:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv",
        "doubled:\n" + entry,
    )


def _tables(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return sorted(r[0] for r in db.execute("select name from sqlite_master where type='table'"))


def test_a_staging_table_left_by_a_killed_run_is_dropped(make_project, aether) -> None:
    entry = "  type: SQLTableDataSet\n  table_name: doubled\n  credentials: db\n"
    project = make_project(
        catalog=_with_doubled(entry), local={"credentials.yml": "db: {con: 'sqlite:///w.db'}\n"}
    )

    killed = aether(project, "run", env=KILLED_WHILE_STAGING)

    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    (left,) = _tables(project / "w.db")
    assert left.startswith("_aether_stage_")  # then 8 hex naming this project's entry

    rerun = aether(project, "run")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _tables(project / "w.db") == ["doubled"]
    assert (project / "data/03_primary/total.csv").read_text().splitlines()[-1] == "12"


def test_an_object_staged_by_a_killed_run_is_removed(
    make_project, aether, s3_bucket: str, s3_credentials: dict[str, str]
) -> None:
    import s3fs

    entry = (
        f"  type: PandasCsvDataSet\n  filepath: s3://{s3_bucket}/doubled.csv\n  credentials: lake\n"
    )
    lake = "lake:\n" + "".join(f"  {k}: {v}\n" for k, v in s3_credentials.items())
    project = make_project(catalog=_with_doubled(entry), local={"credentials.yml": lake})
    fs = s3fs.S3FileSystem(**s3_credentials)

    killed = aether(project, "run", env=KILLED_WHILE_STAGING)

    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    (left,) = fs.ls(s3_bucket, detail=False)
    assert Path(left).name.startswith(".doubled.csv.tmp-")

    rerun = aether(project, "run")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    fs.invalidate_cache()
    assert fs.ls(s3_bucket, detail=False) == [f"{s3_bucket}/doubled.csv"]
