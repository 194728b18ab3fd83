"""The project lock against other processes: a holder in a child process excludes us, makes us
wait or time out; a dead holder's lock (killed, or a pid that no longer runs) is taken over,
and a live process that merely reuses a pid holds nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aether.errors import LockError
from aether.state.lock import (
    LockHolder,
    LockVerdict,
    ProjectLock,
    break_lock,
    examine_lock,
    process_start_ticks,
)

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

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
    """The pid of a process that has ended (and been reaped)."""
    with subprocess.Popen([sys.executable, "-c", "pass"]) as child:
        child.wait()
    return child.pid


@pytest.fixture
def stranger() -> Iterator[int]:
    """The pid of a live process that has nothing to do with any lock."""
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                          stdin=subprocess.PIPE) as child:  # fmt: skip
        yield child.pid
        assert child.stdin is not None
        child.stdin.close()


def write_lock(path: Path, pid: int, *, host: str | None = None, **extra: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"pid": pid, "host": host or socket.gethostname(), "run_id": "old",
            "started_at": time.time() - 3 * 3600 - 120, **extra}  # fmt: skip
    path.write_text(json.dumps(info))


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


@needs_proc
def test_live_unrelated_process_with_the_same_pid_is_no_holder(tmp_path, stranger) -> None:
    path = tmp_path / "run.lock"
    write_lock(path, stranger, pid_started=process_start_ticks(stranger) + 1)

    assert examine_lock(path)[0] is LockVerdict.STALE
    with ProjectLock(path, "run-2", wait=False):
        assert json.loads(path.read_text())["run_id"] == "run-2"


@needs_proc
def test_live_holder_with_matching_start_time_keeps_the_lock(tmp_path, stranger) -> None:
    path = tmp_path / "run.lock"
    write_lock(path, stranger, pid_started=process_start_ticks(stranger))

    with pytest.raises(LockError, match=f"pid {stranger} on host"):
        ProjectLock(path, "run-2", wait=False).acquire()
    assert json.loads(path.read_text())["run_id"] == "old"


def test_without_start_times_a_live_pid_is_a_holder(tmp_path, stranger) -> None:
    path = tmp_path / "run.lock"
    # A lock written before start times were recorded, after its process started (a process
    # that started after the lock was written cannot hold it: see test_hostile.py).
    write_lock(path, stranger, started_at=time.time())

    assert examine_lock(path)[0] is LockVerdict.LIVE


def test_break_lock_removes_a_dead_holders_lock_and_says_whose(tmp_path) -> None:
    path = tmp_path / "run.lock"
    pid = dead_pid()
    write_lock(path, pid)

    verdict, holder = break_lock(path)

    assert (verdict, holder and holder.pid) == (LockVerdict.STALE, pid)
    assert not path.exists()


def test_process_start_ticks_of_a_missing_process_is_none() -> None:
    assert process_start_ticks(dead_pid()) is None
