"""`aether new` renders beside the destination and moves the project there when complete.

Copier is replaced by a stand-in that writes a file (and then fails, or meets a rival):
what matters here is what is left under the destination's name, not the template.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest

from aether.errors import ConfigError
from aether.scaffold import new_project as scaffold


def fake_copy(then: Callable[[Path], None]) -> Callable[..., None]:
    def run_copy(source: str, destination: str, **options: Any) -> None:
        Path(destination, "pyproject.toml").write_text("[project]\n")
        then(Path(destination))

    return run_copy


def test_an_interrupted_render_leaves_nothing_under_any_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(_: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(copier, "run_copy", fake_copy(interrupt))

    with pytest.raises(KeyboardInterrupt):
        scaffold.new_project(tmp_path / "sales", defaults=True)

    assert list(tmp_path.iterdir()) == []


def test_the_destination_appears_only_once_the_render_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_during_render: list[bool] = []
    monkeypatch.setattr(
        copier,
        "run_copy",
        fake_copy(lambda _: seen_during_render.append((tmp_path / "sales").exists())),
    )

    scaffold.new_project(tmp_path / "sales", defaults=True)

    assert seen_during_render == [False]
    assert [p.name for p in tmp_path.iterdir()] == ["sales"]
    assert (tmp_path / "sales" / "pyproject.toml").is_file()


def test_an_empty_destination_folder_is_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sales").mkdir()
    monkeypatch.setattr(copier, "run_copy", fake_copy(lambda _: None))

    scaffold.new_project(tmp_path / "sales", defaults=True)

    assert (tmp_path / "sales" / "pyproject.toml").is_file()


def test_a_rival_run_that_finished_first_is_kept_and_this_one_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rival_finishes(_: Path) -> None:
        (tmp_path / "sales").mkdir()
        (tmp_path / "sales" / "README.md").write_text("the other run's project")

    monkeypatch.setattr(copier, "run_copy", fake_copy(rival_finishes))

    with pytest.raises(ConfigError, match="was created by something else"):
        scaffold.new_project(tmp_path / "sales", defaults=True)

    assert [p.name for p in tmp_path.iterdir()] == ["sales"]
    assert [p.name for p in (tmp_path / "sales").iterdir()] == ["README.md"]
