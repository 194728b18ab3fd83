"""Hostile cases found by attacking the landed guarantees: each one broke before its fix.

Every test drives the real CLI against a small project from ``make_project`` and checks the
exit code, the one-line message, that nothing was written or lost, and no secret shown.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import (
    assert_no_secret,
    assert_no_traceback,
    assert_refused,
    assert_unchanged,
    error_line,
    snapshot,
)

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]
AetherInBackground = Callable[..., subprocess.Popen[str]]
TOTAL = "'total' (conf/base/catalog.yml:8)"


def total_at(filepath: str) -> Callable[[str], str]:
    """Edit the fixture catalog: the output ``total`` moves to ``filepath``."""
    return lambda text: text.replace("data/03_primary/total.csv", filepath)


@pytest.mark.parametrize(
    ("filepath", "folder"),
    [
        ("conf/base/catalog.yml", "conf/"),
        ("conf/new.csv", "conf/"),
        ("src/mini/nodes.py", "src/"),
        (".aether/state.db", ".aether/"),
        ("./data/../.aether/run.lock", ".aether/"),
    ],
)
def test_an_output_inside_the_projects_own_files_is_refused(
    make_project: MakeProject, aether: Aether, filepath: str, folder: str
) -> None:
    """A node never writes over the project's configuration, code or state: an output
    whose filepath lies in conf/, src/ or .aether/ is refused by validate and run (exit 2,
    one line naming the entry and the folder), nothing written."""
    project = make_project(catalog=total_at(filepath))
    before = snapshot(project)
    for command in ("validate", "run"):
        line = assert_refused(aether(project, command), project, before, TOTAL, folder)
        assert "data/" in line


def test_an_output_that_is_a_fifo_is_refused_not_replaced(
    make_project: MakeProject, aether: Aether
) -> None:
    """An output path that is a FIFO (or a device such as /dev/null) is refused before any
    node runs: publishing would rename a regular file over it (as root, over /dev/null)."""
    project = make_project()
    target = project / "data" / "03_primary" / "total.csv"
    target.parent.mkdir(parents=True)
    os.mkfifo(target)
    before = snapshot(project)
    for command in ("validate", "run"):
        assert_refused(aether(project, command, timeout=30), project, before, TOTAL, "a FIFO")
    assert stat.S_ISFIFO(os.stat(target).st_mode)


def test_a_source_that_is_a_fifo_is_refused_not_waited_on(
    make_project: MakeProject, aether: Aether
) -> None:
    """A source path that is a FIFO stops run with exit 2 in a moment (hashing it would block
    forever); status shows the source failed, with why."""
    project = make_project()
    raw = project / "data" / "01_raw" / "numbers.csv"
    raw.unlink()
    os.mkfifo(raw)
    before = snapshot(project)
    line = assert_refused(aether(project, "run", timeout=30), project, before, "'numbers'")
    assert "a FIFO" in line
    status = aether(project, "status", "--exit-code", timeout=30)
    assert status.returncode == 1, status.stdout + status.stderr
    assert "failed (source)" in status.stdout and "not a regular file" in status.stdout
    assert "Traceback" not in status.stdout + status.stderr


@pytest.mark.parametrize("command", [("status", "--exit-code"), ("viz",)])
def test_a_source_that_is_a_directory_is_failed_in_status_and_viz_not_a_traceback(
    make_project: MakeProject, aether: Aether, command: tuple[str, ...]
) -> None:
    """A source path that is a directory (run refuses it, exit 2) is shown by status and
    viz as a failed source saying why, never an IsADirectoryError traceback; the data and
    the state stay as they were."""
    project = make_project()
    assert aether(project, "run").returncode == 0
    raw = project / "data" / "01_raw" / "numbers.csv"
    raw.unlink()
    raw.mkdir()
    before = snapshot(project, include_state=False)
    result = aether(project, *command)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == (1 if command[0] == "status" else 0), output
    if command[0] == "status":
        assert "failed (source)" in output and "is a directory, not a file" in output
    else:
        assert "failed" in (project / "data/08_reporting/dag.html").read_text()
        (project / "data/08_reporting/dag.html").unlink()
    assert_unchanged(before, snapshot(project, include_state=False))


def _unable_to_read_files() -> list[str]:
    """A command prefix under which a chmod 000 file cannot be read, even by root."""
    if os.geteuid() != 0:
        return []
    drop = "-dac_override,-dac_read_search"
    if shutil.which("setpriv") is None:
        pytest.skip("root, and setpriv is not available to drop the power to read any file")
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]


def test_an_unreadable_source_is_failed_in_status_not_a_traceback(
    make_project: MakeProject, aether: Aether
) -> None:
    """A source this user may not read (chmod 000) and whose signature changed is a failed
    source in status, saying 'Permission denied', never a PermissionError traceback."""
    project = make_project()
    assert aether(project, "run").returncode == 0
    raw = project / "data" / "01_raw" / "numbers.csv"
    raw.write_text("n\n5\n")
    raw.chmod(0)
    try:
        result = subprocess.run(
            [*_unable_to_read_files(), sys.executable, "-m", "aether", "status", "--exit-code"],
            cwd=project,
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("AETHER_")},
            timeout=120,
        )
    finally:
        raw.chmod(0o644)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output, output
    assert "failed (source)" in output and "Permission denied" in output, output


ESCAPED_SECRET = "pa'ss\\wörd-Q1"  # a backslash and a letter that repr/json escape
ESCAPING_NODE = """\
import contextlib
import json

from aether import AbstractDataSet


class Connection(AbstractDataSet):
    def __init__(self, credentials=None):
        self.credentials = credentials or {}

    def _load(self):
        return dict(self.credentials)

    def _save(self, data):
        raise NotImplementedError

    def _exists(self):
        return True

    def _describe(self):
        return {}


def connect(conn):
    print("as repr:", repr(conn), "as json:", json.dumps(conn), flush=True)
    raise ConnectionError(f"login refused for {conn!r} / {json.dumps(conn)}")
"""


def test_a_secret_escaped_by_repr_or_json_is_masked(
    make_project: MakeProject, aether: Aether
) -> None:
    """A secret is masked in every spelling a node may print it in: ``repr()`` doubles a
    backslash, ``json.dumps()`` also escapes non-ASCII letters; none reaches the console
    or the state database."""
    project = make_project(
        catalog="warehouse:\n  type: mini.leaky.Connection\n  credentials: warehouse\n",
        pipeline="""\
            pipelines:
              main:
                nodes:
                  - name: connect
                    transformation: mini.leaky.connect
                    inputs: {conn: warehouse}
                    outputs: loaded
            default: main
            """,
        local={
            "credentials.yml": "warehouse:\n  host: db.internal\n"
            f"  password: {json.dumps(ESCAPED_SECRET)}\n"
        },
        files={"src/mini/leaky.py": ESCAPING_NODE},
    )
    results = [aether(project, "run"), aether(project, "status", "--json")]
    assert results[0].returncode == 1, results[0].stdout + results[0].stderr
    assert "login refused" in results[0].stdout + results[0].stderr
    spellings = {ESCAPED_SECRET, repr(ESCAPED_SECRET)[1:-1], json.dumps(ESCAPED_SECRET)[1:-1]}
    for secret in spellings:
        assert_no_secret(secret, project, *results)


@pytest.mark.parametrize("option", ["--nodes", "--from-nodes", "--to-nodes", "--tags"])
@pytest.mark.parametrize("value", ["", " , "])
def test_an_empty_selection_is_refused_not_read_as_everything(
    make_project: MakeProject, aether: Aether, option: str, value: str
) -> None:
    """``aether run --force --nodes "$UNSET"`` does not rebuild the whole pipeline: a
    selection option given without a name is exit 2, one line, nothing run or written."""
    project = make_project()
    assert aether(project, "run").returncode == 0
    before = snapshot(project)
    assert_refused(aether(project, "run", "--force", option, value), project, before, option)


def test_the_params_format_error_is_not_garbled_by_masking(
    make_project: MakeProject, aether: Aether
) -> None:
    """Masking token-like parameters never garbles Aether's own messages: a malformed
    --params item says which form is expected, in clear."""
    project = make_project()
    before = snapshot(project)
    line = assert_refused(aether(project, "run", "--params", "factor"), project, before)
    assert "***" not in line and "=value" in line


@pytest.mark.parametrize("command", [("run",), ("unlock",)])
def test_a_run_lock_that_is_a_directory_is_one_line_not_a_traceback(
    make_project: MakeProject, aether: Aether, command: tuple[str, ...]
) -> None:
    """A ``.aether/run.lock`` that is a folder (hand-made, or a bad restore) stops run and
    unlock with one line saying what to remove (exit 1), no traceback, nothing run."""
    project = make_project()
    assert aether(project, "run").returncode == 0
    (project / ".aether" / "run.lock").mkdir()
    before = snapshot(project)
    line = assert_refused(aether(project, *command), project, before, "run.lock", exit_code=1)
    assert "rm -r" in line
    assert (project / ".aether" / "run.lock").is_dir()


@pytest.mark.parametrize("byte", [b"\x00", b"\x07"])
def test_a_control_character_in_yaml_is_one_line_with_file_and_line(
    make_project: MakeProject, aether: Aether, byte: bytes
) -> None:
    """A NUL or other control byte in a conf/ file is refused in one line naming the file
    and the line (the parser's own text spans two lines), nothing written."""
    project = make_project()
    (project / "conf/base/parameters.yml").write_bytes(b"factor: 2\nlabel: a" + byte + b"b\n")
    before = snapshot(project)
    assert_refused(aether(project, "run"), project, before, "conf/base/parameters.yml:2")


def test_a_params_value_that_is_not_utf8_is_one_line_not_a_traceback(
    make_project: MakeProject, aether: Aether
) -> None:
    """A byte the locale cannot decode in --params (``$'factor=\\xff'``) is exit 2 naming the
    byte, not a UnicodeEncodeError traceback from the YAML parser."""
    project = make_project()
    before = snapshot(project)
    line = assert_refused(aether(project, "run", "--params", "factor=\udcff"), project, before)
    assert "--params is not UTF-8 text: byte 0xff" in line


@pytest.mark.parametrize(
    ("relative", "command"),
    [
        ("pyproject.toml", "status"),
        ("pyproject.toml", "run"),
        ("conf/base/alerts.yml", "validate"),
    ],
)
def test_a_project_file_that_is_not_utf8_is_one_line_not_a_traceback(
    make_project: MakeProject, aether: Aether, relative: str, command: str
) -> None:
    """A pyproject.toml or a conf/base file saved in another encoding (Latin-1 'é') is one
    line naming the file, in every command that reads it, nothing written."""
    project = make_project()
    with (project / relative).open("ab") as file:
        file.write(b'\nnote = "caf\xe9"\n' if relative.endswith(".toml") else b"note: caf\xe9\n")
    before = snapshot(project)
    assert_refused(aether(project, command), project, before, relative, "not UTF-8")


RAISING_NODE = """\
import os
import signal
import socket
import sqlite3

import pandas as pd


class Custom(BaseException):
    pass


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text")


def double(rows, factor):
    how = os.environ["RAISE"]
    if how == "generator-exit":
        raise GeneratorExit()
    if how == "base-exception":
        raise Custom("custom base exception")
    if how == "unprintable":
        raise Unprintable()
    raise ValueError("x" * 5_000_000)


def total(rows):
    return pd.DataFrame({"total": [int(rows["n"].sum())]})
"""


@pytest.mark.parametrize(
    ("how", "parallel"),
    [
        ("generator-exit", False),
        ("base-exception", False),
        ("base-exception", True),
        ("unprintable", False),
        ("huge-message", False),
    ],
)
def test_a_node_raising_anything_fails_in_one_bounded_message(
    make_project: MakeProject, aether: Aether, how: str, parallel: bool
) -> None:
    """Whatever a node raises (GeneratorExit, a custom BaseException, an exception whose
    __str__ fails, a 5 MB message) the run ends with exit 1, no traceback, the node's
    attempt recorded failed, and a message and state of bounded size."""
    project = make_project(files={"src/mini/nodes.py": RAISING_NODE})
    runner = ("--runner", "parallel", "--workers", "2") if parallel else ()
    result = aether(project, "run", *runner, env={"RAISE": how})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "Node 'double' failed" in output and len(output) < 20_000, output[-3000:]
    with sqlite3.connect(project / ".aether" / "state.db") as db:
        rows = db.execute("SELECT node, status, length(error) FROM attempts").fetchall()
    assert [(node, status) for node, status, _ in rows] == [("double", "failed")]
    assert rows[0][2] < 100_000
    assert (project / ".aether" / "state.db").stat().st_size < 1_000_000


SLOW_NODE = """\
import time

import pandas as pd


def double(rows, factor):
    time.sleep(30)
    return rows.assign(n=rows["n"] * factor)


def total(rows):
    return pd.DataFrame({"total": [int(rows["n"].sum())]})
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_of_a_sigkilled_parallel_run_do_not_outlive_it(
    make_project: MakeProject, aether_in_background: AetherInBackground
) -> None:
    """SIGKILL to ``aether run --runner parallel`` takes its workers down with it: none lives
    on (forever when idle) holding the terminal or staging outputs nobody will publish."""
    project = make_project(files={"src/mini/nodes.py": SLOW_NODE})
    run = aether_in_background(
        project, "run", "--runner", "parallel", "--workers", "2",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(run.pid)
        assert workers, "the parallel run started no worker"
        time.sleep(1)  # the pool initialised its workers
        run.kill()
        run.wait()
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers outlived the killed run"
    finally:
        for worker in workers:
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)


def test_staged_copies_left_by_a_killed_run_are_removed_by_the_next(
    make_project: MakeProject, aether: Aether
) -> None:
    """A run killed while staging leaves a hidden partial copy next to the output; the next
    run (under the lock, nothing left to publish) removes it, so killed runs do not pile up
    copies as large as their outputs. Hidden files that are not Aether's stay."""
    project = make_project()
    foreign = project / "data" / "01_raw" / ".numbers.csv.tmp-00000000"
    foreign.write_text("not Aether's: next to a source")
    killed = aether(project, "run", env={"AETHER_TEST_CRASH_AT": "during-staging"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert [p for p in (project / "data").rglob(".doubled.csv.tmp-*")], "nothing was staged"

    rerun = aether(project, "run")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert not [p for p in (project / "data").rglob("*.tmp-*") if p != foreign]
    assert foreign.exists()


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` (and its folder) cannot be written, even by root (``chattr +i``)."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if made.returncode:
            pytest.skip("root, and chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        modes = [(p, p.stat().st_mode) for p in (path, path.parent)]
        path.chmod(0o444)
        path.parent.chmod(0o555)
        try:
            yield
        finally:
            for target, mode in reversed(modes):
                target.chmod(mode)


def test_a_read_only_state_database_is_not_called_broken(
    make_project: MakeProject, aether: Aether
) -> None:
    """A sound state database this user may not write (another user's project, a read-only
    mount) is reported as such, in one line, by a run; Aether never advises moving it aside,
    which would throw the project's whole history away."""
    project = make_project()
    assert aether(project, "run").returncode == 0
    state = project / ".aether" / "state.db"
    with _read_only(state):
        before = snapshot(project)
        line = error_line(aether(project, "run", "--force"))
        assert "state.db" in line and "cannot be written" in line, line
        after = snapshot(project)
    side_files = ("-wal", "-shm")  # SQLite's, made by opening it (root may create them)
    assert_unchanged(before, {k: v for k, v in after.items() if not k.endswith(side_files)})
    assert "move it aside" not in line and "mv " not in line


@pytest.mark.parametrize("settled", [False, True], ids=["right-after-the-run", "settled"])
def test_status_answers_from_a_read_only_state_database(
    make_project: MakeProject, aether: Aether, settled: bool
) -> None:
    """A look needs only to read: on a sound state database this user may not write, status
    answers (whether the memo answers it or the project is judged again), and says what it
    could not record; the database is untouched."""
    project = make_project()
    assert aether(project, "run").returncode == 0
    if settled:  # past the racy window and looked at: the memo answers, judging nothing
        _age_all(project, time.time() - 3600)
        assert aether(project, "status").returncode == 0
    state = project / ".aether" / "state.db"
    with _read_only(state):
        before = snapshot(project)
        looked = aether(project, "status", "--json")
        after = snapshot(project)
    assert looked.returncode == 0, looked.stdout + looked.stderr
    statuses = {a["name"]: a["status"] for a in json.loads(looked.stdout)["assets"]}
    assert set(statuses.values()) == {"fresh"}, statuses
    assert "move it aside" not in looked.stderr
    side_files = ("-wal", "-shm")
    assert_unchanged(
        {k: v for k, v in before.items() if "state.db" in k},
        {k: v for k, v in after.items() if "state.db" in k and not k.endswith(side_files)},
    )


def test_debug_keeps_the_exit_code_of_bad_input(make_project: MakeProject, aether: Aether) -> None:
    """``--debug`` adds the traceback but never changes the exit code: bad input is still
    exit 2 (scripts and CI branch on it), with its one error line, nothing written."""
    project = make_project(parameters="factor: 2\nfactor: 3\n")
    before = snapshot(project)
    result = aether(project, "--debug", "run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert_unchanged(before, snapshot(project))


@pytest.mark.parametrize("interval", ["0.001s", "9999999999d"])
def test_a_reconcile_interval_out_of_range_is_refused_before_any_pass(
    make_project: MakeProject, aether: Aether, interval: str
) -> None:
    """``aether reconcile --interval`` below a second (a busy loop hammering the state) or
    past a year (the wait overflowed with a traceback after the first pass) is exit 2, one
    line, before any pass runs or writes anything."""
    project = make_project()
    before = snapshot(project)
    assert_refused(
        aether(project, "reconcile", "--interval", interval, timeout=20),
        project,
        before,
        "--interval",
    )


def _legacy_lock(project: Path, pid: int, started_at: float) -> None:
    """A lock as an older Aether wrote it: no start time of the holder's process."""
    (project / ".aether").mkdir(exist_ok=True)
    holder = {"pid": pid, "host": socket.gethostname(), "run_id": "old", "started_at": started_at}
    (project / ".aether" / "run.lock").write_text(json.dumps(holder))


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="process start times need /proc")
def test_a_legacy_lock_naming_a_pid_reused_since_is_taken_over(
    make_project: MakeProject, aether: Aether
) -> None:
    """A lock from an older Aether (no holder start time) naming a pid now used by a process
    that started after the lock was written is stale: the run takes it over instead of
    waiting forever (and unlock no longer says to kill an unrelated process)."""
    project = make_project()
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        _legacy_lock(project, stranger.pid, time.time() - 3600)
        result = aether(project, "run", "--no-wait")
        assert result.returncode == 0, result.stdout + result.stderr
        assert not (project / ".aether" / "run.lock").exists()

        _legacy_lock(project, stranger.pid, time.time())  # may be the holder: still live
        refused = aether(project, "run", "--no-wait")
        assert refused.returncode == 1 and "locked by run old" in refused.stderr
    finally:
        stranger.kill()
        stranger.wait()


def test_a_key_set_by_two_params_flags_is_refused_not_last_wins(
    make_project: MakeProject, aether: Aether
) -> None:
    """``--params factor=3 --params factor=4`` is refused like ``factor=3,factor=4`` (exit 2,
    naming the key), instead of silently running with the last value; distinct keys in
    repeated flags all apply."""
    project = make_project(parameters="factor: 2\nlabel: x\n")
    before = snapshot(project)
    twice = aether(project, "run", "--params", "factor=3", "--params", "factor=4")
    assert_refused(twice, project, before, "'factor'")
    both = aether(project, "run", "--params", "factor=3", "--params", "label=y")
    assert both.returncode == 0, both.stdout + both.stderr
    assert (project / "data/03_primary/total.csv").read_text() == "total\n18\n"


PIECEWISE_NODE = ESCAPING_NODE.replace(
    """    print("as repr:", repr(conn), "as json:", json.dumps(conn), flush=True)""",
    """    import sys

    print(*conn["password"], sep="", flush=True)  # one write per character
    sys.stdout.writelines(["lines: ", conn["password"], "\\n"])""",
)


def test_a_secret_printed_in_pieces_is_masked(make_project: MakeProject, aether: Aether) -> None:
    """A node printing a secret one character per write, or through ``writelines``, still
    has it masked on the console: masking sees whole lines, not single writes."""
    secret = "Piecewise-Secret-42"
    project = make_project(
        catalog="warehouse:\n  type: mini.leaky.Connection\n  credentials: warehouse\n",
        pipeline="""\
            pipelines:
              main:
                nodes:
                  - name: connect
                    transformation: mini.leaky.connect
                    inputs: {conn: warehouse}
                    outputs: loaded
            default: main
            """,
        local={"credentials.yml": f"warehouse:\n  password: {secret}\n"},
        files={"src/mini/leaky.py": PIECEWISE_NODE},
    )
    result = aether(project, "run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "lines: ***" in result.stdout, result.stdout
    assert_no_secret(secret, project, result)


def test_unlock_with_a_dot_aether_file_says_there_is_no_lock(
    make_project: MakeProject, aether: Aether
) -> None:
    """``.aether`` being a plain file means no run lock can exist: ``aether unlock`` says so
    (exit 0) instead of calling a lock unreadable and advising to ``rm -r`` a missing path."""
    project = make_project()
    (project / ".aether").write_text("not a folder")
    before = snapshot(project)
    result = aether(project, "unlock")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No lock" in result.stdout
    assert_unchanged(before, snapshot(project))


def _age_all(project: Path, when: float) -> None:
    for folder, _, names in os.walk(project):
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.utime(path, (when, when))


def test_a_cached_status_never_hides_an_edit_that_kept_size_and_mtime(
    make_project: MakeProject, aether: Aether
) -> None:
    """``aether status`` answers from its cache only while every file its verdicts depend
    on is unchanged: an edit that keeps the file's size and sets its mtime back (as
    ``cp -p`` or ``rsync -t`` do) is still seen, as an evaluation sees it."""
    project = make_project()
    assert aether(project, "run").returncode == 0
    long_ago = time.time() - 3600
    _age_all(project, long_ago)
    aether(project, "status")  # records the aged source: the state store changes
    _age_all(project / ".aether", long_ago)
    assert "3 fresh" in aether(project, "status").stdout  # evaluated, and kept in the cache
    parameters = project / "conf" / "base" / "parameters.yml"
    kept = os.stat(parameters)
    parameters.write_text("factor: 3\n")
    os.utime(parameters, ns=(kept.st_atime_ns, kept.st_mtime_ns))

    shown = aether(project, "status")

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "parameter factor changed from 2 to 3" in shown.stdout


RAISING_HOOKS = '''\
"""A CSV dataset whose observing hook raises, as a custom dataset's bug would."""
from aether.datasets.pandas import PandasCsvDataSet


class RaisingSignature(PandasCsvDataSet):
    def signature(self):
        raise RuntimeError("boom in signature")


class RaisingHash(PandasCsvDataSet):
    def signature(self):
        return None

    def content_hash(self):
        raise ValueError("boom in content_hash")
'''


@pytest.mark.parametrize("kind", ["RaisingSignature", "RaisingHash"])
@pytest.mark.parametrize("entry", ["numbers", "doubled"])
def test_a_custom_dataset_hook_that_raises_is_a_failed_asset_not_a_traceback(
    make_project: MakeProject, aether: Aether, kind: str, entry: str
) -> None:
    """`signature()` and `content_hash()` of a custom dataset raising anything: status, the
    dry run, the run and viz show that asset failed, naming it and the error (hostile
    review: a traceback, exit 1)."""

    def catalog(text: str) -> str:
        return text.replace(
            f"{entry}:\n  type: PandasCsvDataSet", f"{entry}:\n  type: mini.hooks.{kind}"
        )

    project = make_project(catalog=catalog, files={"src/mini/hooks.py": RAISING_HOOKS})
    if entry == "doubled":  # an output: made first by a plain run, then observed
        (project / "data/02_intermediate").mkdir(parents=True, exist_ok=True)
        (project / "data/02_intermediate/doubled.csv").write_text("n\n2\n4\n6\n")
    for command in (("status",), ("run", "--dry-run"), ("run",), ("viz",), ("status",)):
        result = aether(project, *command)
        output = result.stdout + result.stderr
        assert_no_traceback(result)
        assert result.returncode in (0, 1), (command, output)
        if command == ("run", "--dry-run") and entry == "numbers":
            # Status calls the readers stale: the plan names them too, held back and why.
            assert "2 held back" in output and "boom in" in output, output
    # After the run: the asset is failed, the reason names the dataset and the error.
    line = next(row for row in output.splitlines() if row.startswith(f"{entry} "))
    assert "failed" in line and f"observe dataset '{entry}'" in line, output
    assert "boom in" in line, output


@pytest.mark.parametrize("module", ["nodes", "dataset"])
@pytest.mark.parametrize("command", [("run",), ("validate",), ("run", "--runner", "parallel")])
def test_sys_exit_while_a_project_module_is_imported_is_one_line_exit_2(
    make_project: MakeProject, aether: Aether, module: str, command: tuple[str, ...]
) -> None:
    """`sys.exit(3)` at import time of a transformation's or a custom dataset's module used to
    end Aether silently with that exit code (hostile review): one line naming it, exit 2."""
    files = {
        "src/mini/exits.py": "import sys\n\nsys.exit(3)\n\n\ndef double(rows, factor):\n"
        "    return rows\n\n\nclass Csv:\n    pass\n"
    }
    if module == "nodes":
        project = make_project(
            pipeline=lambda text: text.replace("mini.nodes.double", "mini.exits.double"),
            files=files,
        )
    else:
        project = make_project(
            catalog=lambda text: text.replace(
                "doubled:\n  type: PandasCsvDataSet", "doubled:\n  type: mini.exits.Csv"
            ),
            files=files,
        )
    line = error_line(aether(project, *command))
    assert "sys.exit(3)" in line and "mini.exits" in line, line


def test_an_output_inside_a_custom_source_dir_is_refused(
    make_project: MakeProject, aether: Aether
) -> None:
    """With ``[tool.aether] source_dir = "code"`` the project's code lives in code/: an output
    there is refused like one in src/ (exit 2, one line naming the entry and the folder),
    nothing written."""
    project = make_project(
        catalog=total_at("code/mini/nodes.py"),
        files={"pyproject.toml": '[tool.aether]\nsource_dir = "code"\n'},
    )
    (project / "src").rename(project / "code")
    before = snapshot(project)
    for command in ("validate", "run"):
        line = assert_refused(aether(project, command), project, before, TOTAL, "code/")
        assert "data/" in line
