"""The project lock: one run at a time, waiting or failing cleanly, dead holders taken over."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from aether.errors import LockError
from aether.state.lock import ProjectLock


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


@pytest.mark.parametrize(
    ("level", "flushed"), [("process-crash", False), ("power-loss", True)], ids=["default", "power"]
)
def test_the_lock_file_is_flushed_only_under_power_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, level: str, flushed: bool
) -> None:
    # A crashed process leaves the holder's details in the page cache, and a lock a power cut
    # left empty is taken over once old: an fsync per run buys nothing unless asked for.
    from aether.configuration import durability

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    monkeypatch.setattr(durability, "_level", level)
    path = tmp_path / ".aether" / "run.lock"

    with ProjectLock(path, "run-1"):
        assert json.loads(path.read_text())["run_id"] == "run-1"

    assert bool(synced) is flushed


def test_an_empty_lock_a_power_cut_left_is_taken_over_once_old(tmp_path: Path) -> None:
    # What an unflushed lock file may be after a power cut: created, its details never written.
    path = tmp_path / ".aether" / "run.lock"
    path.parent.mkdir()
    path.write_bytes(b"")
    os.utime(path, (time.time() - 60, time.time() - 60))

    with ProjectLock(path, "run-2", wait=False):
        assert json.loads(path.read_text())["run_id"] == "run-2"

    assert not path.exists()
