"""Who holds the lock: pid reuse, other hosts, ages, and breaking a lock (`aether unlock`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aether.durations import format_elapsed
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


@needs_proc
def test_lock_records_the_holders_process_start_time(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    with ProjectLock(path, "run-1"):
        recorded = json.loads(path.read_text())["pid_started"]
    assert recorded == process_start_ticks(os.getpid()) and recorded > 0


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


def test_another_hosts_lock_is_refused_at_once_with_age_and_command(tmp_path) -> None:
    path = tmp_path / "run.lock"
    write_lock(path, 4242, host="elsewhere")

    with pytest.raises(LockError) as err:
        ProjectLock(path, "run-2", wait=True, timeout=None).acquire()  # waiting would be forever

    assert "pid 4242 on host elsewhere" in err.value.message
    assert "3h 2m ago" in err.value.message and "another host" in err.value.message
    assert err.value.hint is not None and "aether unlock --force" in err.value.hint


def test_describe_shows_the_date_and_the_age() -> None:
    holder = LockHolder(7, "h", "r1", started_at=1_700_000_000.0)

    text = holder.describe(now=1_700_000_000.0 + 65)

    day = time.strftime("%Y-%m-%d", time.localtime(1_700_000_000.0))
    assert f"started {day} " in text and text.endswith(", 1m 5s ago)")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (61, "1m 1s"),
        (3 * 3600 + 125, "3h 2m"),
        (2 * 86400 + 7300, "2d 2h"),
    ],
)
def test_a_holders_age_reads_in_two_units(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


def test_break_lock_removes_a_dead_holders_lock_and_says_whose(tmp_path) -> None:
    path = tmp_path / "run.lock"
    with subprocess.Popen([sys.executable, "-c", "pass"]) as child:
        child.wait()
    write_lock(path, child.pid)

    verdict, holder = break_lock(path)

    assert (verdict, holder and holder.pid) == (LockVerdict.STALE, child.pid)
    assert not path.exists()


def test_break_lock_never_removes_a_live_holders_lock(tmp_path) -> None:
    path = tmp_path / "run.lock"
    with ProjectLock(path, "run-1"):
        with pytest.raises(LockError, match="which is running"):
            break_lock(path, force=True)
        assert path.exists()


def test_break_lock_needs_force_for_another_hosts_lock(tmp_path) -> None:
    path = tmp_path / "run.lock"
    write_lock(path, 4242, host="elsewhere")

    with pytest.raises(LockError, match="another host"):
        break_lock(path)
    assert path.exists()

    assert break_lock(path, force=True)[0] is LockVerdict.OTHER_HOST
    assert not path.exists()


def test_break_lock_leaves_a_lock_being_written_alone(tmp_path) -> None:
    path = tmp_path / "run.lock"
    path.write_text("")

    with pytest.raises(LockError, match="being written"):
        break_lock(path)
    os.utime(path, (time.time() - 60, time.time() - 60))
    assert break_lock(path) == (LockVerdict.UNREADABLE, None)
    assert not path.exists()


def test_break_lock_without_a_lock_changes_nothing(tmp_path) -> None:
    assert break_lock(tmp_path / ".aether" / "run.lock") == (LockVerdict.ABSENT, None)
    assert not (tmp_path / ".aether").exists()


def test_process_start_ticks_of_a_missing_process_is_none() -> None:
    with subprocess.Popen([sys.executable, "-c", "pass"]) as child:
        child.wait()
    assert process_start_ticks(child.pid) is None
