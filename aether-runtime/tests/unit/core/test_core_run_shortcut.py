"""``aether run`` (and `run_pipeline`, its front door) answers "everything is fresh" without
loading the project only when the same run left every node it selected fresh and nothing
has changed since; anything else runs as usual."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aether.run.chain
from aether.cli.run_command import run_command
from aether.errors import AetherError
from aether.run import Selection
from aether.run.shortcut import request_key

LONG_AGO = time.time() - 3600


def _age(project: Path) -> None:
    """Every file and folder as if written an hour ago: nothing is 'racy' any more."""
    for folder, _, names in os.walk(project):
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.utime(path, (LONG_AGO, LONG_AGO))


def _note(project: Path) -> Path:
    key = request_key(None, None, Selection())
    return project / ".aether" / "cache" / f"view-local-{key}.json"


def _run(project: Path, **options: Any) -> int:
    asked: dict[str, Any] = {
        "project": project,
        "pipeline": None,
        "env": None,
        "params": None,
        "nodes": None,
        "from_nodes": None,
        "to_nodes": None,
        "tags": None,
        "force": False,
        "runner": "sequential",
        "workers": None,
        "dry_run": False,
    }
    return run_command(**{**asked, **options})


@pytest.fixture
def settled(make_project: Callable[..., Path]) -> Path:
    """A project built and aged, run again (which records the aged source in the state
    store), aged again, then run with nothing to do: that last run leaves its note."""
    project = make_project()
    for _ in range(2):
        assert _run(project) == 0
        _age(project)
    assert _run(project) == 0
    return project


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ordinary run (one that loads the project) is counted."""
    calls: list[str] = []
    real = aether.run.chain.prepare_run

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append("prepare_run")
        return real(*args, **kwargs)

    monkeypatch.setattr(aether.run.chain, "prepare_run", counting)
    return calls


def test_the_same_run_with_nothing_changed_is_answered_at_once(
    settled: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    assert _run(settled) == 0

    assert loads == []
    out = capsys.readouterr().out
    assert "of 'main': 2 fresh in" in out
    assert "(everything is fresh; --force rebuilds)" in out


def test_new_source_data_runs_as_usual_and_rebuilds(
    settled: Path, loads: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = settled / "data" / "01_raw" / "numbers.csv"
    numbers.write_text("n\n5\n")
    os.utime(numbers, (LONG_AGO + 60, LONG_AGO + 60))
    capsys.readouterr()

    assert _run(settled) == 0

    assert loads == ["prepare_run"]
    assert "2 succeeded" in capsys.readouterr().out


@pytest.mark.parametrize(
    "options",
    [
        {"force": True},
        {"dry_run": True},
        {"params": "factor=3"},  # asked another way: another note
        {"tags": "prep"},
    ],
)
def test_any_other_request_takes_the_ordinary_path(
    settled: Path, loads: list[str], options: dict[str, Any]
) -> None:
    _run(settled, **options)

    assert loads == ["prepare_run"]


def test_a_run_in_progress_is_waited_for_not_answered_for(settled: Path, loads: list[str]) -> None:
    (settled / ".aether" / "run.lock").write_text("{}")

    with pytest.raises(AetherError):  # the ordinary path: the lock is held, not waited for
        _run(settled, no_wait=True)

    assert loads == ["prepare_run"]


def test_a_bad_runner_is_refused_even_when_nothing_is_to_do(settled: Path) -> None:
    with pytest.raises(AetherError) as refused:
        _run(settled, runner="threads")

    assert refused.value.exit_code == 2


def test_only_a_run_that_left_everything_fresh_leaves_a_note(
    make_project: Callable[..., Path], loads: list[str]
) -> None:
    project = make_project()
    pipeline = project / "conf" / "base" / "pipeline.yml"
    working = pipeline.read_text()
    failing = "transformation: mini.nodes.boom\n        inputs: {rows: numbers}"
    pipeline.write_text(
        working.replace(
            "transformation: mini.nodes.total\n        inputs: {rows: doubled}", failing
        )
    )

    assert _run(project) == 1  # a node failed
    assert not _note(project).exists()
    pipeline.write_text(working)
    _age(project)
    assert _run(project) == 0  # built everything
    assert _note(project).exists()
    assert _run(project) == 0  # answered at once
    assert loads == ["prepare_run", "prepare_run"]


def test_a_bad_durability_is_refused_even_when_nothing_is_to_do(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AETHER_DURABILITY", "fsync")

    with pytest.raises(AetherError) as refused:
        _run(settled)

    assert refused.value.exit_code == 2


def test_data_changed_while_a_run_evaluates_never_leaves_a_note(
    settled: Path,
    loads: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The run found nothing to do, but the source changed after it looked (a copy with
    an old mtime, as ``cp -p`` makes): the next run must rebuild, not answer at once."""
    numbers = settled / "data" / "01_raw" / "numbers.csv"
    _note(settled).unlink()
    execute = aether.run.chain.execute_run

    def executed_then_replaced(*args: Any, **kwargs: Any) -> Any:
        outcome = execute(*args, **kwargs)
        copy = numbers.with_name("copy.csv")
        copy.write_text("n\n7\n")
        os.utime(copy, (LONG_AGO, LONG_AGO))
        os.replace(copy, numbers)
        return outcome

    monkeypatch.setattr(aether.run.chain, "execute_run", executed_then_replaced)
    assert _run(settled) == 0
    monkeypatch.setattr(aether.run.chain, "execute_run", execute)

    assert _run(settled) == 0
    assert loads == ["prepare_run", "prepare_run"]
    assert "2 succeeded" in capsys.readouterr().out


def test_the_memo_is_looked_at_before_loading_once_per_command(
    settled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut lives in `run_pipeline`, which ``aether run`` calls: the look before
    loading (a walk of conf/ and the source folder) is taken there only, not by the command
    as well — for a run answered from the note, a forced run and a run that rebuilds."""
    from aether.assets.memo import EvaluationMemo

    looks: list[Path | None] = []
    real = EvaluationMemo.before_loading  # bound to the class already

    def counting(cls: type[EvaluationMemo], project: Path | None, *args: Any) -> Any:
        looks.append(project)
        return real(project, *args)

    monkeypatch.setattr(EvaluationMemo, "before_loading", classmethod(counting))

    assert _run(settled) == 0
    assert looks == [settled]
    assert _run(settled, force=True) == 0
    assert looks == [settled] * 2
    (settled / "data" / "01_raw" / "numbers.csv").write_text("n\n5\n")
    assert _run(settled) == 0
    assert looks == [settled] * 3


def test_the_note_is_left_without_hashing_the_outputs_just_written(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outputs a run just wrote are racily clean when it leaves its note: the run that
    reads the note hashes them (next test), so leaving it reads none of them again."""
    import aether.assets.memo as memo_module

    monkeypatch.setattr(memo_module, "FINE_RACY_SECONDS", 5.0)  # everything just written
    hashed: list[str] = []
    real = memo_module._same_content

    def counting(path: str, version: str | None) -> bool:
        hashed.append(path)
        return real(path, version)

    monkeypatch.setattr(memo_module, "_same_content", counting)
    project = make_project()
    _age(project)  # the project's own files long settled; the outputs will not be

    assert _run(project) == 0

    assert _note(project).exists()
    assert hashed == []


def test_a_note_is_not_trusted_over_an_output_changed_under_its_signature(
    make_project: Callable[..., Path], loads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed within the racy window with size, mtime and inode kept (a coarse clock),
    an output the note vouched for is hashed by the run that reads the note: the note is
    not used, the run takes the ordinary path."""
    import aether.assets.memo as memo_module

    monkeypatch.setattr(memo_module, "FINE_RACY_SECONDS", 5.0)
    project = make_project()
    _age(project)
    assert _run(project) == 0
    assert _note(project).exists()
    total = project / "data" / "03_primary" / "total.csv"
    kept = os.stat(total)
    # Same size, written in place (same inode):
    total.write_text(total.read_text().replace("12", "99"))
    os.utime(total, ns=(kept.st_atime_ns, kept.st_mtime_ns))

    assert _run(project) == 0

    assert loads == ["prepare_run", "prepare_run"]  # the ordinary path, both times
