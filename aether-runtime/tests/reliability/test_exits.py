"""Nodes that exit, signals, the lock, and the resume hint (the catalogue's exit cases).

Every case drives the real CLI in a subprocess. A node's misbehaviour is chosen by the
environment (``EXIT_MODE``), so fixing it changes no code and no fingerprint: the next run
must then redo exactly what did not finish. Waits are on marker files the nodes write, never
on the clock.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aether.state import SQLiteStateStore
from aether.state.lock import process_start_ticks

from .conftest import (
    assert_no_traceback,
    assert_refused,
    assert_unchanged,
    error_line,
    snapshot,
)

# A node whose behaviour the test picks: exit, interrupt, die, or wait at a gate.
EXITS = '''\
"""Nodes that misbehave on demand (EXIT_MODE), for the exit cases."""

import os
import pathlib
import sys
import time

import pandas as pd


def _wait_for(path, seconds=60):
    deadline = time.monotonic() + seconds
    while not pathlib.Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def total(rows):
    gate = os.environ.get("EXIT_GATE")
    if gate:  # say "started" (with our pid), then wait to be released or stopped
        pathlib.Path(gate + ".started").write_text(str(os.getpid()))
        _wait_for(gate + ".go")
    if os.environ.get("EXIT_AFTER"):  # let a concurrent node start first
        _wait_for(os.environ["EXIT_AFTER"])
    mode = os.environ.get("EXIT_MODE")
    if mode == "sys.exit":
        sys.exit(3)
    if mode == "interrupt":
        raise KeyboardInterrupt
    if mode == "os._exit":
        os._exit(1)
    return pd.DataFrame({"total": [int(rows["n"].sum())]})


def innocent(rows, factor):
    gate = os.environ.get("INNOCENT_GATE")
    if gate:
        pathlib.Path(gate + ".started").write_text(str(os.getpid()))
        _wait_for(gate + ".go")
    return rows.assign(n=rows["n"] * factor)
'''

SEQUENTIAL = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: total
        transformation: mini.exits.total
        inputs: {rows: doubled}
        outputs: total
default: main
"""

# Two independent nodes, so both run at the same time under --runner parallel.
CONCURRENT = """\
pipelines:
  main:
    nodes:
      - name: innocent
        transformation: mini.exits.innocent
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: total
        transformation: mini.exits.total
        inputs: {rows: numbers}
        outputs: total
default: main
"""

PARALLEL = ("--runner", "parallel", "--workers", "2")
RAW = "data/01_raw/numbers.csv"
DOUBLED = "data/02_intermediate/doubled.csv"


@pytest.fixture
def exits_project(make_project, aether):
    """The fixture project with ``total`` from mini/exits.py, fully built once."""

    def make(pipeline: str = SEQUENTIAL) -> Path:
        project = make_project("exits", pipeline=pipeline, files={"src/mini/exits.py": EXITS})
        first = aether(project, "run")
        assert first.returncode == 0, first.stdout + first.stderr
        # New source data: every node has work to do in the run under test.
        (project / RAW).write_text("n\n1\n2\n3\n4\n")
        return project

    return make


def wait_for(path: Path, process: subprocess.Popen[str] | None = None) -> None:
    """Until ``path`` exists (the node reached its gate); fails if the run ended first."""
    deadline = time.monotonic() + 60
    while not path.exists():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended (exit {process.returncode}) first:\n{out}{err}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 60
    while _alive(pid):
        assert time.monotonic() < deadline, f"process {pid} is still alive"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def attempts(project: Path) -> list[tuple[str, str, str | None]]:
    """(node, status, error) of every attempt, oldest first, per run (a list of runs)."""
    with SQLiteStateStore(project / ".aether" / "state.db") as store:
        return [(a.node, a.status, a.error) for a in store.attempts()]


def last_run_attempts(project: Path) -> list[tuple[str, str]]:
    with SQLiteStateStore(project / ".aether" / "state.db") as store:
        every = store.attempts()
        return sorted((a.node, a.status) for a in every if a.run_id == every[-1].run_id)


def data_snapshot(project: Path, *made: str) -> dict[str, str]:
    """The project's files but ``.aether/`` and the outputs the run is allowed to ``made``."""
    return {k: v for k, v in snapshot(project, include_state=False).items() if k not in made}


def completed(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def assert_no_lock(project: Path) -> None:
    assert not (project / ".aether" / "run.lock").exists(), "the run lock was left behind"


def assert_node_exit_failed(project, result, how: str) -> None:
    """Exit 1, the message names the node and how it exited, the attempt failed, no lock."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert_no_traceback(result)
    assert f"Node 'total' {how} instead of returning its outputs" in output, output
    node, status, error = attempts(project)[-1]
    assert (node, status) == ("total", "failed")
    assert error is not None and how in error
    assert_no_lock(project)


def assert_next_run_redoes(project, aether, *nodes: str) -> None:
    """A plain `aether run` now runs exactly ``nodes``, successfully."""
    known = len(attempts(project))
    again = aether(project, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(attempts(project)[known:]) == sorted((n, "succeeded", None) for n in nodes)


@pytest.mark.parametrize(
    ("mode", "how"),
    [("sys.exit", "called sys.exit(3)"), ("interrupt", "raised KeyboardInterrupt")],
)
def test_node_that_exits_fails_cleanly_sequential(exits_project, aether, mode, how):
    """A node calling sys.exit(3) or raising KeyboardInterrupt fails the run with exit 1 and
    a message naming it; its attempt is failed (never left running), the lock is released,
    the data is untouched, and the next run redoes only that node."""
    project = exits_project()
    before = data_snapshot(project, DOUBLED)

    result = aether(project, "run", env={"EXIT_MODE": mode})

    assert_node_exit_failed(project, result, how)
    assert_unchanged(before, data_snapshot(project, DOUBLED))
    assert_next_run_redoes(project, aether, "total")


@pytest.mark.parametrize(
    ("mode", "how"),
    [("sys.exit", "called sys.exit(3)"), ("interrupt", "raised KeyboardInterrupt")],
)
def test_node_that_exits_fails_cleanly_parallel(exits_project, aether, mode, how):
    """Under --runner parallel, a node calling sys.exit(3) or raising KeyboardInterrupt in its
    worker fails alone (exit 1, message naming it, attempt failed); the concurrent node
    succeeds, and the next run redoes only the failed node."""
    project = exits_project(CONCURRENT)
    before = data_snapshot(project, DOUBLED)

    result = aether(project, "run", *PARALLEL, env={"EXIT_MODE": mode})

    assert_node_exit_failed(project, result, how)
    assert ("innocent", "succeeded") in last_run_attempts(project)
    assert_unchanged(before, data_snapshot(project, DOUBLED))
    assert_next_run_redoes(project, aether, "total")


def test_os_exit_in_a_node_is_aborted_by_the_next_run(exits_project, aether):
    """A node calling os._exit(1) ends the process with exit 1 (nothing can run after it);
    the next run takes over the dead run's lock, marks the attempt aborted (as after
    SIGKILL) and redoes exactly that node; no data was touched meanwhile."""
    project = exits_project()
    before = data_snapshot(project, DOUBLED)

    died = aether(project, "run", env={"EXIT_MODE": "os._exit"})

    assert died.returncode == 1, died.stdout + died.stderr
    assert_no_traceback(died)
    assert attempts(project)[-1][:2] == ("total", "running")
    assert_unchanged(before, data_snapshot(project, DOUBLED))
    assert_next_run_redoes(project, aether, "total")
    aborted = [(node, status) for node, status, _ in attempts(project) if status == "aborted"]
    assert aborted == [("total", "aborted")]
    assert_no_lock(project)


def test_os_exit_under_parallel_aborts_innocent_concurrent_nodes(exits_project, aether, tmp_path):
    """Under --runner parallel, a node calling os._exit(1) breaks the worker pool: every node
    running at the time (the innocent one too) is marked aborted, not failed; the run exits 1
    with the lock released and data untouched, and the next run runs them all again."""
    project = exits_project(CONCURRENT)
    gate = str(tmp_path / "innocent")
    before = data_snapshot(project, DOUBLED)

    env = {"EXIT_MODE": "os._exit", "EXIT_AFTER": gate + ".started", "INNOCENT_GATE": gate}
    result = aether(project, "run", *PARALLEL, env=env)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert_no_traceback(result)
    assert "worker process of the run stopped abruptly" in output
    assert "Resume with: aether run" in output
    assert last_run_attempts(project) == [("innocent", "aborted"), ("total", "aborted")]
    assert_no_lock(project)
    assert_unchanged(before, data_snapshot(project, DOUBLED))
    assert_next_run_redoes(project, aether, "innocent", "total")


def _stop_a_waiting_run(start, project, tmp_path, signum, *args: str) -> tuple:
    gate = tmp_path / "gate"
    process = start(project, "run", *args, env={"EXIT_GATE": str(gate)})
    started = gate.with_name("gate.started")
    wait_for(started, process)
    process.send_signal(signum)
    return completed(process), int(started.read_text())


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"]
)
def test_signal_stops_a_sequential_run_cleanly(
    exits_project, aether, aether_in_background, tmp_path, signum, code
):
    """SIGTERM / SIGINT to a running `aether run` stop it cleanly: exit 143 / 130, one line
    naming the signal and the stopped node, the lock released, the node's attempt aborted
    (never left running), data untouched, and the next run redoes only that node."""
    project = exits_project()
    before = data_snapshot(project, DOUBLED)

    result, _ = _stop_a_waiting_run(aether_in_background, project, tmp_path, signum)

    line = error_line(result, code)
    name = signal.Signals(signum).name
    assert f"run stopped by {name} while running node(s) 'total'" in line
    assert "aether run" in line.split(" — ")[1]
    assert attempts(project)[-1] == ("total", "aborted", f"interrupted by {name}")
    assert_no_lock(project)
    assert_unchanged(before, data_snapshot(project, DOUBLED))
    assert_next_run_redoes(project, aether, "total")


def test_sigterm_stops_a_parallel_run_and_its_workers(
    exits_project, aether, aether_in_background, tmp_path
):
    """SIGTERM to `aether run --runner parallel` stops it cleanly: exit 143, the worker that
    ran the node is ended (not left running), the attempt aborted, the lock released, data
    untouched, and the next run redoes only that node."""
    project = exits_project()
    before = data_snapshot(project, DOUBLED)

    result, worker = _stop_a_waiting_run(
        aether_in_background, project, tmp_path, signal.SIGTERM, *PARALLEL
    )

    line = error_line(result, 143)
    assert "run stopped by SIGTERM while running node(s) 'total'" in line
    wait_gone(worker)
    assert attempts(project)[-1] == ("total", "aborted", "interrupted by SIGTERM")
    assert_no_lock(project)
    assert_unchanged(before, data_snapshot(project, DOUBLED))
    assert_next_run_redoes(project, aether, "total")


@pytest.fixture
def stranger():
    """A live process that has nothing to do with Aether (its pid goes in fake locks)."""
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                          stdin=subprocess.PIPE) as child:  # fmt: skip
        yield child
        if child.stdin:
            child.stdin.close()


def write_lock(project: Path, pid: int, *, host: str | None = None, **extra: object) -> Path:
    """A lock file as a run on ``host`` would have left it, 3 hours and 2 minutes ago."""
    path = project / ".aether" / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"pid": pid, "host": host or socket.gethostname(), "run_id": "run-old",
            "started_at": time.time() - 3 * 3600 - 120, **extra}  # fmt: skip
    path.write_text(json.dumps(info))
    return path


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@needs_proc
def test_lock_naming_a_reused_pid_is_taken_over(make_project, aether, stranger):
    """A lock whose pid now belongs to a live but unrelated process (its start time differs
    from the recorded one: the pid was reused) is no holder: the run takes the lock over,
    succeeds without waiting, and releases it."""
    project = make_project("reused")
    ticks = process_start_ticks(stranger.pid)
    write_lock(project, stranger.pid, pid_started=ticks + 1)

    result = aether(project, "run", "--no-wait")

    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "waiting" not in result.stdout
    assert_no_lock(project)


def test_lock_from_another_host_is_refused_with_age_and_command(make_project, aether):
    """A lock written on another host cannot be checked: `aether run` is refused at once
    (exit 1), naming the holder, its host, when it started and how long ago, and the command
    that breaks the lock; nothing is written, and the lock stays."""
    project = make_project("elsewhere")
    assert aether(project, "run").returncode == 0  # it has data and state to keep
    (project / RAW).write_text("n\n5\n")  # and work to do
    write_lock(project, 4242, host="build-box-7")
    before = snapshot(project)

    result = aether(project, "run")

    line = error_line(result, 1)
    assert "pid 4242 on host build-box-7" in line and "3h 2m ago" in line
    assert line.endswith("aether unlock --force")
    assert_unchanged(before, snapshot(project))


def test_unlock_needs_force_for_another_hosts_lock(make_project, aether):
    """`aether unlock` refuses another host's lock without --force (exit 1, one line naming
    the holder and the command, nothing removed); with --force it removes it and says whose
    it was, after which a run works."""
    project = make_project("unlock")
    write_lock(project, 4242, host="build-box-7")
    before = snapshot(project)

    refused = aether(project, "unlock")

    line = error_line(refused, 1)
    assert "build-box-7" in line and "aether unlock --force" in line
    assert_unchanged(before, snapshot(project))
    forced = aether(project, "unlock", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "Removed the lock of run run-old (pid 4242 on host build-box-7" in forced.stdout
    assert_no_lock(project)
    assert aether(project, "run").returncode == 0


def test_unlock_never_removes_a_live_runs_lock(make_project, aether, stranger):
    """`aether unlock --force` refuses the lock of a run still alive on this host (exit 1,
    one line naming its pid and how to stop it); the lock file is untouched."""
    project = make_project("live")
    write_lock(project, stranger.pid, pid_started=process_start_ticks(stranger.pid))
    before = snapshot(project)

    result = aether(project, "unlock", "--force")

    assert_refused(result, project, before, f"pid {stranger.pid}", f"kill {stranger.pid}",
                   exit_code=1)  # fmt: skip


@needs_proc
def test_waiting_message_shows_the_holders_date_and_age(
    make_project, aether, aether_in_background, stranger
):
    """A run that waits for a live holder says whom it waits for, with the date it started
    and its age; when that holder ends, the run takes the lock over and finishes."""
    project = make_project("waiting")
    write_lock(project, stranger.pid, pid_started=process_start_ticks(stranger.pid))
    process = aether_in_background(project, "run")
    assert process.stdout is not None

    first = process.stdout.readline()
    stranger.stdin.close()  # the holder ends (a zombie until reaped: that holds nothing either)
    result = completed(process)

    day = time.strftime("%Y-%m-%d", time.localtime(time.time() - 3 * 3600 - 120))
    assert first.startswith(f"waiting for run run-old (pid {stranger.pid} on host "), first
    assert f"started {day} " in first and "3h 2m ago" in first
    assert result.returncode == 0, first + result.stdout + result.stderr
    assert_no_traceback(result)
    assert_no_lock(project)


IN_MEMORY = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled_in_memory
      - name: total
        transformation: mini.nodes.boom
        inputs: {rows: doubled_in_memory}
        outputs: total
default: main
"""


def test_resume_hint_works_when_the_failed_node_reads_in_memory_data(make_project, aether):
    """After a failure, the printed resume command succeeds when run exactly as printed,
    even when the failed node reads an in-memory dataset (where `--from-nodes <failed>` is
    refused); the failed run left the data untouched."""
    project = make_project("resume", pipeline=IN_MEMORY)
    before = snapshot(project, include_state=False)

    failed = aether(project, "run", "--env", "local", "--params", "factor=3")

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert_no_traceback(failed)
    assert_unchanged(before, snapshot(project, include_state=False))
    hints = [line for line in failed.stdout.splitlines() if line.startswith("Resume with: ")]
    assert len(hints) == 1, failed.stdout
    command = shlex.split(hints[0].removeprefix("Resume with: "))
    assert command[:2] == ["aether", "run"] and "--from-nodes" not in command
    nodes = project / "src" / "mini" / "nodes.py"  # the fix: boom now works
    nodes.write_text(nodes.read_text().replace('raise ValueError("boom on purpose")',
                                               'return rows.sum().to_frame("total")'))  # fmt: skip

    resumed = aether(project, *command[1:])

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert (project / "data" / "03_primary" / "total.csv").read_text() == "total\n18\n"
