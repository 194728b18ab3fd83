"""Hostile cases for publishing: a node's outputs go in together or not at all.

The project has one node, ``split``, with two CSV outputs: ``left`` (the numbers times
``factor``) and ``right`` (their total times ``factor``). A first run publishes both; the
hostile run then changes ``factor`` and breaks, or kills, the publish of the second output.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import pytest

from aether.state.schema import SCHEMA_VERSION

from .conftest import (
    assert_no_traceback,
    assert_refused,
    assert_unchanged,
    error_line,
    snapshot,
)

LEFT = "data/02_intermediate/left.csv"
RIGHT = "data/02_intermediate/right.csv"

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
left:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/left.csv
right:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/right.csv
"""

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: split
        transformation: mini.split.split
        inputs: {rows: numbers, factor: params:factor}
        outputs: [left, right]
default: main
"""

# factor 3 makes `right` a string, which a CSV dataset cannot store (a wrong type).
SPLIT = """\
import pandas as pd


def split(rows, factor):
    left = rows.assign(n=rows["n"] * factor)
    right = pd.DataFrame({"total": [int(rows["n"].sum()) * factor]})
    return left, ("not a table" if factor == 3 else right)
"""

# A dataset that cannot stage: it writes its file directly and refuses anything but a table.
SINK = """\
from pathlib import Path

from aether import AbstractDataSet


class TextSink(AbstractDataSet):
    def __init__(self, filepath):
        self._path = Path(filepath)

    def _load(self):
        return self._path.read_text()

    def _save(self, data):
        if isinstance(data, str):
            raise TypeError("TextSink stores tables only")
        self._path.write_text(data.to_csv(index=False))

    def _exists(self):
        return self._path.exists()

    def _describe(self):
        return {"filepath": str(self._path)}
"""

# The first release's schema (version 1), verbatim, and a few rows written under it.
SCHEMA_V1 = Path(__file__).parents[1] / "data" / "state_schema_v1.sql"
OLD_ROWS = """
INSERT INTO attempts VALUES (1, 'old-run', 'split', 1.0, 2.0, 'succeeded', NULL);
INSERT INTO transitions VALUES (1, 'left', 'fresh', NULL, 2.0);
"""


@pytest.fixture
def project(make_project, aether) -> Path:
    """The two-output project after a good first run (factor 2)."""
    root = make_project(
        "two_outputs",
        catalog=CATALOG,
        pipeline=PIPELINE,
        files={"src/mini/split.py": SPLIT, "src/mini/sink.py": SINK},
    )
    first = aether(root, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    return root


def _data(project: Path) -> dict[str, str]:
    """Hashes of the project's files, the state store left out."""
    return snapshot(project, include_state=False)


def _statuses(aether, project: Path) -> dict[str, str]:
    result = aether(project, "status", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return {a["name"]: a["status"] for a in json.loads(result.stdout)["assets"]}


def _attempts(project: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(project / ".aether" / "state.db") as db:
        return db.execute("SELECT node, status FROM attempts ORDER BY id").fetchall()


def _visible(files: dict[str, str]) -> dict[str, str]:
    return {name: digest for name, digest in files.items() if ".tmp-" not in name}


def test_a_wrong_type_for_the_second_output_publishes_neither(project, aether):
    """A node whose second output cannot be saved publishes none: the first output keeps
    its previous version byte for byte, and both assets are failed."""
    before = _data(project)

    result = aether(project, "run", "--params", "factor=3")

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "Dataset 'right' (PandasCsvDataSet) can only save" in result.stdout
    assert_unchanged(before, _data(project))
    assert _statuses(aether, project) == {"numbers": "fresh", "left": "failed", "right": "failed"}


def test_a_wrong_type_in_a_worker_process_publishes_neither(project, aether):
    """Under --runner parallel too, a failed save in the worker discards what it staged:
    no output replaced, no temporary file left behind."""
    before = _data(project)

    result = aether(project, "run", "--runner", "parallel", "--params", "factor=3")

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "Dataset 'right' (PandasCsvDataSet) can only save" in result.stdout
    assert_unchanged(before, _data(project))


def test_an_unwritable_folder_for_the_second_output_publishes_neither(project, aether):
    """When the second output's folder cannot be written (here a file stands where the
    folder should be), the first output is not replaced either."""
    (project / "data" / "blocked").write_text("a file, not a folder\n")
    catalog = project / "conf" / "base" / "catalog.yml"
    catalog.write_text(CATALOG.replace(RIGHT, "data/blocked/right.csv"))
    before = _data(project)

    result = aether(project, "run", "--params", "factor=5")

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "Failed to save dataset 'right'" in result.stdout
    assert_unchanged(before, _data(project))
    assert _statuses(aether, project)["left"] == "failed"


def test_a_failed_save_of_an_output_that_cannot_stage_publishes_none(project, aether):
    """An output whose dataset cannot stage is saved once the others are staged: if its
    save fails, the staged outputs are discarded and keep their previous versions."""
    catalog = project / "conf" / "base" / "catalog.yml"
    sink = f"right:\n  type: mini.sink.TextSink\n  filepath: {project / RIGHT}\n"
    catalog.write_text(CATALOG.split("right:")[0] + sink)
    assert aether(project, "run").returncode == 0
    before = _data(project)

    result = aether(project, "run", "--params", "factor=3")

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "TextSink stores tables only" in result.stdout + result.stderr
    assert_unchanged(before, _data(project))


def test_sigkill_between_two_publishes_is_finished_by_the_next_run(project, aether):
    """A run killed (SIGKILL) after publishing one output and before the next leaves a
    journal; the next run finishes the renames and commits the node, so the outputs are
    never half old and half new, and they are fresh without being rebuilt."""
    old_left = (project / LEFT).read_text()
    (project / "conf" / "base" / "parameters.yml").write_text("factor: 10\n")

    killed = aether(project, "run", env={"AETHER_TEST_CRASH_AT": "between-publishes"})

    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert (project / LEFT).read_text() != old_left  # published before the kill
    assert (project / RIGHT).read_text() == "total\n12\n"  # not yet: the old version

    repaired = aether(project, "run")

    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert_no_traceback(repaired)
    assert (project / RIGHT).read_text() == "total\n60\n"
    assert (project / LEFT).read_text() == "n\n10\n20\n30\n"
    assert _attempts(project) == [("split", "succeeded"), ("split", "succeeded")]
    assert not [p for p in (project / "data").rglob("*") if ".tmp-" in p.name]
    assert set(_statuses(aether, project).values()) == {"fresh"}


def test_sigkill_while_staging_keeps_every_previous_version(project, aether):
    """A run killed while staging replaces nothing: every output keeps its previous
    version under its real name (a half-written copy is only ever a hidden temporary
    sibling), and the next run rebuilds the node."""
    before = _data(project)

    killed = aether(
        project, "run", "--params", "factor=10", env={"AETHER_TEST_CRASH_AT": "during-staging"}
    )

    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    after = _data(project)
    assert_unchanged(before, _visible(after))
    assert all(Path(name).name.startswith(".") for name in set(after) - set(before))

    rerun = aether(project, "run", "--params", "factor=10")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (project / RIGHT).read_text() == "total\n60\n"
    assert _attempts(project)[-2:] == [("split", "aborted"), ("split", "succeeded")]


def test_a_state_database_of_todays_schema_is_upgraded_in_place(make_project, aether):
    """A state.db written with the first schema (version 1) is migrated on open: its
    records survive, its version becomes the current one, and the run proceeds."""
    root = make_project(
        "old_state", catalog=CATALOG, pipeline=PIPELINE, files={"src/mini/split.py": SPLIT}
    )
    (root / ".aether").mkdir()
    with sqlite3.connect(root / ".aether" / "state.db") as db:
        db.executescript(SCHEMA_V1.read_text() + OLD_ROWS)

    result = aether(root, "run")

    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    with sqlite3.connect(root / ".aether" / "state.db") as db:
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        attempts = db.execute("SELECT run_id, status FROM attempts ORDER BY id").fetchall()
        history = db.execute("SELECT asset, status FROM transitions ORDER BY id").fetchall()
        journal = db.execute("SELECT count(*) FROM publish_journal").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    assert attempts[0] == ("old-run", "succeeded") and len(attempts) == 2
    assert history[0] == ("left", "fresh")
    assert journal == (0,)


def test_a_state_database_from_a_newer_aether_is_refused_untouched(project, aether):
    """A state.db written by a newer Aether (a higher schema version) is refused with one
    error line and exit 2, and no file is changed, not even the database's header."""
    db_path = project / ".aether" / "state.db"
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA journal_mode = DELETE")  # a mode the open would otherwise change
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    before = snapshot(project)

    result = aether(project, "run", "--params", "factor=7")

    line = assert_refused(result, project, before, "state.db", "newer Aether")
    assert "schema 99" in line
    assert error_line(result)
