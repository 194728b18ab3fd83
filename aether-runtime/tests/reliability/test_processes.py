"""Aether's run is over when its summary is printed, whatever a node left behind.

A node may start a thread it never joins, or fork and return in the child. Neither may keep
``aether`` alive after its run nor run any part of the pipeline twice, under either runner.
Every run here has a timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import assert_no_traceback

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]
RUNNERS = {"sequential": (), "parallel": ("--runner", "parallel", "--workers", "2")}
# Generous: a run of this project takes about a second; only a hang comes near it.
HANG = 90

LEFTOVERS = """\
import os
import threading
import time


def leave_a_thread(rows):
    threading.Thread(target=time.sleep, args=(3600,), name="forgotten-poller").start()
    return rows


def fork_and_return(rows):
    os.fork()  # the child returns too, as if it were the node
    return rows
"""


def project_with(make_project: MakeProject, transformation: str) -> Path:
    """The fixture project whose first node (``double``) is ``transformation``."""
    return make_project(
        pipeline=lambda text: text.replace(
            "mini.nodes.double", f"mini.leftovers.{transformation}"
        ).replace("inputs: {rows: numbers, factor: params:factor}", "inputs: {rows: numbers}"),
        files={"src/mini/leftovers.py": LEFTOVERS},
    )


def recorded_runs(project: Path) -> int:
    with sqlite3.connect(project / ".aether" / "state.db") as db:
        return db.execute("SELECT COUNT(DISTINCT run_id) FROM attempts").fetchone()[0]


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_a_node_that_leaves_a_thread_running_does_not_keep_aether_alive(
    make_project: MakeProject, aether: Aether, runner: str
) -> None:
    """A node that starts a non-daemon thread and returns: the run succeeds, `aether` exits
    as soon as its summary is printed (it used to wait for the thread forever) and says it
    did not wait for the thread it names."""
    project = project_with(make_project, "leave_a_thread")

    result = aether(project, "run", *RUNNERS[runner], timeout=HANG)

    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "2 succeeded" in result.stdout, result.stdout
    if runner == "sequential":  # the thread is in aether's own process: it says so
        assert "forgotten-poller" in result.stderr, result.stderr


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_a_node_that_forks_and_returns_in_the_child_runs_the_pipeline_once(
    make_project: MakeProject, aether: Aether, runner: str
) -> None:
    """A node that forks and returns in both processes: the child stops where the node
    returns; the pipeline runs once, with one report and one recorded run (the child used to
    run the rest of the pipeline with a second, contradicting report, or hang the pool)."""
    project = project_with(make_project, "fork_and_return")

    result = aether(project, "run", *RUNNERS[runner], timeout=HANG)

    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    progress = [
        line.rsplit(" in ", 1)[0] for line in result.stdout.splitlines() if line.startswith("[")
    ]
    assert progress == ["[1/2] double succeeded", "[2/2] total succeeded"], result.stdout
    assert result.stdout.count("Run ") == 1, result.stdout
    assert recorded_runs(project) == 1
    status = aether(project, "status", "--exit-code", timeout=HANG)
    assert status.returncode == 0, status.stdout + status.stderr
