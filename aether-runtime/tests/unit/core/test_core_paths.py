"""`ProjectPaths`: one spelling of a project's files, used by everything that opens them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aether.project.context import find_project_root, load_context
from aether.project.paths import RESERVED_FOLDERS, ProjectPaths
from aether.state.lock import ProjectLock


def test_every_file_of_a_project_is_named_from_its_root() -> None:
    paths = ProjectPaths(Path("/p"))

    assert paths.conf == Path("/p/conf")
    assert paths.conf_base == Path("/p/conf/base")
    assert paths.source == Path("/p/src")
    assert paths.pyproject == Path("/p/pyproject.toml")
    assert paths.state == Path("/p/.aether")
    assert paths.state_db == Path("/p/.aether/state.db")
    assert paths.run_lock == Path("/p/.aether/run.lock")
    assert paths.cache == Path("/p/.aether/cache")
    assert ProjectPaths(Path("/p"), "code").source == Path("/p/code")
    assert RESERVED_FOLDERS == ("conf", "src", ".aether")


def test_a_folder_is_a_project_when_it_holds_conf_base(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_project("paths")

    assert ProjectPaths(root).is_project()
    assert not ProjectPaths(tmp_path).is_project()
    assert find_project_root(ProjectPaths(root).conf_base) == root.resolve()


def test_the_context_state_store_lock_and_yaml_cache_live_where_project_paths_say(
    make_project: Callable[..., Path],
) -> None:
    root = make_project("paths", files={"pyproject.toml": '[tool.aether]\nsource_dir = "code"\n'})
    ctx = load_context(root)
    paths = ProjectPaths(root.resolve(), "code")

    assert ctx.paths == paths
    assert ctx.state_path == paths.state
    with ctx.state_store():
        pass
    assert paths.state_db.is_file()
    assert ctx.config.cache_dir == paths.cache
    assert ProjectLock.for_project(paths.root, "run-1").path == paths.run_lock


def test_the_reserved_folders_include_a_custom_code_folder_once() -> None:
    assert ProjectPaths(Path("/p")).reserved_folders == ("conf", "src", ".aether")
    assert ProjectPaths(Path("/p"), "code").reserved_folders == ("conf", "src", ".aether", "code")
