"""A full disk is reported as a full disk, and the state it holds is kept.

The project's ``.aether`` folder is a small tmpfs filled to the last page, so the lock and
the state database meet a real ``ENOSPC`` (SQLite reports it as "disk I/O error" when its WAL
index cannot grow). Mounting needs root (``.ci/run`` runs as root); elsewhere these skip.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import assert_no_traceback

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]


@pytest.fixture
def small_state_disk(make_project: MakeProject) -> Iterator[Path]:
    """A project whose ``.aether`` is a 2 MiB tmpfs of its own."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    project = make_project()
    state_folder = project / ".aether"
    state_folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(state_folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield project
    finally:
        subprocess.run(["umount", "-l", str(state_folder)], check=False)


def fill(folder: Path, leave_pages: int) -> Path:
    """Fill ``folder``'s filesystem with one file, leaving about ``leave_pages`` 4 KiB pages."""
    filler = folder / "filler"
    chunk = b"\0" * 4096
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    if leave_pages:
        with open(filler, "r+b") as handle:
            handle.truncate(max(0, filler.stat().st_size - leave_pages * 4096))
    return filler


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("leave_pages", [0, 8, 16, 32])
def test_a_full_disk_is_said_and_the_state_database_is_kept(
    small_state_disk: Path, aether: Aether, leave_pages: int
) -> None:
    """With the disk under ``.aether`` full (to the last page, or a few pages short so the
    lock fits but the state does not), the run says the disk is full in one line — never that
    a sound ``state.db`` should be moved aside — leaves no lock behind, and keeps the state: once
    space is freed, the next run goes on from the recorded history."""
    project = small_state_disk
    state = project / ".aether" / "state.db"
    assert aether(project, "run").returncode == 0
    (project / "data/01_raw/numbers.csv").write_text("n\n1\n2\n4\n")
    filler = fill(project / ".aether", leave_pages)

    result = aether(project, "run")

    assert result.returncode != 0, result.stdout + result.stderr
    assert_no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert "disk" in errors[0] and "full" in errors[0], errors[0]
    assert "move it aside" not in result.stderr and "mv " not in result.stderr
    assert not (project / ".aether" / "run.lock").exists()

    filler.unlink()
    assert state.exists() and digest(state)  # still a readable file
    rerun = aether(project, "run")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    # The recorded history is still there: each output is rebuilt for a reason found in it
    # (a new input, or an output published before the state could record it), never as
    # "never materialized", which is what a state moved aside would say.
    assert "never materialized" not in rerun.stdout, rerun.stdout
    assert "new version" in rerun.stdout or "modified outside" in rerun.stdout, rerun.stdout
    assert aether(project, "status", "--exit-code").returncode == 0
