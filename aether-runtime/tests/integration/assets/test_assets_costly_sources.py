"""Data that is costly to hash (a table, an API, a remote object) is read by a run, never by a
look: `aether status` judges it by its signature alone or, with none, by the last observation,
and says so; `aether run` reads it at its start and rebuilds exactly what changed.

The source here is a local CSV whose dataset declares itself costly and counts every content
hash in a file, so a test can tell what read it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

SOURCE = '''\
"""A CSV that plays a remote source: costly to hash, with or without a cheap signature."""
import hashlib
from pathlib import Path

from aether.datasets.pandas import PandasCsvDataSet


class CostlyCsv(PandasCsvDataSet):
    def __init__(self, *, cheap_signature: bool, **kwargs):
        super().__init__(**kwargs)
        self._cheap_signature = cheap_signature

    @property
    def content_hash_is_costly(self):
        return True

    def signature(self):
        if not self._cheap_signature:
            return None  # like an API that sends no ETag
        found = super().signature()
        if found is None or self._cheap_signature == "stat":
            return found  # a file's own signature, which can be too recent to trust
        return {"modified": found["mtime_ns"]}  # like an ETag

    def content_hash(self):
        path = Path(self.filepath)
        with open(path.with_suffix(".reads"), "a") as log:
            log.write("read\\n")
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
'''


def _project(make_project, cheap_signature: bool | str) -> Path:
    def catalog(text: str) -> str:
        return text.replace(
            "numbers:\n  type: PandasCsvDataSet",
            f"numbers:\n  type: mini.sources.CostlyCsv\n  cheap_signature: {cheap_signature}",
        )

    return make_project(catalog=catalog, files={"src/mini/sources.py": SOURCE})


def _reads(project: Path) -> int:
    log = project / "data/01_raw/numbers.reads"
    return len(log.read_text().splitlines()) if log.exists() else 0


def _statuses(aether, project: Path) -> dict[str, dict]:
    shown = json.loads(aether(project, "status", "--json").stdout)
    return {entry["name"]: entry for entry in shown["assets"]}


def test_without_a_signature_status_shows_the_last_observation_and_run_reads_it(
    make_project, aether
) -> None:
    project = _project(make_project, cheap_signature=False)
    aether(project, "run")
    reads = _reads(project)
    assert reads >= 1

    (project / "data/01_raw/numbers.csv").write_text("n\n1\n2\n3\n4\n")
    statuses = _statuses(aether, project)

    assert _reads(project) == reads, "status read the costly source"
    assert statuses["numbers"]["status"] == "fresh"
    (warning,) = statuses["numbers"]["warnings"]
    assert warning.startswith("as last observed ") and "`aether run` does" in warning
    assert statuses["doubled"]["status"] == "fresh"  # status cannot tell, and says so above

    output = aether(project, "run").stdout
    assert "double succeeded" in output and "total succeeded" in output
    assert _reads(project) == reads + 1
    assert (project / "data/03_primary/total.csv").read_text().splitlines()[-1] == "20"

    output = aether(project, "run").stdout
    assert "everything is fresh" in output
    assert _reads(project) == reads + 2  # read once per run, to tell


@pytest.mark.parametrize("same_content", [True, False])
def test_with_a_signature_status_tells_by_it_and_run_checks_the_content(
    make_project, aether, same_content: bool
) -> None:
    project = _project(make_project, cheap_signature=True)
    aether(project, "run")
    source = project / "data/01_raw/numbers.csv"
    source.write_text("n\n1\n2\n3\n" if same_content else "n\n1\n2\n4\n")
    later = source.stat().st_mtime_ns + 10**9
    os.utime(source, ns=(later, later))  # a new "ETag", whether or not the content changed
    reads = _reads(project)

    statuses = _statuses(aether, project)

    assert _reads(project) == reads, "status read the costly source"
    assert statuses["doubled"]["status"] == "stale"
    assert statuses["doubled"]["reason"] == "input numbers has a new version"
    assert statuses["numbers"]["warnings"][0].startswith("changed since it was last observed")

    output = aether(project, "run").stdout
    assert _reads(project) == reads + 1
    if same_content:
        assert "everything is fresh" in output
    else:
        assert "double succeeded" in output
    assert _statuses(aether, project)["doubled"]["status"] == "fresh"


def test_an_output_touched_without_change_is_hashed_once_then_known(make_project, aether) -> None:
    project = make_project()
    aether(project, "run")
    output = project / "data/02_intermediate/doubled.csv"
    later = output.stat().st_mtime_ns + 10**10
    os.utime(output, ns=(later, later))  # touched: same bytes, a new signature

    statuses = _statuses(aether, project)

    assert statuses["doubled"]["status"] == "fresh"
    with sqlite3.connect(project / ".aether/state.db") as db:
        (stored,) = db.execute(
            "SELECT m.signature FROM heads h JOIN materializations m "
            "ON m.id = h.materialization_id WHERE h.asset = 'doubled'"
        ).fetchone()
    assert json.loads(stored)["mtime_ns"] == later  # the next look needs no hash


def test_right_after_a_run_a_signed_source_is_not_called_changed(make_project, aether) -> None:
    """A look within the racy window right after a run: the signature is the one recorded,
    only too recent to vouch for the content. Status keeps the recorded version (said to be
    as last observed) instead of calling the consumers stale, which the run would deny."""
    project = _project(make_project, cheap_signature="stat")
    source = project / "data/01_raw/numbers.csv"
    source.write_text(source.read_text())  # its mtime now: racy for the look that follows
    assert aether(project, "run").returncode == 0
    statuses = _statuses(aether, project)
    planned = aether(project, "run", "--dry-run").stdout
    assert "nothing to do" in planned, planned
    assert statuses["doubled"]["status"] == "fresh", statuses["doubled"]
    assert statuses["numbers"]["observed"] == "as_last_observed"
