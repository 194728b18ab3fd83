"""A pipeline over Delta tables through the CLI: a local Delta source -> node -> a Delta table
on S3 -> node -> CSV. The table version is the signature: a commit made outside Aether to the
source rebuilds its dependents, and nothing else does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

SOURCE = "data/01_raw/numbers_delta"
TOTAL = "data/03_primary/total.csv"

CATALOG = """\
numbers:
  type: DeltaTableDataSet
  filepath: data/01_raw/numbers_delta
doubled:
  type: DeltaTableDataSet
  filepath: s3://{bucket}/lake/doubled
  credentials: lake
  save_args: {{mode: overwrite}}
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
"""


@pytest.fixture
def delta_project(
    make_project: Callable[..., Path], delta_bucket: str, delta_credentials: dict[str, str]
) -> Path:
    from deltalake import write_deltalake

    lake = "".join(f"  {key}: {value}\n" for key, value in delta_credentials.items())
    root = make_project(
        "delta_pipeline",
        catalog=CATALOG.format(bucket=delta_bucket),
        local={"credentials.yml": f"lake:\n{lake}"},
    )
    write_deltalake(str(root / SOURCE), pd.DataFrame({"n": [1, 2, 3]}))
    return root


def _run_ok(aether: Any, root: Path) -> str:
    result = aether(root, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    return str(result.stdout)


def test_a_second_run_does_nothing(delta_project: Path, aether: Any) -> None:
    first = _run_ok(aether, delta_project)
    assert "double succeeded" in first and "total succeeded" in first
    assert (delta_project / TOTAL).read_text() == "total\n12\n"

    second = _run_ok(aether, delta_project)

    assert "succeeded" not in second and "everything is fresh" in second
    status = aether(delta_project, "status", "--json")
    assert {a["status"] for a in json.loads(status.stdout)["assets"]} == {"fresh"}


def test_an_outside_append_to_the_source_rebuilds_its_dependents(
    delta_project: Path, aether: Any
) -> None:
    from deltalake import write_deltalake

    _run_ok(aether, delta_project)
    write_deltalake(str(delta_project / SOURCE), pd.DataFrame({"n": [4]}), mode="append")

    output = _run_ok(aether, delta_project)

    assert "double succeeded" in output and "total succeeded" in output
    assert (delta_project / TOTAL).read_text() == "total\n20\n"


def test_the_parallel_runner_writes_delta_tables(delta_project: Path, aether: Any) -> None:
    result = aether(delta_project, "run", "--runner", "parallel")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (delta_project / TOTAL).read_text() == "total\n12\n"
