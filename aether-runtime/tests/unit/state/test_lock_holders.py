"""Who holds the lock: pid reuse, other hosts, ages, and breaking a lock (`aether unlock`)."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from aether.errors import LockError
from aether.state.lock import (
    LockHolder,
    LockVerdict,
    ProjectLock,
    break_lock,
    process_start_ticks,
)
from aether.support.durations import format_elapsed

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


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
