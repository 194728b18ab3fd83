"""The project lock: one run at a time, waiting or failing cleanly, dead holders taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aether.errors import LockError
from aether.state.lock import LockHolder, ProjectLock

HOLDER = """
    import sys
    from aether.state.lock import ProjectLock
    lock = ProjectLock(sys.argv[1], "run-child")
    lock.acquire()
    print("acquired", flush=True)
    sys.stdin.readline()   # hold until the parent says so
    lock.release()
"""


def hold_in_child(path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLDER), str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "acquired\n"
    return child


def dead_pid() -> int:
    with subprocess.Popen([sys.executable, "-c", "pass"]) as child:
        child.wait()
    return child.pid


def write_lock(path: Path, pid: int, host: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"pid": pid, "host": host or socket.gethostname(), "run_id": "old", "started_at": 1.0}
    path.write_text(json.dumps(info))


def test_acquire_writes_holder_and_release_removes_it(tmp_path: Path) -> None:
    path = tmp_path / ".aether" / "run.lock"

    with ProjectLock(path, "run-1") as lock:
        info = json.loads(path.read_text())
        assert lock.held

    assert (info["pid"], info["host"], info["run_id"]) == (
        os.getpid(),
        socket.gethostname(),
        "run-1",
    )
    assert not path.exists()


def test_second_process_excludes_us_and_no_wait_names_it(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    with hold_in_child(path) as child:
        with pytest.raises(LockError) as err:
            ProjectLock(path, "run-2", wait=False).acquire()
        assert child.stdin is not None
        child.stdin.write("\n")

    assert f"run run-child (pid {child.pid} on host {socket.gethostname()}" in err.value.message
    assert (
        err.value.hint is not None and "remove" in err.value.hint and "run.lock" in err.value.hint
    )
    assert err.value.exit_code == 1


def test_waits_for_the_holder_and_reports_it_once(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    seen: list[LockHolder] = []
    with hold_in_child(path) as child:
        assert child.stdin is not None
        stdin = child.stdin

        def on_wait(holder: LockHolder) -> None:
            seen.append(holder)
            stdin.write("\n")  # now let the holder finish
            stdin.flush()

        with ProjectLock(path, "run-2", on_wait=on_wait, poll_interval=0.05, timeout=30):
            assert json.loads(path.read_text())["run_id"] == "run-2"

    assert [(h.run_id, h.pid) for h in seen] == [("run-child", child.pid)]
    assert seen[0].describe().startswith(f"run run-child (pid {child.pid} on host ")


def test_timeout_gives_up_with_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    with hold_in_child(path) as child:
        started = time.monotonic()
        with pytest.raises(LockError, match=r"after waiting 0\.3s"):
            ProjectLock(path, "run-2", timeout=0.3, poll_interval=0.05).acquire()
        assert child.stdin is not None
        child.stdin.write("\n")

    assert time.monotonic() - started >= 0.3


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_lock_of_a_killed_holder_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    with hold_in_child(path) as child:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    with ProjectLock(path, "run-2", wait=False):
        assert json.loads(path.read_text())["run_id"] == "run-2"


def test_stale_lock_with_dead_pid_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    write_lock(path, dead_pid())

    with ProjectLock(path, "run-2", wait=False):
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_dead_pid_on_another_host_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    write_lock(path, dead_pid(), host="elsewhere")

    with pytest.raises(LockError, match="on host elsewhere"):
        ProjectLock(path, "run-2", wait=False).acquire()
    assert json.loads(path.read_text())["run_id"] == "old"


def test_garbage_lock_is_taken_over_only_when_old(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    path.write_text("{not json")

    with pytest.raises(LockError, match="being written"):
        ProjectLock(path, "run-2", wait=False).acquire()

    os.utime(path, (time.time() - 60, time.time() - 60))
    with ProjectLock(path, "run-2", wait=False):
        assert json.loads(path.read_text())["run_id"] == "run-2"


def test_release_leaves_someone_elses_lock_alone(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    lock = ProjectLock(path, "run-1")
    lock.acquire()
    write_lock(path, 12345, host="elsewhere")

    lock.release()

    assert json.loads(path.read_text())["host"] == "elsewhere"


def test_for_project_uses_dot_aether(tmp_path: Path) -> None:
    with ProjectLock.for_project(tmp_path, "run-1", wait=False) as lock:
        assert lock.path == tmp_path / ".aether" / "run.lock"
        assert lock.path.exists()
