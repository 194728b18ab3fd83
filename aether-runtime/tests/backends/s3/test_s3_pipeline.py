"""A pipeline on S3 through the CLI: a CSV source object -> node -> Parquet object -> node.

The moto server logs every request, so "status downloads nothing" is checked on the server
side: a download is a GET of the object's key.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

LoggedS3 = Any  # the logged_s3 fixture (conftest.py): moto S3 with a request log
SOURCE_KEY = "raw/numbers.csv"
DOUBLED_KEY = "clean/doubled.parquet"
NUMBERS = b"n\n1\n2\n3\n"

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: s3://{bucket}/raw/numbers.csv
  credentials: lake
doubled:
  type: PandasParquetDataSet
  filepath: s3://{bucket}/clean/doubled.parquet
  credentials: lake
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
"""


class S3Project:
    """A project whose source and intermediate data live in one bucket of `logged_s3`."""

    def __init__(self, root: Path, s3: LoggedS3, bucket: str, aether: Callable[..., Any]):
        self.root, self.s3, self.bucket, self._aether = root, s3, bucket, aether

    def aether(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return self._aether(self.root, *args, env=env)

    def run_ok(self, *args: str) -> str:
        result = self.aether("run", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        return str(result.stdout)

    def put_source(self, body: bytes) -> None:
        self.s3.client().put_object(Bucket=self.bucket, Key=SOURCE_KEY, Body=body)

    def statuses(self) -> dict[str, str]:
        result = self.aether("status", "--json")
        assert result.returncode == 0, result.stderr
        return {a["name"]: a["status"] for a in json.loads(result.stdout)["assets"]}


@pytest.fixture
def s3_project(logged_s3: LoggedS3, make_project: Callable[..., Path], aether: Any) -> S3Project:
    bucket = logged_s3.bucket(versioned=True)
    credentials = logged_s3.credentials()
    lake = "".join(f"  {key}: {value}\n" for key, value in credentials.items())
    root = make_project(
        "s3_pipeline",
        catalog=CATALOG.format(bucket=bucket),
        local={"credentials.yml": f"lake:\n{lake}"},
    )
    project = S3Project(root, logged_s3, bucket, aether)
    project.put_source(NUMBERS)
    return project


def test_a_second_run_does_nothing_and_never_downloads_what_it_uploaded(
    s3_project: S3Project,
) -> None:
    first = s3_project.run_ok()
    assert "double succeeded" in first and "total succeeded" in first
    assert (s3_project.root / "data/03_primary/total.csv").read_text() == "total\n12\n"
    # `total` read the Parquet once; the run that wrote it never read it back to hash it.
    assert s3_project.s3.downloads(s3_project.bucket, DOUBLED_KEY) == 1

    second = s3_project.run_ok()

    assert "succeeded" not in second and "everything is fresh" in second
    assert set(s3_project.statuses().values()) == {"fresh"}


def test_the_source_rewritten_with_the_same_bytes_rebuilds_nothing(
    s3_project: S3Project,
) -> None:
    s3_project.run_ok()
    s3_project.put_source(NUMBERS)  # a new object version: new LastModified, same content

    output = s3_project.run_ok()

    assert "succeeded" not in output


def test_a_changed_source_rebuilds_its_dependents(s3_project: S3Project) -> None:
    s3_project.run_ok()
    s3_project.put_source(b"n\n1\n2\n3\n4\n")

    output = s3_project.run_ok()

    assert "double succeeded" in output and "total succeeded" in output
    assert (s3_project.root / "data/03_primary/total.csv").read_text() == "total\n20\n"


def test_status_after_a_run_only_looks_at_the_objects(s3_project: S3Project) -> None:
    s3_project.run_ok()
    s3_project.s3.requests.clear()

    assert set(s3_project.statuses().values()) == {"fresh"}

    methods = {method for method, path in s3_project.s3.requests if "/raw/" in path}
    assert methods == {"HEAD"}
    assert s3_project.s3.downloads(s3_project.bucket, DOUBLED_KEY) == 0


def test_status_after_the_source_changed_does_not_download_it(s3_project: S3Project) -> None:
    s3_project.run_ok()
    s3_project.put_source(b"n\n5\n")
    s3_project.s3.requests.clear()

    s3_project.statuses()

    assert s3_project.s3.downloads(s3_project.bucket, SOURCE_KEY) == 0


def test_secrets_stay_out_of_output_and_state(s3_project: S3Project) -> None:
    output = s3_project.run_ok("--force")
    described = s3_project.aether("catalog", "describe", "numbers")
    secret = s3_project.s3.credentials()["secret"]

    assert secret not in output + described.stdout + described.stderr
    with sqlite3.connect(s3_project.root / ".aether/state.db") as db:
        dumped = "\n".join(db.iterdump())
    assert "etag" in dumped  # the objects' signatures are there...
    assert secret not in dumped  # ...and no credential


def test_a_missing_bucket_fails_the_node_naming_the_endpoint(
    s3_project: S3Project, logged_s3: LoggedS3
) -> None:
    catalog = s3_project.root / "conf/base/catalog.yml"
    text = catalog.read_text()
    catalog.write_text(text.replace(f"s3://{s3_project.bucket}/clean", "s3://no-such-bkt/clean"))

    result = s3_project.aether("run")

    assert result.returncode == 1
    printed = result.stdout + result.stderr
    assert "doubled" in printed and "s3://no-such-bkt/clean/doubled.parquet" in printed
    assert logged_s3.endpoint.removeprefix("http://") in printed
    assert "total" in printed and "skipped" in printed
    assert logged_s3.credentials()["secret"] not in printed


SPLIT_CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: s3://{bucket}/raw/numbers.csv
  credentials: lake
left:
  type: PandasCsvDataSet
  filepath: s3://{bucket}/out/left.csv
  credentials: lake
right:
  type: PandasCsvDataSet
  filepath: s3://{bucket}/out/right.csv
  credentials: lake
"""

SPLIT_PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: split
        transformation: mini.split.split
        inputs: {rows: numbers, factor: params:factor}
        outputs: [left, right]
default: main
"""

SPLIT = """\
import pandas as pd


def split(rows, factor):
    left = rows.assign(n=rows["n"] * factor)
    return left, pd.DataFrame({"total": [int(rows["n"].sum()) * factor]})
"""


def test_sigkill_between_two_s3_publishes_is_finished_by_the_next_run(
    s3_project: S3Project,
) -> None:
    """The publish journal works for objects too: the next run moves the staged object the
    killed run left into place, commits the node, and leaves no temporary object."""
    root, bucket = s3_project.root, s3_project.bucket
    (root / "conf/base/catalog.yml").write_text(SPLIT_CATALOG.format(bucket=bucket))
    (root / "conf/base/pipeline.yml").write_text(SPLIT_PIPELINE)
    (root / "src/mini/split.py").write_text(SPLIT)
    s3_project.run_ok()
    (root / "conf/base/parameters.yml").write_text("factor: 10\n")

    killed = s3_project.aether("run", env={"AETHER_TEST_CRASH_AT": "between-publishes"})

    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert _object(s3_project, "out/right.csv") == b"total\n12\n"  # not yet published
    assert any(".tmp-" in key for key in _keys(s3_project))

    s3_project.run_ok()

    assert _object(s3_project, "out/right.csv") == b"total\n60\n"
    assert _object(s3_project, "out/left.csv") == b"n\n10\n20\n30\n"
    assert not [key for key in _keys(s3_project) if ".tmp-" in key]
    assert set(s3_project.statuses().values()) == {"fresh"}


def _object(project: S3Project, key: str) -> bytes:
    body = project.s3.client().get_object(Bucket=project.bucket, Key=key)["Body"]
    return bytes(body.read())


def _keys(project: S3Project) -> list[str]:
    listed = project.s3.client().list_objects_v2(Bucket=project.bucket).get("Contents", [])
    return [item["Key"] for item in listed]


def test_a_missing_filesystem_package_is_refused_before_anything_runs(
    make_project: Callable[..., Path], aether: Any
) -> None:
    """gcsfs is not installed here: a gs:// output is exit 2 on one line naming the entry,
    the package and how to install it, and no node runs."""
    catalog = CATALOG.format(bucket="unused").replace(
        "filepath: data/03_primary/total.csv", "filepath: gs://reports/total.csv"
    )
    lake = "lake:\n  key: AKIAUNUSEDKEY\n  secret: unused-secret-value\n"
    root = make_project("gs_without_gcsfs", catalog=catalog, local={"credentials.yml": lake})

    result = aether(root, "run")

    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    assert "Dataset 'total'" in lines[0] and "catalog.yml" in lines[0]
    assert "'gcsfs'" in lines[0] and "uv add gcsfs" in lines[0]
    assert "Traceback" not in result.stderr and "succeeded" not in result.stdout


def test_an_output_rewritten_with_the_same_bytes_is_fresh_after_the_next_run(
    s3_project: S3Project,
) -> None:
    s3_project.run_ok()
    client = s3_project.s3.client()
    same = client.get_object(Bucket=s3_project.bucket, Key=DOUBLED_KEY)["Body"].read()
    client.put_object(Bucket=s3_project.bucket, Key=DOUBLED_KEY, Body=same)
    assert "everything is fresh" in s3_project.run_ok()  # it hashed the object: unchanged
    s3_project.s3.requests.clear()

    statuses = s3_project.statuses()
    again = s3_project.run_ok()

    assert statuses["doubled"] == "fresh"
    assert "everything is fresh" in again
    assert s3_project.s3.downloads(s3_project.bucket, DOUBLED_KEY) == 0
