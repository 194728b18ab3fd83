"""Two copies of a project (two clones, as on two machines) on shared data, with one
PostgreSQL state store, behave as one project: a run in one makes the other's status fresh,
runs from both take turns with a clear waiting message, and killing one's run lets the other
go on. Bad settings are refused with exit code 2 and never print the password."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

GATE = '''\
"""A node that waits for a file, so a test can hold a run in the middle."""

import time
from pathlib import Path


def gated(rows, gate):
    Path(gate, "started").touch()
    while not Path(gate, "open").exists():
        time.sleep(0.02)
    return rows
'''

PIPELINE = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: total
        transformation: mini.gate.gated
        inputs: {rows: doubled, gate: params:gate}
        outputs: total
default: main
"""


def _copies(make_project: Callable[..., Path], root: Path, gate: Path) -> tuple[Path, Path]:
    """Two clones of one project whose catalog points at one shared data folder."""
    shared = root / "shared"
    copies = []
    for name in ("a", "b"):
        copy = make_project(
            name,
            catalog=lambda text: text.replace("filepath: data/", f"filepath: {shared}/data/"),
            pipeline=PIPELINE,
            parameters=f"factor: 2\ngate: {gate}\n",
            files={
                "src/mini/gate.py": GATE,
                "pyproject.toml": '[project]\nname = "mini"\nversion = "0.1.0"\n',
            },
        )
        copies.append(copy)
    (shared / "data" / "01_raw").mkdir(parents=True)
    (shared / "data" / "01_raw" / "numbers.csv").write_text("n\n1\n2\n3\n")
    return copies[0], copies[1]


@pytest.fixture
def setup(
    tmp_path: Path, postgres_server: object, make_project: Callable[..., Path]
) -> tuple[Path, Path, Path, dict[str, str]]:
    gate = tmp_path / "gate"
    gate.mkdir()
    a, b = _copies(make_project, tmp_path, gate)
    url = postgres_server.database()  # type: ignore[attr-defined]
    return a, b, gate, {"AETHER_STATE_URL": url}


def test_a_run_in_one_copy_makes_the_others_status_fresh(
    setup: tuple[Path, Path, Path, dict[str, str]], aether: Callable[..., Any]
) -> None:
    a, b, gate, env = setup
    (gate / "open").touch()
    assert aether(b, "status", "--exit-code", env=env).returncode == 1  # never built

    ran = aether(a, "run", env=env)

    assert ran.returncode == 0, ran.stderr
    status = aether(b, "status", "--exit-code", env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    again = aether(b, "run", env=env)
    assert again.returncode == 0 and "everything is fresh" in again.stdout, again.stdout
    assert not (a / ".aether" / "state.db").exists() and not (b / ".aether" / "state.db").exists()


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_runs_from_both_copies_take_turns_and_the_second_says_whom_it_waits_for(
    setup: tuple[Path, Path, Path, dict[str, str]],
    aether_in_background: Callable[..., subprocess.Popen[str]],
) -> None:
    a, b, gate, env = setup
    with aether_in_background(a, "run", env=env) as first:
        _wait_for(gate / "started")
        with aether_in_background(b, "run", env=env) as second:
            time.sleep(3)  # long enough to ask for the lock and say so
            assert second.poll() is None  # waiting, not running alongside
            (gate / "open").touch()
            first_out, _ = first.communicate(timeout=120)
            second_out, second_err = second.communicate(timeout=120)
    assert first.returncode == 0, first_out
    assert second.returncode == 0, second_out + second_err
    assert "waiting for run" in second_out and "to finish" in second_out
    assert "2 fresh" in second_out  # the first run's work counts for both


def test_killing_one_copys_run_lets_the_other_take_over(
    setup: tuple[Path, Path, Path, dict[str, str]],
    aether: Callable[..., Any],
    aether_in_background: Callable[..., subprocess.Popen[str]],
) -> None:
    a, b, gate, env = setup
    with aether_in_background(a, "run", env=env) as first:
        _wait_for(gate / "started")
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    (gate / "open").touch()

    taken_over = aether(b, "run", env=env, timeout=120)

    assert taken_over.returncode == 0, taken_over.stdout + taken_over.stderr
    assert "its last attempt was aborted" in taken_over.stdout  # named, then run again
    assert aether(a, "status", "--exit-code", env=env).returncode == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", [("status",), ("run",)])
def test_an_unreachable_store_exits_2_naming_host_and_port_never_the_password(
    make_project: Callable[..., Path], aether: Callable[..., Any], command: tuple[str, ...]
) -> None:
    project = make_project()
    port = _closed_port()
    env = {"AETHER_STATE_URL": f"postgresql://aether:pw-s3cr3t@127.0.0.1:{port}/state"}

    result = aether(project, *command, env=env)

    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr
    assert "pw-s3cr3t" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_state_setting_gets_a_did_you_mean(
    make_project: Callable[..., Path], aether: Callable[..., Any]
) -> None:
    project = make_project(files={"conf/base/aether.yml": "state:\n  ulr: sqlite:///x.db\n"})

    result = aether(project, "status")

    assert result.returncode == 2
    assert "conf/base/aether.yml: unknown key 'ulr' under state:" in result.stderr
    assert "url" in result.stderr


def test_a_sqlite_url_in_aether_yml_moves_the_state_and_its_lock(
    make_project: Callable[..., Path], aether: Callable[..., Any], tmp_path: Path
) -> None:
    project = make_project(
        files={"conf/base/aether.yml": "state:\n  url: sqlite:///state/shared.db\n"}
    )

    assert aether(project, "run").returncode == 0

    assert (project / "state" / "shared.db").is_file()
    assert not (project / ".aether" / "state.db").exists()
    assert aether(project, "status", "--exit-code").returncode == 0


def test_unlock_says_a_shared_stores_lock_needs_no_removing(
    setup: tuple[Path, Path, Path, dict[str, str]], aether: Callable[..., Any]
) -> None:
    a, _, _, env = setup

    result = aether(a, "unlock", env=env)

    assert result.returncode == 0
    assert "frees itself when the run holding it ends" in result.stdout
    assert "postgres@127.0.0.1" in result.stdout  # the store is named (no password here)
