"""What a run records for reproducing it: the run (environment, pipeline, parameters, git
commit and whether the tree was dirty, lockfile hash) and the columns of each saved output,
through the real CLI and the state store the project uses."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from aether.state import SQLiteStateStore


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def committed(make_project: Callable[..., Path]) -> Path:
    root: Path = make_project(
        files={"uv.lock": "version = 1\n", ".gitignore": "data/\n.aether/\n__pycache__/\n"}
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_a_run_records_its_commit_lockfile_parameters_and_outcome(
    committed: Path, aether: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    done = aether(committed, "run", "--params", "factor=3")
    assert done.returncode == 0, done.stderr

    with SQLiteStateStore(committed / ".aether" / "state.db") as store:
        (record,) = store.runs()
        made = store.run_materializations(record.run_id)

    assert record.git_commit == git(committed, "rev-parse", "HEAD")
    assert record.git_dirty is False
    assert record.lockfile == "uv.lock"
    assert record.lockfile_hash == "sha256:" + hashlib.sha256(b"version = 1\n").hexdigest()
    assert record.params == {"factor": 3}
    assert (record.env, record.pipeline, record.status) == ("local", "main", "succeeded")
    assert record.finished_at is not None and record.finished_at >= record.started_at
    assert [m.asset for m in made] == ["doubled", "total"]
    assert made[0].parts["inputs"].keys() == {"numbers"}


def test_an_edited_tree_is_recorded_dirty_and_a_failed_run_failed(
    committed: Path, aether: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    nodes = committed / "src" / "mini" / "nodes.py"
    nodes.write_text(
        nodes.read_text().replace(
            "return rows.assign", "raise ValueError('x')\n    return rows.assign"
        )
    )

    done = aether(committed, "run")
    assert done.returncode != 0

    with SQLiteStateStore(committed / ".aether" / "state.db") as store:
        (record,) = store.runs()
    assert (record.git_dirty, record.status) == (True, "failed")


def test_a_run_with_nothing_to_do_records_no_run(
    committed: Path, aether: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    assert aether(committed, "run").returncode == 0
    assert aether(committed, "run").returncode == 0

    with SQLiteStateStore(committed / ".aether" / "state.db") as store:
        assert len(store.runs()) == 1


def test_outside_git_and_without_a_lockfile_both_are_unknown(
    make_project: Callable[..., Path], aether: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    root = make_project()
    assert aether(root, "run").returncode == 0

    with SQLiteStateStore(root / ".aether" / "state.db") as store:
        (record,) = store.runs()
    assert (record.git_commit, record.git_dirty) == (None, None)
    assert (record.lockfile, record.lockfile_hash) == (None, None)


def test_the_columns_of_a_csv_output_are_recorded_as_the_node_returned_them(
    make_project: Callable[..., Path], aether: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    root = make_project()
    assert aether(root, "run").returncode == 0

    with SQLiteStateStore(root / ".aether" / "state.db") as store:
        assert store.latest_columns("doubled") == (("n", "int64"),)
        assert store.latest_columns("total") == (("total", "int64"),)
        assert store.latest_columns("numbers") is None  # a source: nothing saved it
