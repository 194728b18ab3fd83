"""``aether --help`` is printed from a cache named after the Aether version, the command
definitions and the terminal width; what it prints is what Typer prints."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aether.cli import entry


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(sys, "argv", ["aether", "--help"])
    return tmp_path / "cache"


def _help(capsys: pytest.CaptureFixture[str]) -> str:
    entry.main()
    return capsys.readouterr().out


def test_the_first_help_is_rendered_by_typer_and_kept(
    cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _help(capsys)

    assert shown.startswith("Usage: aether [OPTIONS] COMMAND [ARGS]...")
    assert "-h, --help" in shown and "status" in shown
    assert entry.help_path().read_text() == shown


def test_the_next_help_comes_from_the_cache(
    cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _help(capsys)
    entry.help_path().write_text("from the cache\n")

    assert _help(capsys) == "from the cache\n"


def test_another_width_or_version_is_another_help(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = entry.help_path()
    monkeypatch.setenv("COLUMNS", "60")
    narrow = entry.help_path()
    monkeypatch.setattr("aether.__version__", "99.0.0")

    assert len({wide, narrow, entry.help_path()}) == 3


def test_an_unwritable_cache_still_prints_the_help(
    cache_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache_home.write_text("a file where the cache folder should be")

    assert _help(capsys).startswith("Usage: aether")


def test_other_commands_never_touch_the_cache(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["aether", "--version"])

    with pytest.raises(SystemExit) as done:
        entry.main()

    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("aether ")
    assert not cache_home.exists()
