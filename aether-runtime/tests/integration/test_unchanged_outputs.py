"""A run that would rewrite an output with the very bytes already there leaves the file alone
(same inode, same mtime, no staged copy left), records the new materialization all the same,
and never leaves the wrong bytes in place: changed content is published as usual, a file
edited by hand is replaced, and a file changed while its node ran fails the node."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aether import RunRequest, dry_run, run_pipeline
from aether.engine.plan import NodeStatus, RunResult
from aether.state.sqlite import SQLiteStateStore

DOUBLED = Path("data/02_intermediate/doubled.csv")
TOTAL = Path("data/03_primary/total.csv")


def _run(project: Path, **options: Any) -> RunResult:
    result = run_pipeline(project, **options)
    assert isinstance(result, RunResult)
    return result


def _identity(path: Path) -> tuple[int, int]:
    found = os.stat(path)
    return found.st_ino, found.st_mtime_ns


def _head_run(project: Path, asset: str) -> str:
    with SQLiteStateStore(project / ".aether" / "state.db") as store:
        head = store.heads([asset])[asset]
    assert head is not None and head.materialization is not None
    return head.materialization.run_id


def _staged_copies(project: Path) -> list[str]:
    return [p.name for p in (project / "data").rglob(".*") if p.is_file()]


@pytest.fixture
def built(make_project: Callable[..., Path]) -> Path:
    project = make_project()
    assert _run(project).succeeded
    return project


def test_a_forced_run_with_the_same_bytes_leaves_the_files_in_place(built: Path) -> None:
    before = {path: _identity(built / path) for path in (DOUBLED, TOTAL)}

    result = _run(built, force=True)

    assert [r.status for r in result.results] == [NodeStatus.SUCCEEDED] * 2
    assert {path: _identity(built / path) for path in (DOUBLED, TOTAL)} == before
    assert _head_run(built, "doubled") == result.run_id  # recorded as this run's, all the same
    assert _staged_copies(built) == []
    assert not dry_run(RunRequest.for_project(built)).to_run  # and fresh


def test_changed_content_is_published_as_usual(built: Path) -> None:
    before = _identity(built / DOUBLED)

    result = _run(built, force=True, params={"factor": 3})

    assert result.succeeded
    assert _identity(built / DOUBLED) != before
    assert (built / DOUBLED).read_text() == "n\n3\n6\n9\n"
    assert _staged_copies(built) == []


def test_a_file_edited_by_hand_is_replaced_by_what_the_node_makes(built: Path) -> None:
    made = (built / DOUBLED).read_text()
    (built / DOUBLED).write_text("n\n7\n7\n7\n")  # same size, new content and mtime

    assert _run(built, force=True).succeeded

    assert (built / DOUBLED).read_text() == made


def test_a_file_changed_while_its_node_ran_fails_the_node(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node makes the bytes in place when it started, so nothing is written aside; the
    file is rewritten between staging and publishing: publishing would record what is not
    there, so the node fails, says why, and its output is rebuilt by the next run."""
    import aether.engine.execution as execution

    real = execution.crash_point

    def someone_writes(name: str) -> None:
        if name == "during-staging":
            (built / DOUBLED).write_text("n\n0\n")
        real(name)

    monkeypatch.setattr(execution, "crash_point", someone_writes)

    result = _run(built, force=True, nodes=["double"])

    assert not result.succeeded
    error = str(result.results[0].error)
    assert "Dataset 'doubled'" in error and "changed while its node ran" in error
    monkeypatch.setattr(execution, "crash_point", real)
    assert _run(built).succeeded  # rebuilt: the failure was recorded
    assert (built / DOUBLED).read_text() == "n\n2\n4\n6\n"


def test_a_rewrite_that_puts_size_mtime_and_inode_back_while_the_node_runs_fails_it(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the hostile review of issue 17: the bytes are compared once, while staging;
    a same-size rewrite in place with its modification time set back keeps size, mtime and
    inode, so only the status-change time (which no one can set back) tells."""
    import aether.engine.execution as execution

    real = execution.crash_point
    path = built / DOUBLED

    def someone_rewrites_and_hides_it(name: str) -> None:
        if name == "during-staging":
            before = os.stat(path)
            with open(path, "r+b") as file:  # in place: same inode
                file.write(path.read_bytes().replace(b"2", b"7"))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            after = os.stat(path)
            assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
                before.st_size,
                before.st_mtime_ns,
                before.st_ino,
            )
        real(name)

    monkeypatch.setattr(execution, "crash_point", someone_rewrites_and_hides_it)

    result = _run(built, force=True, nodes=["double"])

    assert not result.succeeded
    assert "changed while its node ran" in str(result.results[0].error)
    monkeypatch.setattr(execution, "crash_point", real)
    assert _run(built).succeeded  # rebuilt: the failure was recorded
    assert path.read_text() == "n\n2\n4\n6\n"


def test_a_file_rewritten_before_the_node_stages_is_replaced(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rewritten while the node computes (before its output is staged): what the node
    made is written and published over it."""
    import aether.engine.execution as execution

    real = execution.stage_outputs

    def someone_writes_first(*args: Any, **kwargs: Any) -> None:
        (built / DOUBLED).write_text("n\n0\n")
        real(*args, **kwargs)

    monkeypatch.setattr(execution, "stage_outputs", someone_writes_first)

    assert _run(built, force=True, nodes=["double"]).succeeded

    assert (built / DOUBLED).read_text() == "n\n2\n4\n6\n"


def test_a_custom_writer_writes_its_files_as_always(
    make_project: Callable[..., Path],
) -> None:
    """Only built-in writers render in memory: a subclass with its own ``_write`` (here
    one that takes paths only) is written the ordinary way, never failed for it."""
    module = """
from aether.datasets import PandasCsvDataSet


class PathOnlyCsv(PandasCsvDataSet):
    def _write(self, data, target):
        if not isinstance(target, str):
            raise TypeError("paths only")
        super()._write(data, target)
"""
    project = make_project(
        catalog=lambda text: text.replace(
            "doubled:\n  type: PandasCsvDataSet", "doubled:\n  type: pathonly.PathOnlyCsv"
        ),
        files={"src/pathonly/__init__.py": module},
    )
    assert _run(project).succeeded
    before = _identity(project / DOUBLED)

    assert _run(project, force=True).succeeded
    assert _run(project, force=True, params={"factor": 5}).succeeded

    assert _identity(project / DOUBLED) != before
    assert (project / DOUBLED).read_text() == "n\n5\n10\n15\n"


def test_a_hand_edit_that_kept_size_mtime_and_inode_is_repaired_by_a_forced_run(
    built: Path,
) -> None:
    """The signature cannot tell this edit (``touch -r`` after an in-place edit); the bytes
    can: an output is left in place only when it holds exactly what the node makes."""
    path = built / DOUBLED
    made = path.read_text()
    kept = os.stat(path)
    path.write_text(made.replace("2", "7"))  # same size, written in place: same inode
    os.utime(path, ns=(kept.st_atime_ns, kept.st_mtime_ns))

    assert _run(built, force=True).succeeded

    assert path.read_text() == made


def test_a_custom_writer_is_never_handed_a_file_object(
    make_project: Callable[..., Path],
) -> None:
    """A custom ``_write`` that writes a file object differently from a path (here: no
    header) must not have its output replaced by the other rendering."""
    module = """
from aether.datasets import PandasCsvDataSet


class Headerless(PandasCsvDataSet):
    def _write(self, data, target):
        header = isinstance(target, str)  # a writer that behaves differently on objects
        data.to_csv(target, index=False, header=header)
"""
    project = make_project(
        catalog=lambda text: text.replace(
            "doubled:\n  type: PandasCsvDataSet", "doubled:\n  type: headerless.Headerless"
        ),
        files={"src/headerless/__init__.py": module},
    )
    assert _run(project).succeeded
    made = (project / DOUBLED).read_text()

    assert _run(project, force=True).succeeded

    assert (project / DOUBLED).read_text() == made == "n\n2\n4\n6\n"


def test_an_output_turned_into_a_symlink_becomes_a_real_file_again(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    # Found by the hostile review: the link to a file outside the project was kept.
    project = make_project()
    assert _run(project).succeeded
    outside = tmp_path / "outside.csv"
    outside.write_bytes((project / DOUBLED).read_bytes())
    (project / DOUBLED).unlink()
    os.symlink(outside, project / DOUBLED)
    before = os.stat(outside).st_mtime_ns

    assert _run(project, force=True).succeeded

    assert os.stat(outside).st_mtime_ns == before  # the outside file is never written
    assert not (project / DOUBLED).is_symlink()  # the output is a real file again


def test_a_rewritten_output_keeps_the_permissions_someone_gave_it(built: Path) -> None:
    """Found by the hostile review of issue 17: a rename puts a new file in place, and a
    restricted output (chmod 640) came back readable by everyone."""
    path = built / DOUBLED
    os.chmod(path, 0o640)

    assert _run(built, force=True, params={"factor": 3}).succeeded

    assert path.read_text() == "n\n3\n6\n9\n"  # rewritten, not kept
    assert os.stat(path).st_mode & 0o777 == 0o640
