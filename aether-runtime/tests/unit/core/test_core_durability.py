"""The ``durability`` setting: no fsync by default (a process crash is survived by atomic
renames alone), fsync of files, folders and the state store when power loss is to be
survived too."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aether.configuration import durability
from aether.errors import ConfigError
from aether.project.context import choose_durability, load_context
from aether.run import run_pipeline


@pytest.fixture(autouse=True)
def _restore_level() -> Iterator[None]:
    before = durability.level()
    yield
    durability.set_level(before)


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every fsync of this process, counted (the real one still runs)."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def _with_setting(value: str) -> Callable[[str], str]:
    return lambda _: f'[tool.aether]\ndurability = "{value}"\n'


def test_the_default_survives_a_process_crash_without_fsync(
    make_project: Callable[..., Path], fsyncs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(durability.ENV_VARIABLE, raising=False)
    project = make_project()
    fsyncs.clear()

    result = run_pipeline(project, wait_for_lock=False)

    assert result.succeeded
    assert durability.level() == durability.PROCESS_CRASH
    # Nothing is flushed: no output, folder, state write or run lock.
    assert fsyncs == []


def test_power_loss_fsyncs_every_output_and_its_folder(
    make_project: Callable[..., Path], fsyncs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(durability.ENV_VARIABLE, raising=False)
    project = make_project(files={"pyproject.toml": _with_setting("power-loss")("")})

    result = run_pipeline(project, wait_for_lock=False)

    assert result.succeeded
    assert durability.level() == durability.POWER_LOSS
    # Two outputs (doubled, total): each file, and the folder of each rename.
    assert len(fsyncs) >= 4


def test_power_loss_makes_the_state_store_commit_fully(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(durability.ENV_VARIABLE, "power-loss")
    ctx = load_context(make_project())

    with ctx.state_store() as store:
        full = store._conn.execute("PRAGMA synchronous").fetchone()[0]
    monkeypatch.setenv(durability.ENV_VARIABLE, "process-crash")
    ctx = load_context(ctx.project_path)
    with ctx.state_store() as store:
        normal = store._conn.execute("PRAGMA synchronous").fetchone()[0]

    assert (full, normal) == (2, 1)  # SQLite's numbers for FULL and NORMAL


def test_the_environment_variable_wins_over_pyproject(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(durability.ENV_VARIABLE, "power-loss")

    assert choose_durability({"durability": "process-crash"}, tmp_path) == "power-loss"


def test_an_unknown_level_is_refused_naming_where_it_was_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(durability.ENV_VARIABLE, raising=False)

    with pytest.raises(ConfigError) as refused:
        choose_durability({"durability": "sometimes"}, tmp_path)

    assert "[tool.aether] durability" in refused.value.message
    assert "'sometimes'" in refused.value.message
    assert "power-loss" in (refused.value.hint or "")
    assert "docs/explanation/staleness.md" in (refused.value.hint or "")  # where levels are told


def test_the_level_is_process_wide_and_checked() -> None:
    durability.set_level("power-loss")
    assert durability.against_power_loss()

    with pytest.raises(ValueError, match="durability must be one of"):
        durability.set_level("always")
    assert durability.level() == "power-loss"  # a refused level changes nothing
